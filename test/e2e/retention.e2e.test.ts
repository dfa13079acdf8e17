import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { codes, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const CANDIDATES = `query($first: Int, $after: String) { retentionCandidates(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { subject { kind value source } system dataset rule legalBasis since openRequestId } } } }`;
const SWEEP = `mutation($dryRun: Boolean!) { runRetentionSweep(dryRun: $dryRun) {
  dryRun candidates created skipped
  requests { id type status origin submittedBy subject { kind value } }
  subjects { subject { kind value } systems since requestId skipped } } }`;
const REQUEST = `query($id: ID!) { request(id: $id) { id type status origin approvedBy tasks { system status } } }`;

/** Retention: candidates past their rule, and sweeps that propose erasures for the four-eyes flow. */
describe('retention (Art. 5(1)(e))', () => {
  let gw: TestGateway;
  /** App user ids whose employer's contract ended more than a year ago, straight from the app database. */
  let expected: string[];
  const appSql = async (sql: string, params: unknown[] = []) => {
    const ds = createSqlDataSource(parseDatabaseUrl(gw.appUrl));
    await ds.initialize();
    try {
      return (await ds.query(sql, params)) as Record<string, unknown>[];
    } finally {
      await ds.destroy();
    }
  };
  const appUserIds = (subjects: { subject: { kind: string; value: string }[] }[]) =>
    subjects.map((s) => s.subject.find((i) => i.kind === 'appUserId')!.value).sort((a, b) => Number(a) - Number(b));
  const allCandidates = async (first: number) => {
    const edges: any[] = [];
    let after: string | null = null;
    let pages = 0;
    let totalCount = -1;
    for (;;) {
      const res: { data?: any; errors?: unknown } = await gw.gql(TOKENS.OPERATOR, CANDIDATES, { first, after });
      expect(res.errors).toBeUndefined();
      const page: any = res.data.retentionCandidates;
      totalCount = page.totalCount;
      edges.push(...page.edges);
      pages += 1;
      if (!page.pageInfo.hasNextPage) break;
      expect(page.edges).toHaveLength(first);
      after = page.pageInfo.endCursor;
    }
    return { edges, pages, totalCount };
  };

  beforeAll(async () => {
    gw = await startTestGateway();
    // the rule, computed here independently: the contract ended on a day D, the data may be kept
    // through D + 1 year, so today the user is past it when D + 1 year < today
    const oneYearAgo = new Date();
    oneYearAgo.setUTCFullYear(oneYearAgo.getUTCFullYear() - 1);
    const rows = await appSql(
      `SELECT u.id FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE o.contract_end IS NOT NULL AND o.contract_end < ? ORDER BY u.id`,
      [oneYearAgo.toISOString().slice(0, 10)],
    );
    expected = rows.map((r) => String(r.id));
  });
  afterAll(() => gw.close());

  it('the demo data has employers whose contract ended more than a year ago, recently, and active ones', async () => {
    const orgs = await appSql('SELECT id, contract_end FROM organisations ORDER BY id');
    const yearAgo = Date.now() - 366 * 86_400_000;
    const ended = orgs.filter((o) => o.contract_end !== null).map((o) => Date.parse(String(o.contract_end).slice(0, 10)));
    expect(ended.some((t) => t < yearAgo)).toBe(true);
    expect(ended.some((t) => t > yearAgo)).toBe(true);
    expect(orgs.some((o) => o.contract_end === null)).toBe(true);
    expect(expected.length).toBeGreaterThan(5);
    expect(expected).toContain('6'); // Lars Ek, Woodgrove Bank
    expect(expected).not.toContain('1'); // Anna Lindqvist, Northwind: active
  });

  it('lists exactly those users, page by page, with the rule and since when', async () => {
    const { edges, pages, totalCount } = await allCandidates(7);
    expect(totalCount).toBe(expected.length);
    expect(pages).toBe(Math.ceil(expected.length / 7));
    expect(edges.map((e) => e.node.subject.find((i: any) => i.kind === 'appUserId').value).sort((a: string, b: string) => Number(a) - Number(b))).toEqual(expected);
    expect(new Set(edges.map((e) => e.cursor)).size).toBe(edges.length);
    const lars = edges.find((e) => e.node.subject.some((i: any) => i.kind === 'appUserId' && i.value === '6')).node;
    expect(lars).toMatchObject({ system: 'app', dataset: 'profile', rule: "At most 1 year after the employer's contract with the company ends", legalBasis: null, openRequestId: null });
    expect(lars.subject).toEqual(
      expect.arrayContaining([
        { kind: 'email', value: 'lars.ek@woodgrove.example', source: 'app' },
        { kind: 'phone', value: '+46701234506', source: 'app' },
      ]),
    );
    // Woodgrove's contract ended 2025-06-30: kept through 2026-06-30, past the rule from 2026-07-01
    expect(lars.since).toBe('2026-07-01T00:00:00.000Z');
    for (const e of edges) expect(Date.parse(e.node.since)).toBeLessThanOrEqual(Date.now());
  });

  it('reads one statement per page from the app database, and one more when counting', async () => {
    const app = gw.app();
    const signal = new AbortController().signal;
    const first = await app.retentionCandidates(new Date(), { first: 4, count: false }, signal);
    const before = app.queries.count;
    const page = await app.retentionCandidates(new Date(), { first: 4, after: first.candidates.at(-1)!.cursor, count: false }, signal);
    expect(app.queries.count - before).toBe(1);
    const ids = [...first.candidates, ...page.candidates].map((c) => c.identifiers.find((i) => i.kind === 'appUserId')!.value);
    expect(new Set(ids).size).toBe(8);
    for (const id of ids) expect(expected).toContain(id);
    const counted = app.queries.count;
    const withCount = await app.retentionCandidates(new Date(), { first: 4, count: true }, signal);
    expect(app.queries.count - counted).toBe(2);
    expect(withCount.totalCount).toBe(expected.length);
    expect(withCount.candidates.map((c) => c.cursor)).toEqual(first.candidates.map((c) => c.cursor));
  });

  it('refuses a cursor it did not hand out, a page size out of range, and every role but OPERATOR', async () => {
    expect(codes(await gw.gql(TOKENS.OPERATOR, CANDIDATES, { first: 5, after: 'bm90LWEtY3Vyc29y' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gw.gql(TOKENS.OPERATOR, CANDIDATES, { first: 500 }))).toEqual(['BAD_USER_INPUT']);
    for (const [token, code] of [
      [TOKENS.VIEWER, 'FORBIDDEN'],
      [TOKENS.APPROVER, 'FORBIDDEN'],
      [TOKENS.AUDITOR, 'FORBIDDEN'],
      [null, 'UNAUTHENTICATED'],
    ] as const) {
      expect(codes(await gw.gql(token, CANDIDATES, { first: 5 }))).toEqual([code]);
      expect(codes(await gw.gql(token, SWEEP, { dryRun: true }))).toEqual([code]);
    }
  });

  it('audits a listing with the number listed and no identifiers', async () => {
    await gw.gql(TOKENS.OPERATOR, CANDIDATES, { first: 3 });
    const res = await gw.gql(TOKENS.AUDITOR, '{ auditEvents(first: 20) { edges { node { actor action count subjectRef requestId } } } }');
    const listed = res.data.auditEvents.edges.map((e: any) => e.node).find((n: any) => n.action === 'subject.retention_listed');
    expect(listed).toEqual({ actor: 'olivia', action: 'subject.retention_listed', count: 3, subjectRef: null, requestId: null });
    const chain = await gw.gql(TOKENS.AUDITOR, '{ verifyAuditChain { ok } }');
    expect(chain.data.verifyAuditChain.ok).toBe(true);
  });

  it('a dry run lists the same users and creates nothing', async () => {
    const res = await gw.gql(TOKENS.OPERATOR, SWEEP, { dryRun: true });
    expect(res.errors).toBeUndefined();
    const r = res.data.runRetentionSweep;
    expect(r).toMatchObject({ dryRun: true, candidates: expected.length, created: 0, skipped: 0, requests: [] });
    expect(appUserIds(r.subjects)).toEqual(expected);
    const requests = await gw.gql(TOKENS.OPERATOR, '{ requests(first: 5) { totalCount } }');
    expect(requests.data.requests.totalCount).toBe(0);
  });

  it('skips a person already in an open request, creates one ERASURE per other person, and none the second time', async () => {
    // an erasure the person asked for themselves, still awaiting approval
    const open = await gw.gql(TOKENS.OPERATOR, 'mutation { submitRequest(input: {type: ERASURE, subject: {appUserId: "6"}, verification: "signed letter"}) { id } }');
    const openId = open.data.submitRequest.id as string;

    const first = (await gw.gql(TOKENS.OPERATOR, SWEEP, { dryRun: false })).data.runRetentionSweep;
    expect(first).toMatchObject({ dryRun: false, candidates: expected.length, created: expected.length - 1, skipped: 1 });
    expect(first.subjects.find((s: any) => s.subject.some((i: any) => i.kind === 'appUserId' && i.value === '6'))).toMatchObject({ skipped: true, requestId: openId });
    for (const r of first.requests) expect(r).toMatchObject({ type: 'ERASURE', status: 'AWAITING_APPROVAL', origin: 'RETENTION', submittedBy: 'olivia' });
    expect(appUserIds(first.requests.map((r: any) => ({ subject: r.subject })))).toEqual(expected.filter((id) => id !== '6'));

    const second = (await gw.gql(TOKENS.OPERATOR, SWEEP, { dryRun: false })).data.runRetentionSweep;
    expect(second).toMatchObject({ candidates: expected.length, created: 0, skipped: expected.length, requests: [] });
    const stored = await gw.gql(TOKENS.OPERATOR, '{ requests(first: 200, type: [ERASURE]) { totalCount edges { node { id origin status } } } }');
    expect(stored.data.requests.totalCount).toBe(expected.length);
    const retention = stored.data.requests.edges.filter((e: any) => e.node.id !== openId);
    expect(retention.every((e: any) => e.node.origin === 'RETENTION' && e.node.status === 'AWAITING_APPROVAL')).toBe(true);
    expect(stored.data.requests.edges.find((e: any) => e.node.id === openId).node.origin).toBe('OPERATOR');

    // the listing now names the open requests
    const { edges } = await allCandidates(50);
    expect(edges.every((e) => e.node.openRequestId !== null)).toBe(true);
  });

  it('erases only after another person approves, through the normal erasure', async () => {
    const stored = await gw.gql(TOKENS.OPERATOR, '{ requests(first: 5, type: [ERASURE]) { edges { node { id origin subject { kind value } } } } }');
    const node = stored.data.requests.edges.find((e: any) => e.node.origin === 'RETENTION').node;
    const userId = node.subject.find((i: any) => i.kind === 'appUserId').value;
    expect(codes(await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { approveRequest(id: $id) { id } }', { id: node.id }))).toEqual(['FORBIDDEN']);
    expect(await appSql('SELECT id FROM users WHERE id = ?', [Number(userId)])).toHaveLength(1);
    const approved = await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { approveRequest(id: $id) { status approvedBy } }', { id: node.id });
    expect(approved.data.approveRequest).toEqual({ status: 'IN_PROGRESS', approvedBy: 'anders' });
    const end = Date.now() + 60_000;
    let r: any;
    do {
      await new Promise((res) => setTimeout(res, 100));
      r = (await gw.gql(TOKENS.OPERATOR, REQUEST, { id: node.id })).data.request;
    } while (!['COMPLETED', 'PARTIALLY_COMPLETED'].includes(r.status) && Date.now() < end);
    expect(r).toMatchObject({ status: 'COMPLETED', origin: 'RETENTION', approvedBy: 'anders' });
    expect(r.tasks.find((t: any) => t.system === 'app').status).toBe('SUCCEEDED');
    expect(await appSql('SELECT id FROM users WHERE id = ?', [Number(userId)])).toHaveLength(0);
    // erased: no longer a candidate
    const page = await gw.gql(TOKENS.OPERATOR, CANDIDATES, { first: 1 });
    expect(page.data.retentionCandidates.totalCount).toBe(expected.length - 1);
  });
});

describe('retention: two gateways sweeping one store at once', () => {
  let gw: TestGateway;
  let other: TestGateway;
  afterAll(async () => {
    await other?.close();
    await gw?.close();
  });

  it('create one request per person between them', async () => {
    gw = await startTestGateway({ env: { DSR_WORKERS: 'off' } });
    other = await startTestGateway({ env: { DSR_WORKERS: 'off' }, reuse: { storeUrl: gw.storeUrl, appUrl: gw.appUrl } });
    const sweep = (g: TestGateway, token: string) => g.gql(token, 'mutation { runRetentionSweep(dryRun: false) { candidates created } }');
    const [a, b] = await Promise.all([sweep(gw, TOKENS.OPERATOR), sweep(other, TOKENS.OPERATOR2)]);
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    const candidates = a.data.runRetentionSweep.candidates as number;
    expect(candidates).toBeGreaterThan(5);
    expect(b.data.runRetentionSweep.candidates).toBe(candidates);
    expect(a.data.runRetentionSweep.created + b.data.runRetentionSweep.created).toBe(candidates);
    const stored = await gw.gql(TOKENS.OPERATOR, '{ requests(first: 1, type: [ERASURE]) { totalCount } }');
    expect(stored.data.requests.totalCount).toBe(candidates);
  });
});

describe('retention: the scheduled sweep', () => {
  let gw: TestGateway;
  let other: TestGateway;
  afterAll(async () => {
    await other?.close();
    await gw?.close();
  });

  it('runs once per period whichever process schedules it, and only proposes erasures', async () => {
    gw = await startTestGateway({ env: { DSR_RETENTION_SWEEP_HOURS: '1' } });
    other = await startTestGateway({ env: { DSR_RETENTION_SWEEP_HOURS: '1' }, reuse: { storeUrl: gw.storeUrl, appUrl: gw.appUrl } });
    const tasks = async () =>
      (await gw.gateway.store.query(`SELECT request_id, run_after, state, status FROM dsr_tasks WHERE kind = 'retention-sweep' ORDER BY request_id`)) as {
        request_id: string;
        run_after: string;
        state: string;
        status: string;
      }[];
    // both processes scheduled the next hour at start: one task
    const hour = 3_600_000;
    const next = Math.floor(Date.now() / hour) + 1;
    expect((await tasks()).filter((t) => t.request_id === `retention:${next}`)).toHaveLength(1);
    expect((await tasks()).find((t) => t.request_id === `retention:${next}`)!.run_after).toBe(new Date(next * hour).toISOString());

    // the current hour's sweep, scheduled by both at once, is due now
    await Promise.all([gw.gateway.services.retention.schedule(Date.now() - hour), other.gateway.services.retention.schedule(Date.now() - hour)]);
    const current = `retention:${next - 1}`;
    const end = Date.now() + 60_000;
    let ran: { state: string; status: string } | undefined;
    do {
      await new Promise((r) => setTimeout(r, 100));
      ran = (await tasks()).find((t) => t.request_id === current);
    } while (ran?.state !== 'done' && Date.now() < end);
    expect(ran).toMatchObject({ state: 'done', status: 'SUCCEEDED' });
    expect((await tasks()).filter((t) => t.request_id === current)).toHaveLength(1);

    const dry = (await gw.gql(TOKENS.OPERATOR, 'mutation { runRetentionSweep(dryRun: true) { candidates skipped } }')).data.runRetentionSweep;
    expect(dry.candidates).toBeGreaterThan(5);
    expect(dry.skipped).toBe(dry.candidates);
    const stored = await gw.gql(TOKENS.OPERATOR, '{ requests(first: 200, type: [ERASURE]) { totalCount edges { node { origin status submittedBy } } } }');
    expect(stored.data.requests.totalCount).toBe(dry.candidates);
    for (const e of stored.data.requests.edges) expect(e.node).toEqual({ origin: 'RETENTION', status: 'AWAITING_APPROVAL', submittedBy: 'retention-schedule' });
  });
});

/** A sweep as large as the demo's: every system of the demo company, more proposals than one transaction takes. */
describe('retention sweep over every system of the demo company', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ users: 1500, simulators: true, manualSystems: true });
  });
  afterAll(() => gw?.close());

  it('creates one request per person past a rule, over a thousand tasks at once, and none the second time', async () => {
    const dry = (await gw.gql(TOKENS.OPERATOR, SWEEP, { dryRun: true })).data.runRetentionSweep;
    // more than the 100 requests (with 12 tasks each) a sweep creates per transaction
    expect(dry.candidates).toBeGreaterThan(100);

    const res = await gw.gql(TOKENS.OPERATOR, SWEEP, { dryRun: false });
    expect(res.errors).toBeUndefined();
    const swept = res.data.runRetentionSweep;
    expect(swept).toMatchObject({ dryRun: false, candidates: dry.candidates, created: dry.candidates, skipped: 0 });
    expect(new Set(swept.requests.map((r: any) => r.id)).size).toBe(dry.candidates);

    const stored = await gw.gql(TOKENS.OPERATOR, '{ requests(first: 1, type: [ERASURE]) { totalCount edges { node { id tasks { system } } } } }');
    expect(stored.data.requests.totalCount).toBe(dry.candidates);
    expect(stored.data.requests.edges[0].node.tasks.length).toBeGreaterThanOrEqual(10);

    const again = (await gw.gql(TOKENS.OPERATOR, SWEEP, { dryRun: false })).data.runRetentionSweep;
    expect(again).toMatchObject({ created: 0, skipped: dry.candidates });
  });
});
