import { printSchema } from 'graphql';
import { startLimeGoSimulator, type LimeGoSimulator } from '../../simulators/limego';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { ConfigError, loadConfig, type ConnectorSettings } from '../../src/config';
import type { Connector, Row, SubjectKey, SystemSnapshot } from '../../src/connectors/connector';
import { HttpClientError, HttpError } from '../../src/connectors/http';
import { limeGoConnectorFactory } from '../../src/connectors/limego/limego.connector';
import { LimeGoSubjectResolver } from '../../src/connectors/limego/limego.resolver';
import { Subject } from '../../src/resolvers/subject.types';
import { buildGatewaySchema } from '../../src/schema';
import { normaliseEmail } from '../../src/services/identity';
import { http, injectFault, jsonBody, TempDirs, TEST_USERS } from '../simulators/helpers';
import { capturingLogger, json, TestServer } from './http/test-server';

const world = buildWorld({ users: TEST_USERS });
const samples = sampleSubjects(world);
const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
const ANNA = sample('app-1');
const LOOKALIKE = sample('lookalike-anna');
const ANNA_EMAIL = 'anna.lindqvist@northwind.example';
const PERSON_FIELDS = 'id name email phoneNumber employerName employer { id name city organizationNumber } customFields { title type value }';

const dirs = new TempDirs();
const { logger, lines } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dirs.make() });

function connector(settings: Partial<ConnectorSettings> & Record<string, unknown>): Connector {
  return limeGoConnectorFactory.create('limego', { kind: 'limego', enabled: true, ...settings } as ConnectorSettings, { config, logger });
}

const collect = (c: Connector, subjects: SubjectKey[]) => c.collect(subjects, new AbortController().signal);
const persons = (s: SystemSnapshot): Row[] => s.datasets.find((d) => d.name === 'persons')!.records;

/** Counts the requests that reach a base URL (every upstream call goes through fetch). */
function countCalls(baseUrl: string): { readonly count: number; restore(): void } {
  const original = globalThis.fetch;
  let count = 0;
  const spy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    if (String(input instanceof Request ? input.url : input).startsWith(baseUrl)) count += 1;
    return original(input, init);
  });
  return { get count() { return count; }, restore: () => spy.mockRestore() };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

let sim: LimeGoSimulator;
let limego: Connector;

/** The simulator's own API, called straight over HTTP. */
async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await http(`${sim.baseUrl}/v1/graphql`, jsonBody({ query, variables }, 'POST', { authorization: sim.key }));
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data;
}

