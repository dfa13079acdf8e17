import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sampleSubjects } from '../../simulators/world';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { sha256, unzip } from '../exports/support';
import { codes, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const REQUEST = `query($id: ID!) { request(id: $id) {
  id type status progress receivedAt dueAt extensionReason completedAt submittedBy
  subject { kind value source }
  tasks { system status attempts lastError recordsExported }
  export { sizeBytes sha256 entries expiresAt }
} }`;
const SUBMIT = `mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id status dueAt receivedAt } }`;
const VIEW = `query($input: SubjectInput!) { subject(input: $input) { systems { system status datasets { name totalCount records(first: 1000) } } } }`;

/** Access and portability requests end to end: durable tasks, the zip, the download link. */
describe('requests: access and portability exports', () => {
  let gw: TestGateway;
  const anna = () => sampleSubjects(gw.simulators!.world()).find((s) => s.ref === 'app-1')!;
  const submit = (input: Record<string, unknown>, token: string = TOKENS.OPERATOR) =>
    gw.gql(token, SUBMIT, { input: { verification: 'logged-in app session', ...input } });
  const get = async (id: string, token: string = TOKENS.OPERATOR) => (await gw.gql(token, REQUEST, { id })).data.request;
  const settled = async (id: string, ms = 60_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const r = await get(id);
      if (['COMPLETED', 'PARTIALLY_COMPLETED'].includes(r.status)) return r;
      if (Date.now() > until) throw new Error(`request still ${r.status}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const download = async (requestId: string) => {
    const link = await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url expiresAt } }', { id: requestId });
    expect(link.errors).toBeUndefined();
    const res = await fetch(link.data.createDownloadLink.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="dsr-export-[0-9a-f-]+\.zip"$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const file = path.join(gw.dataDir, `${requestId}-downloaded.zip`);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    return { file, url: link.data.createDownloadLink.url as string, entries: await unzip(file) };
  };
  const fault = (id: 'sendgrid' | 'limego' | 'hogia', body: Record<string, unknown> | null) =>
    fetch(`${gw.simulators!.credentials()[id].baseUrl}/__sim/faults`, {
      method: body ? 'POST' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    gw = await startTestGateway({ simulators: true, env: { DSR_TASK_MAX_ATTEMPTS: '2' }, tune: { sendgrid: { retries: 0, breaker: { failureThreshold: 50, cooldownMs: 500 } } } });
  });
  afterAll(() => gw.close());

  it('completes an access request whose zip holds exactly what subject shows, with matching sha256', async () => {
    // a cell that would be a formula in a spreadsheet
    const app = createSqlDataSource(parseDatabaseUrl(gw.appUrl));
    await app.initialize();
    await app.query('UPDATE answers SET answer_text = ? WHERE id = (SELECT id FROM (SELECT MIN(id) AS id FROM answers WHERE user_id = 1) AS a)', [
      '=HYPERLINK("http://evil.example","click")',
    ]);
    await app.destroy();

    const res = await submit({ type: 'ACCESS', subject: { email: anna().email } });
    expect(res.errors).toBeUndefined();
    const done = await settled(res.data.submitRequest.id);
    expect(done.status).toBe('COMPLETED');
    const audited = await gw.gql(TOKENS.AUDITOR, 'query($id: ID) { auditEvents(requestId: $id) { edges { node { actor action } } } }', { id: done.id });
    expect(audited.data.auditEvents.edges.map((e: any) => `${e.node.actor} ${e.node.action}`)).toContain('gateway request.access_completed');
    expect(done.progress).toBe(1);
    expect(done.tasks.map((t: any) => [t.system, t.status])).toEqual(
      expect.arrayContaining([['app', 'SUCCEEDED'], ['sendgrid', 'SUCCEEDED'], ['limego', 'SUCCEEDED'], ['hogia', 'SUCCEEDED']]),
    );
    expect(done.subject).toEqual(expect.arrayContaining([{ kind: 'crmPersonId', value: anna().ids.crmPersonId, source: 'limego' }]));

    const { entries, file } = await download(done.id);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect([...entries.keys()].sort()).toEqual([...done.export.entries].sort());
    for (const e of manifest.entries) {
      expect({ name: e.name, sha256: sha256(entries.get(e.name)!), size: entries.get(e.name)!.length }).toEqual({ name: e.name, sha256: e.sha256, size: e.size });
    }
    expect(sha256(require('node:fs').readFileSync(file))).toBe(done.export.sha256);

    const live = (await gw.gql(TOKENS.OPERATOR, VIEW, { input: { email: anna().email } })).data.subject;
    for (const system of live.systems) {
      for (const dataset of system.datasets.filter((d: any) => d.totalCount > 0)) {
        const json = JSON.parse(entries.get(`${system.system}/${dataset.name}.json`)!.toString('utf8'));
        expect({ at: `${system.system}/${dataset.name}`, count: json.length }).toEqual({ at: `${system.system}/${dataset.name}`, count: dataset.totalCount });
        if (dataset.totalCount <= 1000) expect(sortById(json)).toEqual(sortById(dataset.records));
      }
    }
    const csv = entries.get('app/answers.csv')!.toString('utf8');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
    const html = entries.get('index.html')!.toString('utf8');
    expect(html).toMatch(/Integritetsskyddsmyndigheten/);
    expect(html).not.toMatch(/<script|src="http|href="http/i);
  });

  it('a portability export leaves out derived fields and datasets not based on consent or contract', async () => {
    const res = await submit({ type: 'PORTABILITY', subject: { email: anna().email } });
    const done = await settled(res.data.submitRequest.id);
    expect(done.status).toBe('COMPLETED');
    const { entries } = await download(done.id);
    const enrolments = JSON.parse(entries.get('app/enrolments.json')!.toString('utf8'));
    expect(enrolments.length).toBeGreaterThan(0);
    for (const e of enrolments) expect(Object.keys(e)).not.toEqual(expect.arrayContaining(['progress_percent']));
    expect(entries.has('hogia/invoices.json')).toBe(false); // a legal obligation, not consent or contract
    // the contact details she gave the invoicing system are hers to take along; its ids are not
    const contacts = JSON.parse(entries.get('hogia/contacts.json')!.toString('utf8'));
    expect(contacts.length).toBeGreaterThan(0);
    for (const c of contacts) {
      expect(c.contactChannels.some((ch: { type: string; value: string }) => ch.type === 'Email' && ch.value.toLowerCase() === anna().email)).toBe(true);
      expect(c).not.toHaveProperty('id');
      expect(c).not.toHaveProperty('version');
    }
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(JSON.stringify(manifest.portability)).toMatch(/PROVIDED|provided/);
    // every field the systems returned is declared in their data maps
    expect(JSON.stringify(manifest.systems.map((s: any) => s.portability))).not.toMatch(/UNDECLARED/);
  });

  it('a system that is down makes the request PARTIALLY_COMPLETED; retryRequest finishes it once it is back', async () => {
    await fault('sendgrid', { pathPattern: '^/v3/', status: 503 });
    try {
      const res = await submit({ type: 'ACCESS', subject: { email: anna().email } });
      const partial = await settled(res.data.submitRequest.id);
      expect(partial.status).toBe('PARTIALLY_COMPLETED');
      const sg = partial.tasks.find((t: any) => t.system === 'sendgrid');
      expect(sg).toMatchObject({ status: 'FAILED', attempts: 2 });
      expect(sg.lastError).toMatch(/sendgrid/);
      // the failure is in the audit trail, once (not per attempt)
      const audited = await gw.gql(TOKENS.AUDITOR, 'query($id: ID) { auditEvents(requestId: $id) { edges { node { actor action } } } }', { id: partial.id });
      const actions = audited.data.auditEvents.edges.map((e: any) => `${e.node.actor}:${e.node.action}`);
      expect(actions.filter((a: string) => a === 'gateway:request.access.sendgrid.failed')).toHaveLength(1);
      const { entries } = await download(partial.id);
      const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
      expect(manifest.systems.find((s: any) => s.id === 'sendgrid')).toMatchObject({ status: 'FAILED' });
      expect(entries.has('app/profile.json')).toBe(true);
    } finally {
      await fault('sendgrid', null);
    }
    const list = await gw.gql(TOKENS.OPERATOR, '{ requests(status: [PARTIALLY_COMPLETED]) { totalCount edges { node { id } } } }');
    const id = list.data.requests.edges[0].node.id;
    const retried = await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { retryRequest(id: $id) { status } }', { id });
    expect(retried.data.retryRequest.status).toBe('IN_PROGRESS');
    const done = await settled(id);
    expect(done.status).toBe('COMPLETED');
    expect(done.tasks.find((t: any) => t.system === 'sendgrid').status).toBe('SUCCEEDED');
    const { entries } = await download(id);
    expect(entries.has('sendgrid/messages.json')).toBe(true);
  });

  it('is idempotent by key and computes the deadline by calendar month', async () => {
    const input = { type: 'ACCESS', subject: { email: 'nobody@nowhere.example' }, idempotencyKey: 'letter-2026-001', receivedAt: '2026-01-31T10:00:00.000Z' };
    const a = await submit(input);
    const b = await submit(input);
    expect(b.data.submitRequest.id).toBe(a.data.submitRequest.id);
    expect(a.data.submitRequest.dueAt).toBe('2026-02-28T10:00:00.000Z');
    const other = await submit({ ...input, subject: { email: 'someone.else@nowhere.example' } });
    expect(codes(other)).toEqual(['CONFLICT']);
    // the deadline has passed: it can no longer be extended
    const late = await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { extendDeadline(id: $id, reason: "complex") { dueAt } }', { id: a.data.submitRequest.id });
    expect(codes(late)).toEqual(['DEADLINE_RULE']);
    const overdue = await gw.gql(TOKENS.VIEWER, '{ requests(overdue: true) { totalCount } }');
    expect(overdue.data.requests.totalCount).toBeGreaterThanOrEqual(0);
  });

  it('extends a deadline once, before it passes, with a reason', async () => {
    const receivedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const r = (await submit({ type: 'ACCESS', subject: { email: 'nobody@nowhere.example' }, receivedAt })).data.submitRequest;
    const noReason = await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { extendDeadline(id: $id, reason: " ") { dueAt } }', { id: r.id });
    expect(codes(noReason)).toEqual(['BAD_USER_INPUT']);
    const ext = await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { extendDeadline(id: $id, reason: "many systems, complex request") { dueAt extensionReason } }', { id: r.id });
    const received = new Date(receivedAt);
    const expected = new Date(received);
    expected.setUTCMonth(received.getUTCMonth() + 3);
    if (expected.getUTCDate() !== received.getUTCDate()) expected.setUTCDate(0);
    expect(ext.data.extendDeadline).toEqual({ dueAt: expected.toISOString(), extensionReason: 'many systems, complex request' });
    const again = await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { extendDeadline(id: $id, reason: "once more") { dueAt } }', { id: r.id });
    expect(codes(again)).toEqual(['DEADLINE_RULE']);
  });

  it('rejects bad submissions with a clear error and keeps nothing', async () => {
    const before = (await gw.gql(TOKENS.OPERATOR, '{ requests { totalCount } }')).data.requests.totalCount;
    const future = new Date(Date.now() + 86_400_000).toISOString();
    for (const input of [
      { type: 'ACCESS', subject: {}, verification: 'letter' },
      { type: 'ACCESS', subject: { email: 'not-an-email' } },
      { type: 'ACCESS', subject: { email: 'a@b.se' }, verification: '' },
      { type: 'ACCESS', subject: { email: 'a@b.se' }, receivedAt: future },
      { type: 'ACCESS', subject: { email: 'a@b.se' }, changes: [{ system: 'app', field: 'first_name', value: 'X' }] },
      // corrections a system would refuse are refused now, not when its step runs
      { type: 'RECTIFICATION', subject: { email: 'a@b.se' }, changes: [{ system: 'app', field: 'password', value: 'secret-value-1' }] },
      { type: 'RECTIFICATION', subject: { email: 'a@b.se' }, changes: [{ system: 'app', field: 'phone', value: 'secret-value-2' }] },
      { type: 'RECTIFICATION', subject: { email: 'a@b.se' }, changes: [{ system: 'sendgrid', field: 'email', value: 'c@d.se' }] },
      { type: 'RECTIFICATION', subject: { email: 'a@b.se' }, changes: [{ system: 'hogia', field: 'surName', value: 'Ek' }, { system: 'hogia', field: 'surName', value: 'Ek' }] },
      { type: 'RECTIFICATION', subject: { email: 'a@b.se' }, changes: [{ system: 'app', field: 'first_name', value: 'Ann' }, { system: 'limego', field: 'notes', value: 'x' }] },
    ]) {
      const res = await submit(input as Record<string, unknown>);
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(JSON.stringify(res.errors)).not.toMatch(/secret-value/);
    }
    // a control character is named as what is wrong, not the length
    const nul = await submit({ type: 'ACCESS', subject: { email: 'a@b.se' }, verification: 'signed\u0000letter' });
    expect(nul.errors![0]!.message).toBe('verification must be plain text, without control characters');
    expect((await gw.gql(TOKENS.OPERATOR, '{ requests { totalCount } }')).data.requests.totalCount).toBe(before);
  });

  it('shows a VIEWER the request without identifier values, and audits who saw them', async () => {
    const r = (await submit({ type: 'ACCESS', subject: { email: 'nobody@nowhere.example' } })).data.submitRequest;
    const asViewer = await get(r.id, TOKENS.VIEWER);
    expect(asViewer.subject).toEqual([{ kind: 'email', value: '<hidden>', source: 'input' }]);
    await get(r.id, TOKENS.OPERATOR);
    const events = await gw.gql(TOKENS.AUDITOR, 'query($id: ID) { auditEvents(requestId: $id) { edges { node { actor action } } } }', { id: r.id });
    const actions = events.data.auditEvents.edges.map((e: any) => `${e.node.actor}:${e.node.action}`);
    expect(actions).toEqual(expect.arrayContaining(['olivia:request.submitted', 'olivia:request.viewed']));
    expect(actions).not.toContain('vera:request.viewed');
  });

  it('pages through requests with a total count', async () => {
    const all = (await gw.gql(TOKENS.VIEWER, '{ requests(first: 200) { totalCount edges { node { id } } } }')).data.requests;
    const p1 = (await gw.gql(TOKENS.VIEWER, '{ requests(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }')).data.requests;
    const p2 = (await gw.gql(TOKENS.VIEWER, 'query($a: String) { requests(first: 2, after: $a) { edges { node { id } } } }', { a: p1.pageInfo.endCursor })).data.requests;
    expect(p1.totalCount).toBe(all.totalCount);
    expect([...p1.edges, ...p2.edges].map((e: any) => e.node.id)).toEqual(all.edges.slice(0, 4).map((e: any) => e.node.id));
    const bad = await gw.gql(TOKENS.VIEWER, '{ requests(after: "garbage") { totalCount } }');
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers every misuse of a download link with the same 404', async () => {
    const list = (await gw.gql(TOKENS.OPERATOR, '{ requests(status: [COMPLETED]) { edges { node { id } } } }')).data.requests.edges;
    const [a, b] = [list[0].node.id, list[1].node.id];
    const { url } = await download(a);
    const token = new URL(url).searchParams.get('token')!;
    const base = url.split('/exports/')[0];
    const forged = Buffer.alloc(32, 7).toString('base64url');
    for (const target of [
      `${base}/exports/${b}/download?token=${token}`,
      `${base}/exports/${a}/download?token=${forged}`,
      `${base}/exports/${a}/download`,
      `${base}/exports/${a}/download?token=${token}x`,
      `${base}/exports/..%2F..%2Fetc%2Fpasswd/download?token=${token}`,
    ]) {
      const res = await fetch(target);
      expect({ target, status: res.status }).toEqual({ target, status: 404 });
      expect(await res.text()).toBe('{"error":"not found"}');
    }
    await gw.gateway.store.query('UPDATE download_links SET expires_at = ? WHERE request_id = ?', ['2020-01-01T00:00:00.000Z', a]);
    expect((await fetch(url)).status).toBe(404);
    const downloads = await gw.gql(TOKENS.AUDITOR, 'query($id: ID) { auditEvents(requestId: $id) { edges { node { action } } } }', { id: a });
    expect(downloads.data.auditEvents.edges.map((e: any) => e.node.action)).toContain('export.downloaded');
  });
});

function sortById(rows: any[]): any[] {
  return [...rows].sort((x, y) => String(x.id ?? x.msg_id ?? JSON.stringify(x)).localeCompare(String(y.id ?? y.msg_id ?? JSON.stringify(y))));
}
