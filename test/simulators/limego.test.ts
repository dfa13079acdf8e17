import { startLimeGoSimulator, type LimeGoSimulator } from '../../simulators/limego';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { http, injectFault, jsonBody, TempDirs, TEST_USERS } from './helpers';

const world = buildWorld({ users: TEST_USERS });
const samples = new Map(sampleSubjects(world).map((s) => [s.ref, s]));
const ANNA_ID = samples.get('app-1')!.ids.crmPersonId!;
const LOOKALIKE_ID = samples.get('lookalike-anna')!.ids.crmPersonId!;
const PERSON_FIELDS = 'id name email phoneNumber employerName employer { id name } customFields { title type value }';

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

function client(sim: LimeGoSimulator, key = sim.key) {
  return (query: string, variables?: Record<string, unknown>) =>
    http(`${sim.baseUrl}/v1/graphql`, jsonBody({ query, variables }, 'POST', key === '' ? {} : { authorization: key }));
}

describe('Lime Go simulator', () => {
  let sim: LimeGoSimulator;
  let gql: ReturnType<typeof client>;

  beforeAll(async () => {
    sim = await startLimeGoSimulator({ dataDir: dirs.make(), world });
    gql = client(sim);
  });
  afterAll(() => sim.close());

  it('answers 401 without the API key in Authorization (no Bearer scheme)', async () => {
    for (const key of ['', 'wrong', `Bearer ${sim.key}`]) {
      const res = await client(sim, key)('{ persons { id } }');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    expect((await gql('{ persons { id } }')).status).toBe(200);
  });

  it('searches persons fuzzily: an email also returns the look-alike', async () => {
    const res = await gql(`query($q: String) { persons(query: $q) { ${PERSON_FIELDS} } }`, { q: 'anna.lindqvist@northwind.example' });
    expect(res.status).toBe(200);
    const persons = res.body.data.persons as { id: string; name: string; email: string; employerName: string | null }[];
    expect(persons[0]).toMatchObject({ id: ANNA_ID, email: 'anna.lindqvist@northwind.example', employerName: 'Northwind Traders AB' });
    const lookalike = persons.find((p) => p.id === LOOKALIKE_ID);
    expect(lookalike).toMatchObject({ name: 'Anna Lindqvist', email: 'anna.lindqvist@fourthcoffee.example', employerName: 'Fourth Coffee AB' });
    expect(persons.filter((p) => p.email === 'anna.lindqvist@northwind.example')).toHaveLength(1);

    const byName = await gql('{ persons(query: "ANNA LINDQVIST") { id } }');
    expect(byName.body.data.persons.slice(0, 2).map((p: { id: string }) => p.id).sort()).toEqual([ANNA_ID, LOOKALIKE_ID].sort());
    const byEmployer = await gql('{ persons(query: "fourth coffee", first: 20) { employerName } }');
    expect(byEmployer.body.data.persons.length).toBeGreaterThan(0);
    expect(byEmployer.body.data.persons[0].employerName).toBe('Fourth Coffee AB');
    const nonAscii = await gql('{ persons(query: "JÖNS") { email } }');
    expect(nonAscii.body.data.persons[0].email).toBe('jöns.åkesson@tailspin.example'.normalize('NFC'));
    const nothing = await gql('{ persons(query: "zzzqqq") { id } }');
    expect(nothing.body.data.persons).toEqual([]);
  });

  it('pages with first (default 10, at most 20) and offset', async () => {
    const total = world.limego.persons.length;
    expect(total).toBeGreaterThan(40);
    expect((await gql('{ persons { id } }')).body.data.persons).toHaveLength(10);
    const ids: string[] = [];
    for (let offset = 0; offset < total; offset += 20) {
      const page = await gql('query($o: Int) { persons(first: 20, offset: $o) { id } }', { o: offset });
      ids.push(...page.body.data.persons.map((p: { id: string }) => p.id));
    }
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);

    const tooMany = await gql('{ persons(first: 21) { id } }');
    expect(tooMany.status).toBe(200);
    expect(tooMany.body.data).toBeNull();
    expect(tooMany.body.errors[0]).toMatchObject({ path: ['persons'], extensions: { code: 'BAD_USER_INPUT' } });
    expect((await gql('{ persons(first: 0) { id } }')).body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((await gql('{ persons(offset: -1) { id } }')).body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('returns a person by id with employer, and null for an unknown id', async () => {
    const res = await gql(`query($id: ID!) { person(id: $id) { ${PERSON_FIELDS} } }`, { id: ANNA_ID });
    expect(res.body.data.person).toMatchObject({
      id: 'pase1578159',
      name: 'Anna Lindqvist',
      phoneNumber: ['+46701234501'],
      employer: { name: 'Northwind Traders AB' },
      customFields: [{ title: 'Title', type: 'TEXT' }],
    });
    expect((await gql('{ person(id: "pase0") { id } }')).body.data.person).toBeNull();
  });

  it('serves organisations with employees and deals, and deals by query', async () => {
    const orgs = await gql('{ organizations(query: "Northwind") { id name city organizationNumber integrationId customerRelation temperature tags responsibleCoworker { name email } } }');
    const northwind = orgs.body.data.organizations[0];
    expect(northwind).toMatchObject({ name: 'Northwind Traders AB', organizationNumber: '556123-4567', integrationId: '1001', customerRelation: 'IS_A_CUSTOMER' });
    expect(northwind.responsibleCoworker.email).toMatch(/@engagelearning\.example$/);

    const org = await gql(`query($id: ID!) { organization(id: $id) { name employees(first: 20) { id email } annas: employees(query: "anna") { id } deals(first: 20) { id name status customerName customer { id } } } }`, { id: northwind.id });
    const o = org.body.data.organization;
    expect(o.employees.map((p: { id: string }) => p.id)).toContain(ANNA_ID);
    expect(o.employees.every((p: { email: string }) => p.email.endsWith('@northwind.example'))).toBe(true);
    expect(o.annas.map((p: { id: string }) => p.id)).toContain(ANNA_ID);
    expect(o.annas.map((p: { id: string }) => p.id)).not.toContain(LOOKALIKE_ID);
    expect(o.deals.length).toBeGreaterThan(0);
    expect(o.deals.every((d: { customerName: string; customer: { id: string } }) => d.customerName === 'Northwind Traders AB' && d.customer.id === northwind.id)).toBe(true);

    const deals = await gql('{ deals(query: "licence 2025", first: 20) { name } }');
    expect(deals.body.data.deals[0].name).toBe('Engage licence 2025');
  });

  it('rejects requests that are not valid GraphQL, and has no mutations', async () => {
    expect((await gql('{ persons { id ')).status).toBe(400);
    const unknown = await gql('{ persons { socialSecurityNumber } }');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].message).toMatch(/socialSecurityNumber/);
    const mutation = await gql('mutation { deletePerson(id: "pase1578159") }');
    expect(mutation.body.errors[0].message).toMatch(/mutation/i);
    expect(mutation.body.data ?? null).toBeNull();
    const empty = await http(`${sim.baseUrl}/v1/graphql`, jsonBody({}, 'POST', { authorization: sim.key }));
    expect(empty.status).toBe(400);
  });
});

describe('Lime Go simulator: manual deletion, rate limits, faults and restarts', () => {
  it('deletes a person through /__sim (the administrator), which survives a restart', async () => {
    const dataDir = dirs.make();
    let sim = await startLimeGoSimulator({ dataDir, world });
    const key = sim.key;
    expect((await http(`${sim.baseUrl}/__sim/persons/${ANNA_ID}`, { method: 'DELETE' })).status).toBe(204);
    expect((await http(`${sim.baseUrl}/__sim/persons/${ANNA_ID}`, { method: 'DELETE' })).status).toBe(404);
    let gql = client(sim);
    expect((await gql(`{ person(id: "${ANNA_ID}") { id } }`)).body.data.person).toBeNull();
    await sim.close();

    sim = await startLimeGoSimulator({ dataDir, users: TEST_USERS });
    try {
      expect(sim.key).toBe(key);
      gql = client(sim);
      expect((await gql(`{ person(id: "${ANNA_ID}") { id } }`)).body.data.person).toBeNull();
      const search = await gql('{ persons(query: "anna.lindqvist@northwind.example", first: 20) { id } }');
      const ids = search.body.data.persons.map((p: { id: string }) => p.id);
      expect(ids).not.toContain(ANNA_ID);
      expect(ids).toContain(LOOKALIKE_ID);
    } finally {
      await sim.close();
    }
  });

  it('answers 429 with Retry-After over the limit, and injected faults in its error shape', async () => {
    const sim = await startLimeGoSimulator({ dataDir: dirs.make(), world, rateLimit: { limit: 5, windowMs: 60_000 } });
    try {
      const gql = client(sim);
      await injectFault(sim.baseUrl, { pathPattern: '^/v1/graphql$', status: 503, count: 2 });
      for (let i = 0; i < 2; i++) {
        const failed = await gql('{ persons { id } }');
        expect(failed.status).toBe(503);
        expect(failed.body).toEqual({ errors: [{ message: 'Service Unavailable', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      }
      await injectFault(sim.baseUrl, { pathPattern: 'graphql', status: 429, count: 1, retryAfterS: 3 });
      const faulted = await gql('{ persons { id } }');
      expect(faulted.status).toBe(429);
      expect(faulted.headers.get('retry-after')).toBe('3');
      await injectFault(sim.baseUrl, { pathPattern: 'graphql', latencyMs: 250, count: 1 });
      const slow = await gql('{ persons { id } }');
      expect(slow.status).toBe(200);
      expect(slow.ms).toBeGreaterThanOrEqual(240);

      // Faulted requests never reached the limiter; 5 are allowed per window.
      const statuses: number[] = [slow.status];
      for (let i = 0; i < 5; i++) statuses.push((await gql('{ persons { id } }')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await gql('{ persons { id } }');
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ errors: [{ message: 'Too Many Requests', extensions: { code: 'RATE_LIMITED' } }] });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });
});
