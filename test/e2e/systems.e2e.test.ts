import { sampleSubjects, type SampleSubject } from '../../simulators/world';
import { codes, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const VIEW = `query($input: SubjectInput!) { subject(input: $input) {
  found identifiers { kind value source }
  systems { system status error recordCount datasets { name totalCount records(first: 1000) } }
} }`;

/** The gateway over HTTP against the simulators of SendGrid, Lime Go and Hogia, as `npm start` runs them. */
describe('subject across the app, SendGrid, Lime Go and Hogia', () => {
  let gw: TestGateway;
  let samples: SampleSubject[];
  const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
  const view = async (input: Record<string, string>) => {
    const res = await gw.gql(TOKENS.OPERATOR, VIEW, { input });
    expect(res.errors).toBeUndefined();
    return res.data.subject;
  };
  const system = (subject: any, id: string) => subject.systems.find((s: any) => s.system === id);
  const records = (subject: any, id: string, dataset: string) => system(subject, id).datasets.find((d: any) => d.name === dataset)?.records ?? [];
  const creds = () => gw.simulators!.credentials();
  const sim = (id: 'sendgrid' | 'limego' | 'hogia') => creds()[id].baseUrl;
  const fault = (id: 'sendgrid' | 'limego' | 'hogia', body: Record<string, unknown>) =>
    fetch(`${sim(id)}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const clearFaults = () => Promise.all((['sendgrid', 'limego', 'hogia'] as const).map((id) => fetch(`${sim(id)}/__sim/faults`, { method: 'DELETE' })));

  beforeAll(async () => {
    gw = await startTestGateway({
      simulators: true,
      tune: {
        sendgrid: { retries: 2, breaker: { failureThreshold: 3, cooldownMs: 700 } },
        hogia: { deadlineMs: 1500 },
      },
    });
    samples = sampleSubjects(gw.simulators!.world());
  });
  afterAll(() => gw.close());
  afterEach(() => clearFaults());

  it('finds each sample subject in exactly the systems that hold data about them', async () => {
    for (const s of samples.filter((x) => x.ref !== 'lookalike-anna')) {
      const subject = await view({ email: s.email });
      const ok = subject.systems.filter((x: any) => x.status === 'OK').map((x: any) => x.system);
      expect({ who: s.ref, systems: ok.sort() }).toEqual({ who: s.ref, systems: [...s.systems].sort() });
    }
  });

  it("shows what each system's own API returns for the person", async () => {
    const anna = sample('app-1');
    const subject = await view({ email: anna.email });

    const sg = await fetch(`${sim('sendgrid')}/v3/messages?query=${encodeURIComponent(`to_email="${anna.email}"`)}&limit=1000`, {
      headers: { authorization: `Bearer ${creds().sendgrid.key}` },
    });
    const { messages } = (await sg.json()) as { messages: { msg_id: string }[] };
    expect(messages.length).toBeGreaterThan(0);
    const gatewayMessages = records(subject, 'sendgrid', 'messages');
    expect([...gatewayMessages].sort((a: any, b: any) => a.msg_id.localeCompare(b.msg_id))).toEqual(
      [...messages].sort((a, b) => a.msg_id.localeCompare(b.msg_id)),
    );

    const lg = await fetch(`${sim('limego')}/v1/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: creds().limego.key },
      body: JSON.stringify({ query: 'query($id: ID!) { person(id: $id) { id name email phoneNumber } }', variables: { id: anna.ids.crmPersonId } }),
    });
    const person = ((await lg.json()) as any).data.person;
    const crm = records(subject, 'limego', 'persons');
    expect(crm).toHaveLength(1);
    expect(crm[0]).toMatchObject(person);

    const h = creds().hogia;
    const token = await fetch(h.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: h.clientId, client_secret: h.key }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const contact = await fetch(`${h.apiBaseUrl}/contacts/${anna.ids.hogiaContactId}?api-version=${h.apiVersion}`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    }).then((r) => r.json());
    expect(records(subject, 'hogia', 'contacts')).toEqual([contact]);
  });

  it('enriches: an email finds the CRM person and the invoicing contact', async () => {
    const anna = sample('app-1');
    const subject = await view({ email: anna.email });
    const ids = subject.identifiers.map((i: any) => `${i.kind}:${i.value}:${i.source}`);
    expect(ids).toEqual(expect.arrayContaining([`crmPersonId:${anna.ids.crmPersonId}:limego`, `appUserId:1:app`]));
    expect(system(subject, 'hogia').status).toBe('OK');
    // the look-alike in Lime Go's fuzzy search is not Anna
    expect(records(subject, 'limego', 'persons').map((p: any) => p.id)).toEqual([anna.ids.crmPersonId]);
    expect(JSON.stringify(subject)).not.toContain(sample('lookalike-anna').email);
  });

  it("enriches: a private customer's number alone finds their email, app account and email logs", async () => {
    const sofia = sample('app-4');
    const subject = await view({ customerNumber: sofia.ids.customerNumber! });
    expect(subject.identifiers).toEqual(expect.arrayContaining([{ kind: 'email', value: sofia.email.toLowerCase(), source: 'hogia' }]));
    expect(system(subject, 'app').status).toBe('OK');
    expect(records(subject, 'app', 'profile')[0].id).toBe(4);

    const karin = sample('private-karin');
    const k = await view({ customerNumber: karin.ids.customerNumber! });
    expect(k.systems.filter((x: any) => x.status === 'OK').map((x: any) => x.system).sort()).toEqual(['hogia', 'limego', 'sendgrid', 'zoom']);
  });

  it("never hops through an organisation: a contact person does not get the company's invoices or colleagues", async () => {
    const anna = sample('app-1');
    const subject = await view({ email: anna.email });
    const contacts = records(subject, 'hogia', 'contacts');
    expect(contacts.map((c: any) => c.id)).toEqual([anna.ids.hogiaContactId]);
    const invoiceRefs = records(subject, 'hogia', 'invoices').map((i: any) => JSON.stringify(i));
    expect(invoiceRefs.every((text: string) => text.includes('Lindqvist'))).toBe(true);
    const crmOrgPeople = JSON.stringify(records(subject, 'limego', 'persons'));
    expect(crmOrgPeople).not.toMatch(/employees|colleague/);
  });

  it('retries a 503 burst and a 429 with Retry-After, then answers', async () => {
    await fault('sendgrid', { pathPattern: '^/v3/messages', status: 503, count: 2 });
    await fault('limego', { pathPattern: '^/v1/graphql', status: 429, count: 1, retryAfterS: 1 });
    const before = gw.logs.length;
    const subject = await view({ email: sample('app-1').email });
    expect(system(subject, 'sendgrid').status).toBe('OK');
    expect(system(subject, 'limego').status).toBe('OK');
    const retries = gw.logs.slice(before).filter((l) => l.includes('http retry'));
    expect(retries.some((l) => l.includes('"system":"sendgrid"'))).toBe(true);
    expect(retries.some((l) => l.includes('"system":"limego"'))).toBe(true);
  });

  it('a system slower than its deadline is TIMEOUT; the others answer', async () => {
    await fault('hogia', { pathPattern: '/contacts', latencyMs: 3000, count: 4 });
    const subject = await view({ email: sample('app-1').email });
    expect(system(subject, 'hogia')).toMatchObject({ status: 'TIMEOUT', recordCount: 0 });
    expect(system(subject, 'hogia').error).toMatch(/did not answer within 1500 ms/);
    for (const id of ['app', 'sendgrid', 'limego']) expect(system(subject, id).status).toBe('OK');
  });

  it('a system that is down is ERROR, its circuit opens, and closes again when it is back', async () => {
    await fault('sendgrid', { pathPattern: '^/v3/', status: 503 });
    const first = await view({ email: sample('app-2').email });
    expect(system(first, 'sendgrid').status).toBe('ERROR');
    expect(system(first, 'sendgrid').error).toMatch(/sendgrid/);
    expect(system(first, 'app').status).toBe('OK');

    const open = await view({ email: sample('app-3').email });
    expect(system(open, 'sendgrid').status).toBe('ERROR');
    expect(gw.logs.some((l) => l.includes('http circuit open'))).toBe(true);

    await clearFaults();
    await new Promise((r) => setTimeout(r, 800));
    const back = await view({ email: sample('app-3').email });
    expect(system(back, 'sendgrid').status).toBe('OK');
  });

  it('lists every system in the data map with its descriptor', async () => {
    const res = await gw.gql(TOKENS.VIEWER, '{ systems { id processor location transferSafeguard datasets { name legalBasis retention } } }');
    const ids = res.data.systems.map((s: any) => s.id);
    expect(ids).toEqual(['app', 'sendgrid', 'limego', 'hogia', 'linkedin', 'googleads', 'zoom']);
    const hogia = res.data.systems.find((s: any) => s.id === 'hogia');
    expect(hogia.datasets.find((d: any) => d.name === 'invoices')).toMatchObject({
      legalBasis: 'LEGAL_OBLIGATION',
      retention: 'through the 7th calendar year after the fiscal year ends, bokföringslagen 7 kap. 2 §',
    });
    expect(codes(await gw.gql(null, '{ systems { id } }'))).toEqual(['UNAUTHENTICATED']);
  });
});