beforeAll(async () => {
  sim = await startLimeGoSimulator({ dataDir: dirs.make(), world });
  limego = connector({ baseUrl: sim.baseUrl, apiKey: sim.key });
});
afterAll(async () => {
  await sim.close();
  dirs.removeAll();
});
afterEach(async () => {
  await http(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' });
});

describe('limego connector against the Lime Go simulator', () => {
  it('returns for each sample subject exactly the persons the API holds with that email', async () => {
    const keys = samples.map((s) => ({ email: [normaliseEmail(s.email)] }));
    const snapshots = await collect(limego, keys);
    expect(snapshots).toHaveLength(samples.length);
    for (const [i, s] of samples.entries()) {
      const email = normaliseEmail(s.email);
      const search = await gql(`query($q: String) { persons(query: $q, first: 20) { ${PERSON_FIELDS} } }`, { q: email });
      const expected = (search.persons as Row[]).filter((p) => normaliseEmail(String(p.email)) === email);
      expect(persons(snapshots[i]!)).toEqual(expected);
      expect(snapshots[i]!.found).toBe(s.systems.includes('limego'));
      if (s.ids.crmPersonId) {
        const direct = await gql(`query($id: ID!) { person(id: $id) { ${PERSON_FIELDS} } }`, { id: s.ids.crmPersonId });
        expect(persons(snapshots[i]!)).toEqual([direct.person]);
      }
    }
    expect(persons(snapshots[0]!)[0]).toMatchObject({ id: 'pase1578159', employer: { name: 'Northwind Traders AB', organizationNumber: '556123-4567' } });
  });

  it('never returns the look-alike Anna Lindqvist at Fourth Coffee for the Northwind address', async () => {
    const fuzzy = await gql('query($q: String) { persons(query: $q, first: 20) { id } }', { q: ANNA_EMAIL });
    expect(fuzzy.persons.map((p: Row) => p.id)).toContain(LOOKALIKE.ids.crmPersonId);

    const [anna, lookalike] = await collect(limego, [{ email: [ANNA_EMAIL] }, { email: [normaliseEmail(LOOKALIKE.email)] }]);
    expect(persons(anna!).map((p) => p.id)).toEqual([ANNA.ids.crmPersonId]);
    expect(persons(lookalike!).map((p) => p.id)).toEqual([LOOKALIKE.ids.crmPersonId]);
    expect(limego.discover!(anna!).map((i) => i.value)).not.toContain(LOOKALIKE.ids.crmPersonId);
  });

  it('finds a person by crmPersonId with person(id), and nobody for an unknown id', async () => {
    const [byId, unknown, both] = await collect(limego, [
      { crmPersonId: [ANNA.ids.crmPersonId!] },
      { crmPersonId: ['pase0'] },
      { crmPersonId: [ANNA.ids.crmPersonId!], email: [ANNA_EMAIL] },
    ]);
    const direct = await gql(`query($id: ID!) { person(id: $id) { ${PERSON_FIELDS} } }`, { id: ANNA.ids.crmPersonId });
    expect(persons(byId!)).toEqual([direct.person]);
    expect(unknown!.found).toBe(false);
    expect(persons(unknown!)).toEqual([]);
    expect(persons(both!)).toEqual([direct.person]); // one record, not one per identifier
  });

  it('finds the non-ASCII email of Jöns Åkesson', async () => {
    const jons = sample('app-5');
    const [s] = await collect(limego, [{ email: [normaliseEmail(jons.email)] }]);
    expect(persons(s!).map((p) => p.id)).toEqual([jons.ids.crmPersonId]);
  });

  it('discovers the matched person\'s own identifiers only', async () => {
    const [anna] = await collect(limego, [{ email: [ANNA_EMAIL] }]);
    expect(limego.discover!(anna!)).toEqual([
      { kind: 'crmPersonId', value: 'pase1578159' },
      { kind: 'email', value: ANNA_EMAIL },
      { kind: 'phone', value: '+46701234501' },
    ]);
    const [nobody] = await collect(limego, [{ email: ['nobody.here@nowhere.example'] }]);
    expect(nobody!.found).toBe(false);
    expect(limego.discover!(nobody!)).toEqual([]);
  });

  it('collects many subjects in a few GraphQL requests (aliases, 20 per request)', async () => {
    const crm = world.limego.persons.filter((p) => p.email !== null).slice(0, 50);
    expect(crm).toHaveLength(50);
    const calls = countCalls(sim.baseUrl);
    try {
      const snapshots = await collect(limego, crm.map((p) => ({ email: [normaliseEmail(p.email!)] })));
      expect(snapshots.map((s) => persons(s).map((p) => p.id))).toEqual(crm.map((p) => [p.id]));
      expect(calls.count).toBe(3); // 50 searches / 20 aliases
    } finally {
      calls.restore();
    }
  });

  it('reads only the search\'s own results for someone the CRM does not hold', async () => {
    // "example" is in every address, so the fuzzy search returns everyone, page after page
    const calls = countCalls(sim.baseUrl);
    try {
      const [s] = await collect(limego, [{ email: ['nobody@northwind.example'] }]);
      expect(s!.found).toBe(false);
      expect(calls.count).toBeGreaterThan(1);
      expect(calls.count).toBeLessThanOrEqual(3);
    } finally {
      calls.restore();
    }
  });

  it('retries an injected 503 and then succeeds', async () => {
    await injectFault(sim.baseUrl, { pathPattern: '^/v1/graphql$', status: 503, count: 1 });
    const calls = countCalls(sim.baseUrl);
    try {
      const [anna] = await collect(limego, [{ email: [ANNA_EMAIL] }]);
      expect(persons(anna!).map((p) => p.id)).toEqual(['pase1578159']);
      expect(calls.count).toBe(2);
    } finally {
      calls.restore();
    }
  });

  it('honours a 429 with Retry-After, then succeeds', async () => {
    await injectFault(sim.baseUrl, { pathPattern: '^/v1/graphql$', status: 429, count: 1, retryAfterS: 1 });
    const started = Date.now();
    const [anna] = await collect(limego, [{ email: [ANNA_EMAIL] }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(anna!.found).toBe(true);
  });

  it('gives up with an HttpClientError that names no identifier once its retries are spent', async () => {
    await injectFault(sim.baseUrl, { pathPattern: '^/v1/graphql$', status: 503, count: 5 });
    const impatient = connector({ baseUrl: sim.baseUrl, apiKey: sim.key, retries: 1 });
    const e = await failure(collect(impatient, [{ email: [ANNA_EMAIL] }]));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(503);
    expect((e as Error).message).toBe('limego answered HTTP 503 to POST /v1/graphql');
    expect(lines.join('\n')).not.toContain('anna');
  });

  it('fails with HTTP 401 when the key is wrong (the key goes in Authorization without a scheme)', async () => {
    const wrong = connector({ baseUrl: sim.baseUrl, apiKey: 'not-the-key' });
    const e = await failure(collect(wrong, [{ email: [ANNA_EMAIL] }]));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(401);
  });
});

describe('limego connector: exact matching and errors (a stand-in server)', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await new TestServer().start();
  });
  afterEach(() => server.close());

  const person = (id: string, email: string | null, phoneNumber: string[]) => ({
    id, name: 'Anna Lindqvist', email, phoneNumber, employerName: null, employer: null, customFields: [],
  });

  it('matches phones by E.164 equality, not by containing the digits; identifiers travel as variables', async () => {
    const hits = [
      person('pase1', null, ['+467012345012']), // the number plus a digit (not a valid number)
      person('pase2', null, ['08-70 12 34 50']), // +46870123450: the digits inside
      person('pase3', null, ['+46701234502']),
      person('pase4', null, ['070-123 45 01']), // the same number in national format
      person('pase5', 'Anna.Lindqvist@Northwind.example ', []), // the same email, written otherwise
      person('pase6', 'anna.lindqvist@northwind.example.se', []),
    ];
    server.handler = (req, res) => {
      const body = JSON.parse(req.body) as { query: string; variables: Record<string, string> };
      const data = Object.fromEntries(Object.keys(body.variables).map((v) => [`l${v.slice(1)}`, hits]));
      json(res, 200, { data });
    };
    const c = connector({ baseUrl: server.url, apiKey: 'k3y' });
    const [byPhone, byEmail] = await collect(c, [{ phone: ['+46701234501'] }, { email: [ANNA_EMAIL] }]);
    expect(persons(byPhone!).map((p) => p.id)).toEqual(['pase4']);
    expect(persons(byEmail!).map((p) => p.id)).toEqual(['pase5']);
    expect(c.discover!(byPhone!)).toEqual([
      { kind: 'crmPersonId', value: 'pase4' },
      { kind: 'phone', value: '+46701234501' },
    ]);

    expect(server.hits).toBe(1);
    const sent = server.requests[0]!;
    expect(sent.url).toBe('/v1/graphql');
    expect(sent.headers.authorization).toBe('k3y');
    const body = JSON.parse(sent.body) as { query: string; variables: Record<string, string> };
    expect(Object.values(body.variables).sort()).toEqual(['+46701234501', ANNA_EMAIL]);
    expect(body.query).not.toMatch(/701234501|anna/i);
  });

  it('pages a search at most three times, whatever the search keeps returning', async () => {
    const offsets: string[] = [];
    server.handler = (req, res) => {
      const body = JSON.parse(req.body) as { query: string };
      offsets.push(...[...body.query.matchAll(/offset: (\d+)/g)].map((m) => m[1]!));
      const page = Array.from({ length: 20 }, (_, i) => person(`pase${offsets.length}${i}`, `someone${i}@northwind.example`, []));
      json(res, 200, { data: { l0: page } });
    };
    const [s] = await collect(connector({ baseUrl: server.url, apiKey: 'k' }), [{ email: [ANNA_EMAIL] }]);
    expect(s!.found).toBe(false);
    expect(offsets).toEqual(['0', '20', '40']);
  });

  it('stops paging once the exact hit is found and the page goes on with others', async () => {
    server.handler = (_req, res) => {
      const page = Array.from({ length: 20 }, (_, i) => person(`pase${i}`, i === 0 ? ANNA_EMAIL : `anna${i}@northwind.example`, []));
      json(res, 200, { data: { l0: page } });
    };
    const [s] = await collect(connector({ baseUrl: server.url, apiKey: 'k' }), [{ email: [ANNA_EMAIL] }]);
    expect(persons(s!).map((p) => p.id)).toEqual(['pase0']);
    expect(server.hits).toBe(1);
  });

  it('turns a GraphQL error answer into an HttpClientError without the upstream text', async () => {
    server.handler = (_req, res) =>
      json(res, 200, { data: null, errors: [{ message: 'No person anna.lindqvist@northwind.example here', path: ['l0'], extensions: { code: 'BAD_USER_INPUT' } }] });
    const e = await failure(collect(connector({ baseUrl: server.url, apiKey: 'k' }), [{ email: [ANNA_EMAIL] }]));
    expect(e).toBeInstanceOf(HttpClientError);
    expect((e as Error).message).toBe('limego answered HTTP 200 to POST /v1/graphql: the GraphQL answer reports an error (BAD_USER_INPUT)');
    expect(JSON.stringify(e)).not.toContain('anna');
  });

  it('rejects an answer of another shape', async () => {
    server.handler = (_req, res) => json(res, 200, { data: { l0: [{ name: 'no id' }] } });
    const e = await failure(collect(connector({ baseUrl: server.url, apiKey: 'k' }), [{ email: [ANNA_EMAIL] }]));
    expect(e).toBeInstanceOf(HttpClientError);
    expect((e as Error).message).toMatch(/does not have the expected shape$/);
  });

  it('asks nothing for subjects without an identifier it accepts', async () => {
    const [s] = await collect(connector({ baseUrl: server.url, apiKey: 'k' }), [{ appUserId: ['1'] }]);
    expect(s).toEqual({ found: false, restricted: false, datasets: [{ name: 'persons', records: [] }] });
    expect(server.hits).toBe(0);
  });
});

