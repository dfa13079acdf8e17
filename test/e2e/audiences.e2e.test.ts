import { createHash } from 'node:crypto';
import { adAudiences, sampleSubjects, type SampleSubject } from '../../simulators/world';
import { AudienceRemovalEntity } from '../../src/entities/audience-removal.entity';
import { DsrTaskEntity } from '../../src/entities/dsr-task.entity';
import { unzip } from '../exports/support';
import { requestSteps, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const REQUEST = `query($id: ID!) { request(id: $id) {
  id type status
  tasks { system status attempts lastError note verifiedAt }
  erasureReport { completedAt systems { system status verifiedAt note } }
} }`;

interface SimAudiences {
  audiences: { id: string; members: string[] }[];
  removals: { audience: string; hash: string; at: string; job?: string }[];
}

// each test waits for whole requests (an export, an erasure with a Google job): room for a loaded machine
jest.setTimeout(300_000);

/** LinkedIn and Google ad audiences end to end: access lists them, erasure and objection remove from them. */
describe('ad audiences: LinkedIn and Google Ads', () => {
  let gw: TestGateway;
  let samples: SampleSubject[];
  const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
  const sha = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
  const { get, submit, until, task } = requestSteps(() => gw, REQUEST, { waitMs: 240_000 });
  const simState = async (id: 'linkedin' | 'googleads'): Promise<SimAudiences> =>
    (await fetch(`${gw.simulators!.credentials()[id].baseUrl}/__sim/state/audiences`)).json() as Promise<SimAudiences>;
  const recorded = (requestId: string) => gw.gateway.store.getRepository(AudienceRemovalEntity).find({ where: { requestId }, order: { system: 'ASC', audience: 'ASC' } });
  const actions = async (requestId: string): Promise<string[]> =>
    (await gw.gql(TOKENS.AUDITOR, 'query($id: ID) { auditEvents(requestId: $id, first: 200) { edges { node { action } } } }', { id: requestId })).data.auditEvents.edges.map((e: any) => e.node.action);

  beforeAll(async () => {
    gw = await startTestGateway({ simulators: true });
    samples = sampleSubjects(gw.simulators!.world());
  });
  afterAll(() => gw.close());

  it('the systems declare their capabilities, and an access export names the audiences as recipients', async () => {
    const systems = await gw.gql(TOKENS.VIEWER, '{ systems { id name capabilities } }');
    expect(systems.errors).toBeUndefined();
    const byId = Object.fromEntries(systems.data.systems.map((s: any) => [s.id, s]));
    expect(byId.linkedin.capabilities).toEqual(['ACCESS', 'ERASURE', 'MARKETING_SUPPRESSION']);
    expect(byId.googleads.capabilities).toEqual(['ACCESS', 'ERASURE', 'MARKETING_SUPPRESSION']);

    const anna = sample('app-1');
    const r = await submit({ type: 'ACCESS', subject: { email: anna.email } });
    const done = await until(r.id, ['COMPLETED', 'PARTIALLY_COMPLETED']);
    expect(done.status).toBe('COMPLETED');
    expect(task(done, 'linkedin').status).toBe('NOT_FOUND');
    expect(task(done, 'googleads').status).toBe('NOT_FOUND');
    const link = await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id: r.id });
    const file = path.join(gw.dataDir, `${r.id}.zip`);
    writeFileSync(file, Buffer.from(await (await fetch(link.data.createDownloadLink.url)).arrayBuffer()));
    const entries = await unzip(file);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    const linkedin = manifest.systems.find((s: any) => s.id === 'linkedin');
    const google = manifest.systems.find((s: any) => s.id === 'googleads');
    const { linkedin: li, googleads: ga } = gw.simulators!.credentials();
    expect(linkedin.art15.recipients).toEqual(['LinkedIn Ireland Unlimited Company', ...li.segments.map((s) => expect.stringContaining(`DMP segment ${s}`))]);
    expect(google.art15.recipients).toEqual(['Google Ireland Limited', ...ga.userLists.map((l) => expect.stringContaining(`user list ${l}`))]);
    for (const s of [linkedin, google]) {
      expect(s.art15.transferSafeguard).toMatch(/Data Privacy Framework/);
      expect(s.art15.location).toBeTruthy();
      expect(s.art15.purposes.length).toBeGreaterThan(0);
      expect(s.art15.datasets[0]).toMatchObject({ legalBasis: 'LEGITIMATE_INTEREST', retention: expect.any(String) });
    }
    const html = entries.get('index.html')!.toString('utf8');
    expect(html).toContain(`DMP segment ${li.segments[0]}`);
    expect(html).toContain(`user list ${ga.userLists[0]}`);
  });

  it('an approved erasure removes the hashed address from every audience, the Google task waiting without a worker, and records the evidence', async () => {
    const anna = sample('app-1');
    const hash = sha(anna.email);
    for (const id of ['linkedin', 'googleads'] as const) for (const a of (await simState(id)).audiences) expect(a.members).toContain(hash);

    // Google's jobs stay RUNNING until released, so what is seen meanwhile does not depend on timing
    const hold = async (on: boolean) =>
      expect((await fetch(`${gw.simulators!.credentials().googleads.baseUrl}/__sim/jobs/hold`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hold: on }) })).status).toBe(204);
    await hold(true);
    const r = await submit({ type: 'ERASURE', subject: { email: anna.email } });
    expect(r.status).toBe('AWAITING_APPROVAL');
    expect((await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { approveRequest(id: $id) { status } }', { id: r.id })).data.approveRequest.status).toBe('IN_PROGRESS');

    // while Google processes the jobs the task is RUNNING, not leased by any worker, and due again later
    const deferred = await (async () => {
      const end = Date.now() + 240_000;
      for (;;) {
        const row = await gw.gateway.store.getRepository(DsrTaskEntity).findOneByOrFail({ requestId: r.id, system: 'googleads' });
        if (row.status === 'RUNNING' && row.state === 'ready') return row;
        if (row.state === 'done' || Date.now() > end) throw new Error(`the Google Ads task was never deferred: ${row.state} ${row.status}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    expect(deferred.leaseOwner).toBeNull();
    expect(deferred.note).toMatch(/^Google Ads is processing removal jobs customers\/\d+\/offlineUserDataJobs\/\d+.*; checked again after \d{4}-/);
    expect(deferred.runAfter > deferred.startedAt!).toBe(true);
    const running = await get(r.id);
    expect(running.status).toBe('IN_PROGRESS');
    expect(task(running, 'googleads')).toMatchObject({ status: 'RUNNING', note: deferred.note });
    const pending = (await recorded(r.id)).filter((x) => x.system === 'googleads');
    expect(pending.length).toBe(2);
    expect(pending.every((x) => x.emailHash === hash && /offlineUserDataJobs/.test(x.jobRef!) && x.finishedAt === null)).toBe(true);
    // checked again while the jobs run: deferred again, still without a worker and without a counted attempt
    const checkedAgain = await (async () => {
      const end = Date.now() + 240_000;
      for (;;) {
        const row = await gw.gateway.store.getRepository(DsrTaskEntity).findOneByOrFail({ requestId: r.id, system: 'googleads' });
        if (row.state === 'ready' && row.runAfter > deferred.runAfter) return row;
        if (Date.now() > end) throw new Error('the Google Ads task was not checked again');
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    expect(checkedAgain).toMatchObject({ status: 'RUNNING', attempts: 0, leaseOwner: null });
    expect((await recorded(r.id)).filter((x) => x.system === 'googleads').map((x) => x.jobState)).toEqual(['RUNNING', 'RUNNING']);
    await hold(false);

    // the CRM has no API: an administrator deletes the person, then confirms
    await until(r.id, ['AWAITING_MANUAL_STEPS']);
    expect((await fetch(`${gw.simulators!.credentials().limego.baseUrl}/__sim/persons/${anna.ids.crmPersonId}`, { method: 'DELETE' })).status).toBeLessThan(300);
    await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { confirmManualStep(requestId: $id, system: "limego", evidence: "deleted in the CRM") { status } }', { id: r.id });
    const done = await until(r.id, ['COMPLETED', 'PARTIALLY_COMPLETED']);
    expect(done.status).toBe('COMPLETED');

    for (const id of ['linkedin', 'googleads']) {
      expect(task(done, id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(task(done, id).verifiedAt).toBeTruthy();
      expect(task(done, id).note).toMatch(/Recorded as evidence: 2 removals from 2 audiences/);
    }
    // the verification report covers every system
    const report = done.erasureReport.systems;
    expect(report.map((s: any) => s.system).sort()).toEqual(gw.gateway.services.registry.connectors.map((c) => c.id).sort());
    expect(report.filter((s: any) => ['linkedin', 'googleads'].includes(s.system)).every((s: any) => s.verifiedAt)).toBe(true);

    // the store's evidence: which hash left which audience, when, through which job, and how it ended
    const { linkedin: li, googleads: ga } = gw.simulators!.credentials();
    const rows = await recorded(r.id);
    expect(rows.map((x) => [x.system, x.audience, x.emailHash, x.jobState])).toEqual([
      ...ga.userLists.map((l) => ['googleads', l, hash, 'SUCCESS']),
      ...li.segments.map((s) => ['linkedin', s, hash, 'SUCCESS']),
    ]);
    expect(rows.every((x) => x.removedAt && x.finishedAt)).toBe(true);
    // and the simulators show the same
    for (const [id, ids] of [['linkedin', li.segments], ['googleads', ga.userLists]] as const) {
      const sim = await simState(id);
      for (const a of sim.audiences) expect(a.members).not.toContain(hash);
      expect(sim.removals.filter((x) => x.hash === hash).map((x) => x.audience).sort()).toEqual([...ids].sort());
    }
    const googleJobs = new Set(rows.filter((x) => x.system === 'googleads').map((x) => x.jobRef));
    expect(new Set((await simState('googleads')).removals.filter((x) => x.hash === hash).map((x) => x.job))).toEqual(googleJobs);
    expect(await actions(r.id)).toEqual(
      expect.arrayContaining(['request.erasure.linkedin.succeeded', 'request.erasure.linkedin.removals_recorded', 'request.erasure.googleads.running', 'request.erasure.googleads.succeeded', 'request.erasure.googleads.removals_recorded']),
    );
    // nothing of the person in the logs
    const log = gw.logs.join('\n');
    expect(log).not.toContain(hash);
  });

  it('an objection removes the address from the audiences too', async () => {
    const karin = sample('private-karin');
    const hash = sha(karin.email);
    expect(adAudiences(gw.simulators!.world())[0]!.emails).toContain(karin.email.trim().toLowerCase());
    const r = await submit({ type: 'OBJECTION', subject: { email: karin.email } });
    expect(r.status).toBe('IN_PROGRESS');
    const done = await until(r.id, ['COMPLETED', 'PARTIALLY_COMPLETED', 'AWAITING_MANUAL_STEPS']);
    for (const id of ['linkedin', 'googleads'] as const) {
      expect(task(done, id).status).toBe('SUCCEEDED');
      const sim = await simState(id);
      for (const a of sim.audiences) expect(a.members).not.toContain(hash);
    }
    const rows = await recorded(r.id);
    expect(new Set(rows.map((x) => x.system))).toEqual(new Set(['linkedin', 'googleads']));
    expect(rows.every((x) => x.emailHash === hash && x.jobState === 'SUCCESS')).toBe(true);
  });

  it('a Google job that ends FAILED fails the attempt with a safe error, and the retry runs a new job', async () => {
    const taken = new Set([sample('app-1').email, sample('private-karin').email].map((e) => e.trim().toLowerCase()));
    const email = adAudiences(gw.simulators!.world())[0]!.emails.find((e) => !taken.has(e))!;
    const google = gw.simulators!.credentials().googleads.baseUrl;
    const failNext = await fetch(`${google}/__sim/jobs/outcome`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'FAILED', count: 1 }) });
    expect(failNext.status).toBe(204);
    const r = await submit({ type: 'OBJECTION', subject: { email } });
    const done = await until(r.id, ['COMPLETED', 'PARTIALLY_COMPLETED', 'AWAITING_MANUAL_STEPS']);
    const t = task(done, 'googleads');
    expect(t).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(t.lastError).toMatch(/^Google Ads removal job customers\/\d+\/offlineUserDataJobs\/\d+ ended FAILED or cannot be found; a retry starts new jobs$/);
    expect(t.lastError).not.toContain(email);
    const failedJob = /(customers\/\d+\/offlineUserDataJobs\/\d+)/.exec(t.lastError)![1];
    const jobs = (await (await fetch(`${google}/__sim/state/jobs`)).json()) as { resourceName: string; status: string }[];
    expect(jobs.find((j) => j.resourceName === failedJob)!.status).toBe('FAILED');
    // the evidence names the jobs that did the removal, not the one that failed
    const rows = (await recorded(r.id)).filter((x) => x.system === 'googleads');
    expect(rows).toHaveLength(2);
    expect(rows.every((x) => x.jobState === 'SUCCESS' && x.jobRef !== failedJob && x.emailHash === sha(email))).toBe(true);
    for (const a of (await simState('googleads')).audiences) expect(a.members).not.toContain(sha(email));
  });
});
