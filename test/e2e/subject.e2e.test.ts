import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { codes, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const SUBJECT = `query($input: SubjectInput!) {
  subject(input: $input) {
    found restricted
    identifiers { kind value source }
    systems { system status error recordCount fetchedAt datasets { name totalCount records(first: 1000) } }
    appUser { id firstName lastName email phone marketingConsent processingRestricted employer { name contractEnd } }
    enrolments { id courseTitle progressPercent certificateId }
    answers { id missionTitle answerText score }
  }
}`;

describe('subject: the live view of one person in the app database', () => {
  let gw: TestGateway;
  const sql = async (query: string, params: unknown[] = []) => {
    const ds = createSqlDataSource(parseDatabaseUrl(gw.appUrl));
    await ds.initialize();
    try {
      return (await ds.query(query, params)) as Record<string, unknown>[];
    } finally {
      await ds.destroy();
    }
  };
  const subject = (input: Record<string, string | undefined>) => gw.gql(TOKENS.OPERATOR, SUBJECT, { input });

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('returns what the app database holds about the person, dataset by dataset', async () => {
    const res = await subject({ email: 'anna.lindqvist@northwind.example' });
    expect(res.errors).toBeUndefined();
    const s = res.data.subject;
    expect(s.found).toBe(true);
    expect(s.appUser).toMatchObject({ id: '1', firstName: 'Anna', lastName: 'Lindqvist', email: 'anna.lindqvist@northwind.example', phone: '+46701234501' });
    expect(s.appUser.employer.name).toBe('Northwind Traders AB');
    const app = s.systems.find((x: any) => x.system === 'app');
    expect(app.status).toBe('OK');
    const counts = Object.fromEntries(app.datasets.map((d: any) => [d.name, d.totalCount]));
    for (const [dataset, table] of [['activity', 'view_events'], ['enrolments', 'enrolments'], ['assignments', 'mission_assignments'], ['answers', 'answers']]) {
      const [row] = await sql(`SELECT COUNT(*) AS n FROM ${table} WHERE user_id = 1`);
      expect(counts[dataset!]).toBe(Number(row!.n));
    }
    expect(app.recordCount).toBe(Object.values(counts).reduce((a: number, b) => a + (b as number), 0));
    const [profile] = await sql('SELECT * FROM users WHERE id = 1');
    const profileRecord = app.datasets.find((d: any) => d.name === 'profile').records[0];
    for (const k of ['id', 'first_name', 'last_name', 'email', 'phone', 'created_at', 'last_login_at', 'marketing_consent']) {
      expect(profileRecord[k]).toEqual(profile![k]);
    }
    expect(s.enrolments).toHaveLength(counts.enrolments);
    expect(s.answers).toHaveLength(counts.answers);
    const ids = s.identifiers.map((i: any) => `${i.kind}:${i.value}:${i.source}`);
    expect(ids).toEqual(expect.arrayContaining(['email:anna.lindqvist@northwind.example:input', 'appUserId:1:app', 'phone:+46701234501:app']));
  });

  it('matches exactly: an underscore, a percent sign or an asterisk is only itself', async () => {
    const erik = await subject({ email: 'erik_nilsson@contoso.example' });
    const profile = erik.data.subject.systems[0].datasets.find((d: any) => d.name === 'profile');
    expect(profile.records.map((r: any) => r.email)).toEqual(['erik_nilsson@contoso.example']);
    const erikActivity = erik.data.subject.systems[0].datasets.find((d: any) => d.name === 'activity').records;
    expect(erikActivity.every((r: any) => r.user_id === 2)).toBe(true);

    for (const email of ['%@%', 'erik%@contoso.example', 'erik_nilsso_@contoso.example', '*@contoso.example', 'erik*@contoso.example', 'jons.akesson@tailspin.example', 'joens.aakesson@tailspin.example', "x'OR'1'='1'--@x.se"]) {
      const res = await subject({ email });
      expect(res.errors).toBeUndefined();
      expect(res.data.subject.found).toBe(false);
      expect(res.data.subject.systems[0]).toMatchObject({ status: 'NOT_FOUND', recordCount: 0 });
    }
  });

  it('normalises identifiers: case, surrounding space, Unicode NFC, phone formats', async () => {
    const nfd = 'jöns.åkesson@tailspin.example'.normalize('NFD');
    for (const input of [{ email: '  SOFIA.BERG@fabrikam.EXAMPLE ' }, { email: nfd }, { phone: '070-123 45 01' }, { phone: '+46 70 123 45 01' }, { appUserId: '1' }]) {
      const res = await subject(input);
      expect(res.errors).toBeUndefined();
      expect(res.data.subject.found).toBe(true);
    }
    expect((await subject({ email: nfd })).data.subject.appUser.firstName).toBe('Jöns');
    expect((await subject({ phone: '0701234501' })).data.subject.appUser.id).toBe('1');
  });

  it('flags a subject whose processing is restricted', async () => {
    const res = await subject({ email: 'maria.holm@northwind.example' });
    expect(res.data.subject.restricted).toBe(true);
    expect(res.data.subject.appUser.processingRestricted).toBe(true);
    expect((await subject({ email: 'anna.lindqvist@northwind.example' })).data.subject.restricted).toBe(false);
  });

  it('rejects bad input with BAD_USER_INPUT and no data', async () => {
    for (const input of [{}, { email: 'not-an-email' }, { email: 'a@b\u0000c' }, { email: `${'a'.repeat(250)}@x.se` }, { phone: '12' }, { appUserId: '1; DROP TABLE users' }, { crmPersonId: '../../etc' }]) {
      const res = await subject(input);
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.data).toBeNull();
    }
    const bad = await gw.gql(TOKENS.OPERATOR, '{ subject(input: {email: "anna.lindqvist@northwind.example"}) { systems { datasets { records(first: 5000) } } } }');
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    const wrongType = await gw.gql(TOKENS.OPERATOR, 'query($i: SubjectInput!) { subject(input: $i) { found } }', { i: { email: 5 } });
    expect(codes(wrongType)).toEqual(['BAD_USER_INPUT']);
  });

  it('pages through activity with opaque cursors, newest first', async () => {
    const q = `query($after: String) { subject(input: {appUserId: "1"}) { activity(first: 25, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id viewedAt contentTitle } } } } }`;
    const first = (await gw.gql(TOKENS.OPERATOR, q)).data.subject.activity;
    const second = (await gw.gql(TOKENS.OPERATOR, q, { after: first.pageInfo.endCursor })).data.subject.activity;
    const [row] = await sql('SELECT COUNT(*) AS n FROM view_events WHERE user_id = 1');
    expect(first.totalCount).toBe(Number(row!.n));
    expect(first.edges).toHaveLength(25);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const ids = [...first.edges, ...second.edges].map((e: any) => e.node.id);
    expect(new Set(ids).size).toBe(50);
    const times = [...first.edges, ...second.edges].map((e: any) => e.node.viewedAt);
    expect([...times].sort().reverse()).toEqual(times);
    const forged = await gw.gql(TOKENS.OPERATOR, q, { after: 'bm90LWEtY3Vyc29y' });
    expect(codes(forged)).toEqual(['BAD_USER_INPUT']);
  });

  it('fetches 100 subjects with one query per app dataset', async () => {
    const users = await sql('SELECT id, email_normalized FROM users ORDER BY id LIMIT 100');
    const inputs = users.map((u) => ({ email: String(u.email_normalized) }));
    const before = gw.app().queries.count;
    const res = await gw.gql(TOKENS.OPERATOR, 'query($inputs: [SubjectInput!]!) { subjects(inputs: $inputs) { found appUser { id } systems { status recordCount } } }', { inputs });
    const queries = gw.app().queries.count - before;
    expect(res.errors).toBeUndefined();
    expect(res.data.subjects).toHaveLength(100);
    expect(res.data.subjects.map((s: any) => s.appUser.id)).toEqual(users.map((u) => String(u.id)));
    expect(queries).toBe(gw.app().system.datasets.length);
  });

  it('refuses more subjects in one call than configured', async () => {
    const inputs = Array.from({ length: gw.config.maxSubjectsPerCall + 1 }, (_, i) => ({ appUserId: String(i + 1) }));
    const res = await gw.gql(TOKENS.OPERATOR, 'query($inputs: [SubjectInput!]!) { subjects(inputs: $inputs) { found } }', { inputs });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  });

  it('describes the app in the data map', async () => {
    const res = await gw.gql(TOKENS.VIEWER, '{ systems { id name processor location capabilities datasets { name legalBasis retention fields { name category provenance } } } }');
    const app = res.data.systems.find((s: any) => s.id === 'app');
    expect(app.location).toMatch(/EU/);
    const fields = (ds: string) => app.datasets.find((d: any) => d.name === ds).fields;
    expect(fields('answers').find((f: any) => f.name === 'answer_text').provenance).toBe('PROVIDED');
    expect(fields('activity').find((f: any) => f.name === 'viewed_at').provenance).toBe('OBSERVED');
    expect(fields('enrolments').find((f: any) => f.name === 'progress_percent').provenance).toBe('DERIVED');
    expect(app.datasets.every((d: any) => d.legalBasis === 'CONTRACT' && /1 year after/.test(d.retention))).toBe(true);
  });

  it('keeps identifiers out of the logs', async () => {
    await subject({ email: 'anna.lindqvist@northwind.example', phone: '+46701234501' });
    const text = gw.logs.join('');
    expect(text).not.toMatch(/anna\.lindqvist|46701234501|Lindqvist/i);
    expect(text).not.toContain(TOKENS.OPERATOR);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
  });
});