describe('limego connector: settings, descriptor and typed view', () => {
  it('names the bad setting in a ConfigError', () => {
    const bad = (settings: Record<string, unknown>) => {
      try {
        connector(settings);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad({ baseUrl: 'not a url', apiKey: 'k' })).toMatch(/^connectors\.limego\.baseUrl: /);
    expect(bad({ baseUrl: 'https://api.lime-go.com' })).toMatch(/^connectors\.limego\.apiKey: required/);
    expect(bad({ apiKeyEnv: 'DSR_TEST_NO_SUCH_VARIABLE' })).toMatch(/^connectors\.limego\.apiKeyEnv: /);
    expect(bad({ apiKey: 'k', retries: 99 })).toMatch(/^connectors\.limego\.retries: /);
    expect(bad({ apiKey: 'k', timeoutMs: 'soon' })).toMatch(/^connectors\.limego\.timeoutMs: /);
    // the real service is the default base URL
    expect(connector({ apiKey: 'k' }).id).toBe('limego');
  });

  it('describes the system truthfully', () => {
    const c = connector({ apiKey: 'k' });
    expect(c.accepts).toEqual(['email', 'phone', 'crmPersonId']);
    expect(c.system).toMatchObject({ processor: 'Lundalogik AB (Lime Go)', location: 'EU (Sweden)', capabilities: ['ACCESS', 'MANUAL_STEPS'] });
    expect(c.system.transferSafeguard).toBeUndefined();
    const [ds] = c.system.datasets;
    expect(ds).toMatchObject({ name: 'persons', legalBasis: 'LEGITIMATE_INTEREST' });
    expect(ds!.retention).toMatch(/7 years/);
    const described = ds!.fields.map((f) => f.name).sort();
    expect(described).toEqual(PERSON_FIELDS.replace(/\{[^}]*\}/g, '').split(/\s+/).filter(Boolean).sort());
  });

  it('adds crmPersons with their organisation to Subject', async () => {
    const sdl = printSchema(await buildGatewaySchema([limeGoConnectorFactory]));
    expect(sdl).toMatch(/crmPersons: \[CrmPerson!\]!/);
    const organization = /type CrmOrganization \{([^}]*)\}/.exec(sdl)![1]!;
    expect(organization.match(/^\s+(\w+):/gm)!.map((f) => f.trim().slice(0, -1)).sort()).toEqual(['city', 'id', 'name', 'organizationNumber']);

    const record = world.limego.persons.find((p) => p.id === 'pase1578159')!;
    const org = world.limego.organizations.find((o) => o.id === record.employerId)!;
    const row = {
      id: record.id, name: record.name, email: record.email, phoneNumber: record.phoneNumber, employerName: org.name,
      employer: { id: org.id, name: org.name, city: org.city, organizationNumber: org.organizationNumber }, customFields: record.customFields,
    };
    const subject = Subject.from({
      identifiers: [], found: true, restricted: false, erasedAt: null,
      systems: [{ system: 'limego', status: 'OK', error: null, fetchedAt: new Date(), snapshot: { found: true, restricted: false, datasets: [{ name: 'persons', records: [row] }] } }],
    });
    expect(new LimeGoSubjectResolver().crmPersons(subject)).toEqual([
      {
        id: 'pase1578159', name: 'Anna Lindqvist', email: ANNA_EMAIL, phoneNumbers: ['+46701234501'],
        title: record.customFields[0]!.value, customFields: record.customFields,
        organization: { id: org.id, name: 'Northwind Traders AB', city: org.city, organizationNumber: '556123-4567' },
      },
    ]);
  });
});
