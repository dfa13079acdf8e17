import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sampleSubjects, type SampleSubject } from '../../simulators/world';
import type { Manifest } from '../../src/exports/manifest';
import { sha256, unzip } from '../exports/support';
import { codes, requestSteps, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const REQUEST = `query($id: ID!) { request(id: $id) {
  id type status dueAt completedAt
  tasks { system status note owner dueAt recordsExported verifiedAt confirmedBy confirmedAt evidence }
  erasureReport { completedAt systems { system status note verifiedAt confirmedBy confirmedAt evidence } }
  export { entries }
} }`;
const MANUAL = ['hogia-lon', 'office365', 'teams'];
const NO_SUCH_REQUEST = '00000000-0000-4000-8000-000000000000';

/** A small but real PDF, PNG, CSV: what a payroll administrator exports from Hogia lön. */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj ' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2e0f5d20000000049454e44ae426082', 'hex');
const CSV = Buffer.from('period;grossSalary;preliminaryTax;netPay\n2026-10;42 000;11 340;30 660\n2026-09;42 000;11 340;30 660\n', 'utf8');

/** Systems without an API: tasks for a person, uploads for access requests, confirmations, deadlines. */
describe('systems without an API (manual steps)', () => {
  let gw: TestGateway;
  let samples: SampleSubject[];
  const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
  const { get, submit, until, task, confirm } = requestSteps(() => gw, REQUEST);
  const upload = async (requestId: string, system: string, file: { bytes: Buffer; type?: string; name: string }, token: string | null = TOKENS.OPERATOR) => {
    const form = new FormData();
    form.append('file', new Blob([file.bytes], { type: file.type ?? '' }), file.name);
    const res = await fetch(`${gw.url}/requests/${requestId}/systems/${system}/files`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: form,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const errorCode = (res: { body: any }) => res.body.errors?.map((e: any) => e.extensions.code);
  const incoming = () => {
    const dir = path.join(gw.dataDir, 'uploads', '.incoming');
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  beforeAll(async () => {
    gw = await startTestGateway({ simulators: true, manualSystems: true, env: { DSR_UPLOAD_MAX_MB: '1' } });
    samples = sampleSubjects(gw.simulators!.world());
  });
  afterAll(() => gw.close());

  it('describes each system without an API in the data map, and says in the live view that a person must look', async () => {
    const res = await gw.gql(TOKENS.VIEWER, '{ systems { id name processor location capabilities datasets { name legalBasis retention fields { name category provenance } } } }');
    const systems = res.data.systems as any[];
    expect(systems.map((s) => s.id)).toEqual(expect.arrayContaining(['app', 'sendgrid', 'limego', 'hogia', ...MANUAL]));
    const lon = systems.find((s) => s.id === 'hogia-lon');
    expect(lon).toMatchObject({ name: 'Hogia lön', location: 'EU (Sweden)' });
    expect(lon.capabilities).toEqual(['ACCESS', 'ERASURE', 'RECTIFICATION', 'RESTRICTION', 'MANUAL_STEPS']);
    expect(lon.datasets.find((d: any) => d.name === 'salary_payments')).toMatchObject({ legalBasis: 'LEGAL_OBLIGATION', retention: expect.stringContaining('bokföringslagen 7 kap. 2 §') });
    expect(lon.datasets.find((d: any) => d.name === 'employer_declarations').retention).toContain('skatteförfarandelagen');
    expect(lon.datasets.flatMap((d: any) => d.fields.map((f: any) => f.category))).toEqual(expect.arrayContaining(['identity.national_id', 'financial.bank_account', 'tax.table']));
    expect(systems.find((s) => s.id === 'teams').capabilities).toEqual(['ACCESS', 'ERASURE', 'RESTRICTION', 'MANUAL_STEPS']);

    const view = await gw.gql(TOKENS.OPERATOR, 'query($i: SubjectInput!) { subject(input: $i) { found systems { system status recordCount note } } }', { i: { email: sample('app-1').email } });
    expect(view.data.subject.found).toBe(true);
    for (const id of MANUAL) {
      const s = view.data.subject.systems.find((x: any) => x.system === id);
      expect(s).toMatchObject({ status: 'NOT_FOUND', recordCount: 0 });
      expect(s.note).toMatch(/no API.*A person \(Payroll administrator \(HR\)\)|no API.*A person \(IT administrator/);
    }
    expect(view.data.subject.systems.find((x: any) => x.system === 'app').note).toBeNull();
  });

  it('an access request waits for a person in each system; uploaded files go into the zip byte for byte', async () => {
    const erik = sample('app-2');
    const r = await submit({ type: 'ACCESS', subject: { email: erik.email } });
    let req = await until(r.id, ['AWAITING_MANUAL_STEPS']);
    for (const id of MANUAL) expect(task(req, id).status).toBe('WAITING_FOR_OPERATOR');
    const lon = task(req, 'hogia-lon');
    expect(lon.owner).toBe('Payroll administrator (HR)');
    expect(lon.note).toMatch(/^Payroll administrator \(HR\): In Hogia lön, find the employee by personnummer/);
    expect(task(req, 'teams').owner).toMatch(/eDiscovery/);
    // the step's own deadline: the system's 7 days from when it began waiting, before the request's
    const due = Date.parse(lon.dueAt);
    expect(due).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
    expect(due).toBeLessThan(Date.parse(req.dueAt));
    expect(task(req, 'app')).toMatchObject({ status: 'SUCCEEDED', owner: null, dueAt: null });

    // only an operator, only a waiting system of an existing request
    const pdf = { bytes: PDF, type: 'application/pdf', name: 'lönespec.pdf' };
    expect((await upload(r.id, 'hogia-lon', pdf, null)).status).toBe(401);
    expect(errorCode(await upload(r.id, 'hogia-lon', pdf, 'not-a-real-token-000000000000'))).toEqual(['UNAUTHENTICATED']);
    for (const token of [TOKENS.VIEWER, TOKENS.APPROVER, TOKENS.AUDITOR]) {
      const res = await upload(r.id, 'hogia-lon', pdf, token);
      expect([res.status, errorCode(res)]).toEqual([403, ['FORBIDDEN']]);
    }
    for (const [id, system] of [
      [NO_SUCH_REQUEST, 'hogia-lon'],
      ['not-a-request', 'hogia-lon'],
      [r.id, 'nosuch'],
      [r.id, 'app'],
      [r.id, 'limego'],
      [r.id, '..%2F..%2F..%2Fetc%2Fpasswd'],
      [r.id, 'hogia-lon%2F..%2F..%2Fexports'],
    ]) {
      const res = await upload(id!, system!, pdf);
      expect([id, system, res.status, errorCode(res)]).toEqual([id, system, 404, ['NOT_FOUND']]);
    }
    // the content type is checked against the bytes
    const wrong = [
      { bytes: PNG, type: 'application/pdf', name: 'scan.pdf' },
      { bytes: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(300, 0)]), type: '', name: 'lon.pdf' },
      { bytes: Buffer.from('<html><body>hej</body></html>'), type: 'text/html', name: 'x.html' },
      { bytes: Buffer.from('{"not": json'), type: 'application/json', name: 'x.json' },
      { bytes: Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe]), type: 'text/plain', name: 'x.txt' },
    ];
    for (const file of wrong) {
      const res = await upload(r.id, 'hogia-lon', file);
      expect([file.name, res.status, errorCode(res)]).toEqual([file.name, 415, ['BAD_USER_INPUT']]);
    }
    // larger than DSR_UPLOAD_MAX_MB (1 MB here)
    const big = await upload(r.id, 'hogia-lon', { bytes: Buffer.concat([PDF, Buffer.alloc(1024 * 1024, 0x20)]), type: 'application/pdf', name: 'big.pdf' });
    expect([big.status, errorCode(big)]).toEqual([413, ['BAD_USER_INPUT']]);
    expect(incoming()).toEqual([]);

    const first = await upload(r.id, 'hogia-lon', { ...pdf, name: '..\\..\\C:\\tmp/Erik Nilsson\u202e lönespec 2026.pdf' });
    expect(`${first.status} ${JSON.stringify(first.body)}`).toMatch(/^201 /);
    expect(first.body.file).toMatchObject({ entry: 'hogia-lon/upload-1.pdf', originalName: 'Erik Nilsson lönespec 2026.pdf', contentType: 'application/pdf', sizeBytes: PDF.length, sha256: sha256(PDF) });
    const second = await upload(r.id, 'hogia-lon', { bytes: CSV, type: 'text/csv', name: 'lonearter.csv' });
    expect(second.body.file).toMatchObject({ entry: 'hogia-lon/upload-2.csv', contentType: 'text/csv', sha256: sha256(CSV) });
    const image = await upload(r.id, 'office365', { bytes: PNG, name: 'whiteboard.png' });
    expect(image.body.file).toMatchObject({ entry: 'office365/upload-1.png', contentType: 'image/png' });
    expect(incoming()).toEqual([]);

    expect((await confirm(r.id, 'hogia-lon', 'Searched the personnel register by personnummer; personnel card and pay slips exported')).errors).toBeUndefined();
    await confirm(r.id, 'office365', 'eDiscovery case DSR-erik: 14 items reviewed, 1 exported');
    await confirm(r.id, 'teams', 'eDiscovery case DSR-erik: no Teams content about the person');
    req = await until(r.id, ['COMPLETED']);
    expect(task(req, 'hogia-lon')).toMatchObject({ status: 'SUCCEEDED', recordsExported: 2, confirmedBy: 'olivia', evidence: expect.stringContaining('personnel register') });
    expect(task(req, 'hogia-lon').note).toBe('confirmed by olivia; 2 file(s) uploaded');
    expect(task(req, 'office365')).toMatchObject({ status: 'SUCCEEDED', recordsExported: 1 });
    expect(task(req, 'teams')).toMatchObject({ status: 'NOT_FOUND', recordsExported: 0 });
    // a finished step takes no more files
    const late = await upload(r.id, 'hogia-lon', pdf);
    expect([late.status, errorCode(late)]).toEqual([409, ['CONFLICT']]);

    const link = await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id: r.id });
    const zipFile = path.join(gw.dataDir, 'manual-access.zip');
    writeFileSync(zipFile, Buffer.from(await (await fetch(link.data.createDownloadLink.url)).arrayBuffer()));
    const files = await unzip(zipFile);
    expect(files.get('hogia-lon/upload-1.pdf')!.equals(PDF)).toBe(true);
    expect(files.get('hogia-lon/upload-2.csv')!.equals(CSV)).toBe(true);
    expect(files.get('office365/upload-1.png')!.equals(PNG)).toBe(true);
    expect(req.export.entries).toEqual(expect.arrayContaining(['hogia-lon/upload-1.pdf', 'hogia-lon/upload-2.csv', 'office365/upload-1.png']));
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
    expect(manifest.entries.find((e) => e.name === 'hogia-lon/upload-1.pdf')).toEqual({ name: 'hogia-lon/upload-1.pdf', size: PDF.length, sha256: sha256(PDF) });
    const lonManifest = manifest.systems.find((s) => s.id === 'hogia-lon')!;
    expect(lonManifest.status).toBe('SUCCEEDED');
    expect(lonManifest.manualStep).toEqual({ owner: 'Payroll administrator (HR)', confirmedAt: task(req, 'hogia-lon').confirmedAt });
    expect(lonManifest.files!.map((f) => [f.entry, f.originalName, f.contentType, f.size, f.sha256])).toEqual([
      ['hogia-lon/upload-1.pdf', 'Erik Nilsson lönespec 2026.pdf', 'application/pdf', PDF.length, sha256(PDF)],
      ['hogia-lon/upload-2.csv', 'lonearter.csv', 'text/csv', CSV.length, sha256(CSV)],
    ]);
    // the Art. 15 information of every system, those without an API too
    expect(manifest.systems.map((s) => s.id)).toEqual(expect.arrayContaining(MANUAL));
    expect(lonManifest.art15.retention.join(' ')).toContain('skatteförfarandelagen 39 kap. 3 §');
    expect(lonManifest.art15.recipients).toEqual(['Hogia Business Products AB (Hogia Lön, hosted service)']);
    expect(manifest.systems.find((s) => s.id === 'teams')!.status).toBe('NOT_FOUND');
    expect(manifest.systems.find((s) => s.id === 'teams')!.art15.transferSafeguard).toMatch(/Standard Contractual Clauses/);
    const html = files.get('index.html')!.toString('utf8');
    expect(html).toContain('href="hogia-lon/upload-1.pdf"');
    expect(html).toContain('Erik Nilsson lönespec 2026.pdf');
    expect(html).toContain('Payroll administrator (HR)');

    // audited: who uploaded for which request (never the content)
    const events = await gw.gql(TOKENS.AUDITOR, 'query($id: ID) { auditEvents(requestId: $id) { edges { node { action actor } } } }', { id: r.id });
    const actions = events.data.auditEvents.edges.map((e: any) => `${e.node.actor} ${e.node.action}`);
    expect(actions.filter((a: string) => a === 'olivia request.file_uploaded.hogia-lon')).toHaveLength(2);
    expect(actions).toContain('olivia request.manual_step_confirmed');
    expect(gw.logs.join('')).not.toContain('Erik Nilsson');
    expect(readdirSync(path.join(gw.dataDir, 'uploads', r.id))).toHaveLength(3);
  });

  it('an erasure plan names the manual steps and who does them', async () => {
    const res = await gw.gql(TOKENS.OPERATOR, 'query($i: SubjectInput!) { erasurePlan(input: $i) { steps { system dataset action records note } } }', { i: { email: sample('app-2').email } });
    const steps = res.data.erasurePlan.steps.filter((s: any) => MANUAL.includes(s.system));
    expect(steps.map((s: any) => [s.system, s.dataset, s.action])).toEqual(MANUAL.map((m) => [m, '*', 'MANUAL']));
    expect(steps[0].note).toMatch(/Payroll administrator \(HR\).*bokföringslagen/);
  });

  it('an erasure completes with the manual systems confirmed, and its report shows who confirmed what, and when', async () => {
    const erik = sample('app-2');
    const access = (await gw.gql(TOKENS.OPERATOR, '{ requests(type: [ACCESS], first: 50) { edges { node { id status } } } }')).data.requests.edges.map((e: any) => e.node)[0];
    expect(access.status).toBe('COMPLETED');
    expect(existsSync(path.join(gw.dataDir, 'uploads', access.id))).toBe(true);

    const r = await submit({ type: 'ERASURE', subject: { email: erik.email } });
    expect(errorCode(await upload(r.id, 'hogia-lon', { bytes: PDF, type: 'application/pdf', name: 'x.pdf' }))).toEqual(['CONFLICT']);
    await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { approveRequest(id: $id) { status } }', { id: r.id });
    let req = await until(r.id, ['AWAITING_MANUAL_STEPS']);
    expect(task(req, 'hogia-lon')).toMatchObject({ status: 'WAITING_FOR_OPERATOR', owner: 'Payroll administrator (HR)' });
    expect(task(req, 'hogia-lon').note).toContain('bokföringslagen 7 kap. 2 §');
    expect(task(req, 'app').status).toBe('SUCCEEDED');
    expect(codes(await confirm(r.id, 'hogia-lon', 'x'))).toEqual(['BAD_USER_INPUT']);

    const evidence: Record<string, string> = {
      'hogia-lon': 'Employment ended 2025-06-30; private email, phone and next of kin deleted; pay records kept until 2032-12-31',
      office365: 'eDiscovery case DSR-erik: 3 documents deleted, 1 signed contract kept (accounting record)',
      teams: 'Guest account removed; retention policy deletes chats by 2028-11',
    };
    for (const id of MANUAL) expect((await confirm(r.id, id, evidence[id]!)).errors).toBeUndefined();
    req = await until(r.id, ['COMPLETED']);
    const report = req.erasureReport;
    expect(report.completedAt).toBeTruthy();
    // every configured system, the three without an API included
    expect(report.systems.map((s: any) => s.system).sort()).toEqual(gw.gateway.services.registry.connectors.map((c) => c.id).sort());
    expect(report.systems.map((s: any) => s.system)).toEqual(expect.arrayContaining(['app', 'hogia', 'hogia-lon', 'limego', 'office365', 'sendgrid', 'teams']));
    for (const id of MANUAL) {
      const s = report.systems.find((x: any) => x.system === id);
      expect(s).toMatchObject({ status: 'SUCCEEDED', confirmedBy: 'olivia', evidence: evidence[id] });
      // nothing to read again: the confirmation is the verification, and the note says so
      expect(s.verifiedAt).toBe(s.confirmedAt);
      expect(s.note).toMatch(/no API to read again/);
    }
    for (const s of report.systems) expect(['SUCCEEDED', 'NOT_FOUND', 'RETAINED']).toContain(s.status);
    const viewer = await get(r.id, TOKENS.VIEWER);
    expect(viewer.erasureReport.systems.find((x: any) => x.system === 'hogia-lon').evidence).toBe('<hidden>');

    // the earlier access request's export and uploaded files went with the person
    expect(existsSync(path.join(gw.dataDir, 'uploads', access.id))).toBe(false);
    expect(await gw.gateway.store.query('SELECT id FROM manual_uploads WHERE request_id = ?', [access.id])).toEqual([]);
    expect(existsSync(path.join(gw.dataDir, 'exports', `${access.id}.zip`))).toBe(false);
    // and the request says so: what was delivered stays, deleted by the time of the erasure
    const earlier = (await gw.gql(TOKENS.OPERATOR, 'query($id: ID!) { request(id: $id) { export { sha256 expiresAt } } }', { id: access.id })).data.request.export;
    expect(earlier.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(earlier.expiresAt)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(earlier.expiresAt)).toBeGreaterThanOrEqual(Date.parse(report.completedAt) - 60_000);
    expect(codes(await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id: access.id }))).toEqual(['CONFLICT']);
  });

  it('a request type without instructions is skipped with a note', async () => {
    const r = await submit({ type: 'OBJECTION', subject: { email: sample('app-7').email } });
    const done = await until(r.id, ['COMPLETED', 'AWAITING_MANUAL_STEPS']);
    for (const id of MANUAL) {
      expect(task(done, id).status).toBe('SKIPPED');
      expect(task(done, id).note).toMatch(/names no manual step/);
    }
  });

  it('an overdue manual step shows in requests(overdue: true) and in the count per system', async () => {
    const overdueIds = async (overdue: boolean) =>
      (await gw.gql(TOKENS.VIEWER, `{ requests(overdue: ${overdue}, first: 200) { edges { node { id } } } }`)).data.requests.edges.map((e: any) => e.node.id);
    const old = await submit({ type: 'ACCESS', subject: { email: sample('app-3').email }, receivedAt: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    const fresh = await submit({ type: 'ACCESS', subject: { email: sample('app-5').email } });
    await until(old.id, ['AWAITING_MANUAL_STEPS']);
    await until(fresh.id, ['AWAITING_MANUAL_STEPS']);
    expect(await overdueIds(true)).toContain(old.id);
    expect(await overdueIds(true)).not.toContain(fresh.id);
    expect(await overdueIds(false)).toContain(fresh.id);
    expect((await gw.gateway.services.requests.overdueManualStepsBySystem()).filter((c) => MANUAL.includes(c.system))).toEqual(MANUAL.map((system) => ({ system, overdue: 1 })));

    // eight days later the fresh request's Hogia lön step (7 days) is late, the others (10 days) not yet
    const eightDaysLater = new Date(Date.now() + 8 * 86_400_000);
    const counts = await gw.gateway.services.requests.overdueManualStepsBySystem(eightDaysLater);
    expect(counts.filter((c) => MANUAL.includes(c.system))).toEqual([
      { system: 'hogia-lon', overdue: 2 },
      { system: 'office365', overdue: 1 },
      { system: 'teams', overdue: 1 },
    ]);
    expect(counts.find((c) => c.system === 'limego')).toEqual({ system: 'limego', overdue: 0 });
    // a step that has waited longer than its days: the step's deadline is moved back as if the days had passed
    const due = new Date(Date.now() - 1000).toISOString();
    await gw.gateway.store.query("UPDATE dsr_tasks SET due_at = ? WHERE request_id = ? AND system = 'hogia-lon'", [due, fresh.id]);
    expect(await overdueIds(true)).toEqual(expect.arrayContaining([old.id, fresh.id]));
    expect(await overdueIds(false)).not.toContain(fresh.id);
    expect(task(await get(fresh.id), 'hogia-lon').dueAt).toBe(due);

    // once confirmed, it is no longer waiting
    expect((await upload(fresh.id, 'teams', { bytes: CSV, type: 'text/csv', name: 'chats.csv' })).status).toBe(201);
    for (const id of MANUAL) await confirm(fresh.id, id, 'searched, nothing found');
    await until(fresh.id, ['COMPLETED']);
    expect(await overdueIds(true)).not.toContain(fresh.id);

    // when the export expires, the uploaded files go with it
    const uploads = path.join(gw.dataDir, 'uploads', fresh.id);
    expect(readdirSync(uploads)).toHaveLength(1);
    await gw.gateway.store.query("UPDATE dsr_tasks SET run_after = ? WHERE request_id = ? AND kind = 'expire-export'", [new Date(Date.now() - 1000).toISOString(), fresh.id]);
    const zip = path.join(gw.dataDir, 'exports', `${fresh.id}.zip`);
    const rows = () => gw.gateway.store.query('SELECT id FROM manual_uploads WHERE request_id = ?', [fresh.id]) as Promise<unknown[]>;
    // the expiry removes the files and the rows one after another: wait for the whole of it
    const end = Date.now() + 30_000;
    while ((existsSync(uploads) || existsSync(zip) || (await rows()).length > 0) && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
    expect(existsSync(uploads)).toBe(false);
    expect(existsSync(zip)).toBe(false);
    expect(await rows()).toEqual([]);
    // and the deletion is in the audit trail (written once the files are gone)
    const expired = async () =>
      (await gw.gql(TOKENS.AUDITOR, 'query($id: ID) { auditEvents(requestId: $id) { edges { node { action actor } } } }', { id: fresh.id })).data.auditEvents.edges
        .map((e: any) => `${e.node.actor} ${e.node.action}`)
        .filter((a: string) => a === 'gateway export.expired');
    while ((await expired()).length === 0 && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
    expect(await expired()).toHaveLength(1);
  });

  it('can be cancelled while all that is left waits for a person; what was done stays reported', async () => {
    const r = await submit({ type: 'ACCESS', subject: { email: sample('app-4').email } });
    const waiting = await until(r.id, ['AWAITING_MANUAL_STEPS']);
    expect(task(waiting, 'app').status).toBe('SUCCEEDED');
    const CANCEL = 'mutation($id: ID!, $reason: String!) { cancelRequest(id: $id, reason: $reason) { status tasks { system status } } }';
    const cancelled = await gw.gql(TOKENS.OPERATOR, CANCEL, { id: r.id, reason: 'withdrawn by the person' });
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data.cancelRequest.status).toBe('CANCELLED');
    const tasks = Object.fromEntries(cancelled.data.cancelRequest.tasks.map((t: any) => [t.system, t.status]));
    expect(tasks.app).toBe('SUCCEEDED');
    for (const id of MANUAL) expect(tasks[id]).toBe('SKIPPED');
    // a person confirming afterwards finds nothing waiting
    expect(codes(await confirm(r.id, 'teams', 'nothing found in Teams'))).toEqual(['CONFLICT']);
  });
});
