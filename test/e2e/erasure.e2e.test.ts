import { sampleSubjects, type SampleSubject } from '../../simulators/world';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { codes, requestSteps, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const REQUEST = `query($id: ID!) { request(id: $id) {
  id type status completedAt approvedBy subject { kind value source }
  tasks { system status attempts lastError note confirmedBy evidence recordsDeleted recordsAnonymized recordsRetained retainedUntil legalBasis verifiedAt }
  erasureReport { completedAt systems { system status verifiedAt } }
} }`;
const SUBMIT = 'mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id status } }';
const VIEW = `query($input: SubjectInput!) { subject(input: $input) { found restricted erasedAt
  systems { system status datasets { name totalCount } } appUser { firstName marketingConsent processingRestricted } } }`;

/** Erasure and the other actions, end to end against the app database and the simulators. */
describe('erasure, restriction, objection and rectification', () => {
  let gw: TestGateway;
  let samples: SampleSubject[];
  const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
  const { get, submit, until, task } = requestSteps(() => gw, REQUEST);
  const approve = (id: string, token: string = TOKENS.APPROVER) => gw.gql(token, 'mutation($id: ID!) { approveRequest(id: $id) { status approvedBy } }', { id });
  const view = async (input: Record<string, string>) => (await gw.gql(TOKENS.OPERATOR, VIEW, { input })).data.subject;
  const system = (subject: any, id: string) => subject.systems.find((s: any) => s.system === id);
  const sim = (id: 'sendgrid' | 'limego' | 'hogia') => gw.simulators!.credentials()[id].baseUrl;
  const appSql = async (sql: string, params: unknown[] = []) => {
    const ds = createSqlDataSource(parseDatabaseUrl(gw.appUrl));
    await ds.initialize();
    try {
      return (await ds.query(sql, params)) as Record<string, unknown>[];
    } finally {
      await ds.destroy();
    }
  };

  beforeAll(async () => {
    gw = await startTestGateway({ simulators: true, env: { DSR_TASK_MAX_ATTEMPTS: '2' }, tune: { sendgrid: { retries: 0, breaker: { failureThreshold: 50, cooldownMs: 500 } } } });
    samples = sampleSubjects(gw.simulators!.world());
  });
  afterAll(() => gw.close());

  it('plans an erasure without changing anything', async () => {
    const anna = sample('app-1');
    const before = await view({ email: anna.email });
    const res = await gw.gql(TOKENS.OPERATOR, 'query($i: SubjectInput!) { erasurePlan(input: $i) { subject { kind value } steps { system dataset action records retainedUntil legalBasis note } } }', { i: { email: anna.email } });
    expect(res.errors).toBeUndefined();
    const steps = res.data.erasurePlan.steps;
    expect(steps.filter((s: any) => s.system === 'app').every((s: any) => s.action === 'DELETE')).toBe(true);
    expect(steps.find((s: any) => s.system === 'app' && s.dataset === 'activity').records).toBe(system(before, 'app').datasets.find((d: any) => d.name === 'activity').totalCount);
    expect(steps.find((s: any) => s.system === 'limego')).toMatchObject({ action: 'MANUAL', records: 1 });
    expect(steps.some((s: any) => s.system === 'sendgrid' && s.action === 'RETAIN' && s.retainedUntil)).toBe(true);
    expect(await view({ email: anna.email })).toEqual(before);
  });

  it('needs a second person: the submitter cannot approve their own erasure', async () => {
    const r = await submit({ type: 'ERASURE', subject: { email: 'nobody@nowhere.example' } }, TOKENS.OPERATOR_APPROVER);
    expect(r.status).toBe('AWAITING_APPROVAL');
    expect(codes(await approve(r.id, TOKENS.OPERATOR_APPROVER))).toEqual(['FOUR_EYES_REQUIRED']);
    expect(codes(await approve(r.id, TOKENS.OPERATOR))).toEqual(['FORBIDDEN']);
    const rejected = await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { rejectRequest(id: $id, reason: "identity not verified") { status } }', { id: r.id });
    expect(rejected.data.rejectRequest.status).toBe('REJECTED');
    expect((await get(r.id)).tasks.every((t: any) => t.status === 'SKIPPED')).toBe(true);
  });

  it('erases a person from every system, with a manual step that is verified, and leaves tombstones', async () => {
    const anna = sample('app-1');
    const r = await submit({ type: 'ERASURE', subject: { email: anna.email } });
    expect((await approve(r.id)).data.approveRequest).toEqual({ status: 'IN_PROGRESS', approvedBy: 'anders' });
    let req = await until(r.id, ['AWAITING_MANUAL_STEPS']);
    expect(task(req, 'limego')).toMatchObject({ status: 'WAITING_FOR_OPERATOR' });
    expect(task(req, 'limego').note).toMatch(/Lime Go/i);
    expect(task(req, 'app')).toMatchObject({ status: 'SUCCEEDED' });
    expect(task(req, 'app').recordsDeleted).toBeGreaterThan(100);
    expect(task(req, 'app').verifiedAt).toBeTruthy();
    expect(task(req, 'sendgrid')).toMatchObject({ status: 'RETAINED' });
    expect(task(req, 'sendgrid').retainedUntil).toBeTruthy();
    expect(['RETAINED', 'SUCCEEDED']).toContain(task(req, 'hogia').status);

    // a confirmation that was not really done fails verification
    const fake = await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { confirmManualStep(requestId: $id, system: "limego", evidence: "deleted in the CRM") { status } }', { id: r.id });
    expect(fake.errors).toBeUndefined();
    req = await until(r.id, ['PARTIALLY_COMPLETED']);
    expect(task(req, 'limego').status).toBe('FAILED');
    expect(task(req, 'limego').lastError).toMatch(/verification failed/);
    expect(req.subject.every((i: any) => i.value !== '<erased>')).toBe(true);

    // retried, the step waits for a person again; the administrator really deletes, and it is verified
    await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { retryRequest(id: $id) { status } }', { id: r.id });
    await until(r.id, ['AWAITING_MANUAL_STEPS']);
    expect((await fetch(`${sim('limego')}/__sim/persons/${anna.ids.crmPersonId}`, { method: 'DELETE' })).status).toBeLessThan(300);
    await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { confirmManualStep(requestId: $id, system: "limego", evidence: "deleted in the CRM, ticket 17") { status } }', { id: r.id });
    req = await until(r.id, ['COMPLETED']);
    expect(task(req, 'limego')).toMatchObject({ status: 'SUCCEEDED' });
    expect(task(req, 'limego').verifiedAt).toBeTruthy();
    expect(req.subject.length).toBeGreaterThan(1);
    expect(req.subject.every((i: any) => i.value === '<erased>')).toBe(true);
    expect(req.erasureReport.systems.map((s: any) => s.system).sort()).toEqual(['app', 'googleads', 'hogia', 'limego', 'linkedin', 'sendgrid', 'zoom']);
    expect(task(req, 'zoom')).toMatchObject({ status: 'SUCCEEDED', recordsDeleted: anna.ids.zoomRegistrantIds!.length });
    expect(task(req, 'zoom').verifiedAt).toBeTruthy();

    const after = await view({ email: anna.email });
    expect(after.erasedAt).toBeTruthy();
    expect(system(after, 'app').status).toBe('NOT_FOUND');
    expect(system(after, 'limego').status).toBe('NOT_FOUND');
    const sg = Object.fromEntries(system(after, 'sendgrid').datasets.map((d: any) => [d.name, d.totalCount]));
    expect(sg.marketing_contacts ?? 0).toBe(0);
    expect(Number((await appSql('SELECT COUNT(*) AS n FROM users WHERE id = 1 OR email_normalized = ?', [anna.email]))[0]!.n)).toBe(0);
    for (const table of ['view_events', 'enrolments', 'mission_assignments', 'answers']) {
      expect(Number((await appSql(`SELECT COUNT(*) AS n FROM ${table} WHERE user_id = 1`))[0]!.n)).toBe(0);
    }
    const erasejobs = await (await fetch(`${sim('sendgrid')}/__sim/state/erasejobs`)).text();
    expect(erasejobs).toContain(anna.email);

    // the same erasure again reports truthfully that nothing is left
    const again = await submit({ type: 'ERASURE', subject: { email: anna.email } });
    await approve(again.id);
    const second = await until(again.id, ['COMPLETED', 'PARTIALLY_COMPLETED', 'AWAITING_MANUAL_STEPS']);
    expect(task(second, 'app').status).toBe('NOT_FOUND');
    expect(task(second, 'limego').status).toBe('NOT_FOUND');
    expect(task(second, 'zoom').status).toBe('NOT_FOUND');
  });

  it("keeps a private customer's invoices and customer record, with the date they may go, and nothing else", async () => {
    const karin = sample('private-karin');
    const r = await submit({ type: 'ERASURE', subject: { customerNumber: karin.ids.customerNumber! } });
    await approve(r.id);
    await until(r.id, ['AWAITING_MANUAL_STEPS']);
    await fetch(`${sim('limego')}/__sim/persons/${karin.ids.crmPersonId}`, { method: 'DELETE' });
    await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { confirmManualStep(requestId: $id, system: "limego", evidence: "deleted by the CRM administrator") { status } }', { id: r.id });
    const done = await until(r.id, ['COMPLETED']);
    const hogia = task(done, 'hogia');
    expect(hogia).toMatchObject({ status: 'RETAINED', legalBasis: 'bokföringslagen 7 kap. 2 §' });
    // her newest invoice is of 2026: kept through the seventh year after that fiscal year
    expect(hogia.retainedUntil).toBe('2033-12-31T23:59:59.999Z');
    const after = (await gw.gql(TOKENS.OPERATOR, 'query($n: String!) { subject(input: {customerNumber: $n}) { erasedAt systems { system status datasets { name totalCount records } } invoiceContacts { channels { type } } } }', { n: karin.ids.customerNumber })).data.subject;
    expect(after.erasedAt).toBeTruthy();
    const h = system(after, 'hogia');
    expect(h.status).toBe('OK');
    expect(h.datasets.find((d: any) => d.name === 'invoices').totalCount).toBeGreaterThan(0);
    expect(JSON.stringify(h)).not.toContain(karin.email);
    for (const id of ['sendgrid', 'limego']) expect(system(after, id).status).not.toBe('ERROR');
    expect(JSON.stringify(after)).not.toContain(karin.email);
  });

  it('a failure in SendGrid leaves the erasure PARTIALLY_COMPLETED; retryRequest completes it', async () => {
    const maria = sample('app-7');
    await fetch(`${sim('sendgrid')}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pathPattern: '^/v3/', status: 503 }) });
    let r: any;
    try {
      const submitted = await submit({ type: 'ERASURE', subject: { email: maria.email } });
      await approve(submitted.id);
      r = await until(submitted.id, ['PARTIALLY_COMPLETED']);
      expect(task(r, 'sendgrid')).toMatchObject({ status: 'FAILED', attempts: 2 });
      expect(task(r, 'app').status).toBe('SUCCEEDED');
    } finally {
      await fetch(`${sim('sendgrid')}/__sim/faults`, { method: 'DELETE' });
    }
    await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { retryRequest(id: $id) { status } }', { id: r.id });
    const done = await until(r.id, ['COMPLETED']);
    expect(task(done, 'sendgrid').status).toBe('RETAINED');
    expect(task(done, 'app').status).toBe('SUCCEEDED');
  });

  it('restricts processing and lifts it again, each by a request', async () => {
    const erik = sample('app-2');
    const on = await submit({ type: 'RESTRICTION', subject: { email: erik.email } });
    expect(on.status).toBe('IN_PROGRESS');
    await until(on.id, ['COMPLETED', 'AWAITING_MANUAL_STEPS']);
    expect((await view({ email: erik.email })).restricted).toBe(true);
    const off = await submit({ type: 'RESTRICTION', subject: { email: erik.email }, liftRestriction: true });
    await until(off.id, ['COMPLETED', 'AWAITING_MANUAL_STEPS']);
    expect((await view({ email: erik.email })).appUser.processingRestricted).toBe(false);
  });

  it('honours an objection to marketing without approval', async () => {
    const erikx = sample('app-3');
    await appSql('UPDATE users SET marketing_consent = 1 WHERE id = 3');
    const r = await submit({ type: 'OBJECTION', subject: { email: erikx.email } });
    expect(r.status).toBe('IN_PROGRESS');
    await until(r.id, ['COMPLETED', 'AWAITING_MANUAL_STEPS']);
    expect((await view({ email: erikx.email })).appUser.marketingConsent).toBe(false);
    const global = await fetch(`${sim('sendgrid')}/v3/asm/suppressions/global/${encodeURIComponent(erikx.email)}`, {
      headers: { authorization: `Bearer ${gw.simulators!.credentials().sendgrid.key}` },
    });
    expect(await global.json()).toEqual({ recipient_email: erikx.email });
  });

  it('applies corrections and keeps their values out of the audit trail', async () => {
    const jons = sample('app-5');
    const bad = await gw.gql(TOKENS.OPERATOR, SUBMIT, {
      input: { type: 'RECTIFICATION', subject: { email: jons.email }, verification: 'letter', changes: [{ system: 'nosuch', field: 'first_name', value: 'X' }] },
    });
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    const r = await submit({ type: 'RECTIFICATION', subject: { email: jons.email }, changes: [{ system: 'app', field: 'first_name', value: 'Jöns-Olof' }] });
    const done = await until(r.id, ['COMPLETED']);
    expect(task(done, 'app').status).toBe('SUCCEEDED');
    expect(task(done, 'limego').status).toBe('SKIPPED');
    expect((await view({ email: jons.email })).appUser.firstName).toBe('Jöns-Olof');
    // the request shows the corrections asked for (whoever does a manual step needs the values); a VIEWER sees none
    const CHANGES = 'query($id: ID!) { request(id: $id) { changes { system field value } } }';
    expect((await gw.gql(TOKENS.OPERATOR, CHANGES, { id: r.id })).data.request.changes).toEqual([{ system: 'app', field: 'first_name', value: 'Jöns-Olof' }]);
    expect((await gw.gql(TOKENS.VIEWER, CHANGES, { id: r.id })).data.request.changes).toEqual([{ system: 'app', field: 'first_name', value: '<hidden>' }]);
    const dump = JSON.stringify(await gw.gateway.store.query('SELECT * FROM audit_events'));
    expect(dump).not.toContain('Jöns-Olof');
    const events = await gw.gql(TOKENS.AUDITOR, 'query($id: ID) { auditEvents(requestId: $id) { edges { node { action } } } }', { id: r.id });
    const actions = events.data.auditEvents.edges.map((e: any) => e.node.action);
    expect(actions).toEqual(expect.arrayContaining(['request.submitted', 'request.rectification.app.succeeded', 'request.rectified.first_name', 'request.rectification.limego.skipped']));
  });

  it('a confirmation that failed its verification is the proof once the person is gone and the request is retried', async () => {
    const jons = sample('app-5');
    const r = await submit({ type: 'ERASURE', subject: { email: jons.email } });
    expect((await approve(r.id)).data.approveRequest.status).toBe('IN_PROGRESS');
    await until(r.id, ['AWAITING_MANUAL_STEPS']);
    const confirm = () => gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { confirmManualStep(requestId: $id, system: "limego", evidence: "deleted in the CRM, ticket 21") { status } }', { id: r.id });
    expect((await confirm()).errors).toBeUndefined();
    let req = await until(r.id, ['PARTIALLY_COMPLETED']);
    expect(task(req, 'limego')).toMatchObject({ status: 'FAILED', confirmedBy: 'olivia' });
    // the administrator deletes the person only now, then the request is retried
    expect((await fetch(`${sim('limego')}/__sim/persons/${jons.ids.crmPersonId}`, { method: 'DELETE' })).status).toBeLessThan(300);
    await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { retryRequest(id: $id) { status } }', { id: r.id });
    req = await until(r.id, ['COMPLETED']);
    expect(task(req, 'limego')).toMatchObject({ status: 'SUCCEEDED', confirmedBy: 'olivia', evidence: 'deleted in the CRM, ticket 21' });
    expect(task(req, 'limego').verifiedAt).toBeTruthy();
  });
});
