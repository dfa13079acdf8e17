import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sampleSubjects, type SampleSubject } from '../../simulators/world';
import { AudienceRemovalEntity } from '../../src/entities/audience-removal.entity';
import { unzip } from '../exports/support';
import { requestSteps, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const REQUEST = `query($id: ID!) { request(id: $id) {
  id type status
  tasks { system status note verifiedAt }
  erasureReport { completedAt systems { system status verifiedAt recordsDeleted confirmedBy evidence note } }
} }`;
const MANUAL = ['hogia-lon', 'office365', 'teams'];
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

jest.setTimeout(300_000);

/**
 * The company's whole data map at once, as `npm start` shows it: the app, SendGrid, Lime Go,
 * Hogia, LinkedIn and Google audiences, Zoom and the three systems without an API. One person
 * known to every system asks for their data, then to be erased.
 */
describe('a person known to every system', () => {
  let gw: TestGateway;
  let samples: SampleSubject[];
  let anna: SampleSubject;
  const steps = requestSteps(() => gw, REQUEST, { verification: 'BankID, in person', waitMs: 240_000 });
  const { get, until } = steps;
  const submit = async (input: Record<string, unknown>) => (await steps.submit(input)).id;
  const confirm = async (id: string, system: string, evidence: string) => expect((await steps.confirm(id, system, evidence)).errors).toBeUndefined();
  const sim = (id: 'linkedin' | 'googleads' | 'zoom' | 'limego') => gw.simulators!.credentials()[id].baseUrl;
  const everySystem = () => gw.gateway.services.registry.connectors.map((c) => c.id).sort();

  beforeAll(async () => {
    gw = await startTestGateway({ simulators: true, manualSystems: true });
    samples = sampleSubjects(gw.simulators!.world());
    anna = samples.find((s) => s.ref === 'app-1')!;
  });
  afterAll(() => gw.close());

  it('every system the policy names is connected', () => {
    expect(everySystem()).toEqual(['app', 'googleads', 'hogia', 'hogia-lon', 'limego', 'linkedin', 'office365', 'sendgrid', 'teams', 'zoom']);
  });

  it('an access export holds every system: records, audiences as recipients, and what a person found in a system without an API', async () => {
    const id = await submit({ type: 'ACCESS', subject: { email: anna.email } });
    await until(id, ['AWAITING_MANUAL_STEPS']);
    const form = new FormData();
    form.append('file', new Blob([PDF], { type: 'application/pdf' }), 'lönespecifikation.pdf');
    const up = await fetch(`${gw.url}/requests/${id}/systems/hogia-lon/files`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.OPERATOR}` }, body: form });
    expect(up.status).toBe(201);
    for (const system of MANUAL) await confirm(id, system, system === 'hogia-lon' ? 'personnel card and pay slips exported' : 'searched, nothing found');
    const done = await until(id, ['COMPLETED', 'PARTIALLY_COMPLETED']);
    expect(done.status).toBe('COMPLETED');
    expect(done.tasks.map((t: any) => t.system).sort()).toEqual(everySystem());

    const link = await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id });
    const file = path.join(gw.dataDir, `${id}.zip`);
    writeFileSync(file, Buffer.from(await (await fetch(link.data.createDownloadLink.url)).arrayBuffer()));
    const entries = await unzip(file);
    expect(entries.get('hogia-lon/upload-1.pdf')).toEqual(PDF);
    expect(JSON.parse(entries.get('zoom/registrants.json')!.toString('utf8'))).toHaveLength(anna.ids.zoomRegistrantIds!.length);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest.systems.map((s: any) => s.id).sort()).toEqual(everySystem());
    for (const s of manifest.systems) {
      // the Art. 15 information of every system, whatever it holds
      expect(s.art15.purposes.length).toBeGreaterThan(0);
      expect(s.art15.retention.length).toBeGreaterThan(0);
    }
    const recipients = manifest.systems.filter((s: any) => s.id === 'linkedin' || s.id === 'googleads').flatMap((s: any) => s.art15.recipients);
    expect(recipients.join(' ')).toMatch(/LinkedIn/);
    expect(recipients.join(' ')).toMatch(/Google/);
  });

  it('an erasure completes in every system, with the evidence each one gives', async () => {
    const id = await submit({ type: 'ERASURE', subject: { email: anna.email } });
    expect((await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { approveRequest(id: $id) { status } }', { id })).errors).toBeUndefined();
    const waiting = await until(id, ['AWAITING_MANUAL_STEPS']);
    expect(waiting.tasks.filter((t: any) => t.status === 'WAITING_FOR_OPERATOR').map((t: any) => t.system).sort()).toEqual(['hogia-lon', 'limego', 'office365', 'teams']);
    // a CRM administrator deletes the person in Lime Go; the owners of the other three act and say so
    await fetch(`${sim('limego')}/__sim/persons/${anna.ids.crmPersonId}`, { method: 'DELETE' });
    await confirm(id, 'limego', 'person deleted in Lime Go by the CRM administrator');
    for (const system of MANUAL) await confirm(id, system, `${system}: done as instructed`);
    const done = await until(id, ['COMPLETED', 'PARTIALLY_COMPLETED']);
    expect(done.status).toBe('COMPLETED');

    const report = done.erasureReport;
    expect(report.systems.map((s: any) => s.system).sort()).toEqual(everySystem());
    for (const s of report.systems) {
      expect(['SUCCEEDED', 'NOT_FOUND', 'RETAINED']).toContain(s.status);
      if (s.status !== 'NOT_FOUND') expect(s.verifiedAt).toBeTruthy();
    }
    for (const system of MANUAL) expect(report.systems.find((s: any) => s.system === system)).toMatchObject({ confirmedBy: 'olivia', evidence: `${system}: done as instructed` });

    // the audiences: the removals the gateway recorded are what the services were asked to do
    const removals = await gw.gateway.store.getRepository(AudienceRemovalEntity).find({ where: { requestId: id } });
    const hash = (v: string) => createHash('sha256').update(v).digest('hex');
    const email = anna.email.trim().toLowerCase();
    for (const system of ['linkedin', 'googleads'] as const) {
      const mine = removals.filter((r) => r.system === system);
      expect(mine.length).toBeGreaterThan(0);
      const state = (await (await fetch(`${sim(system)}/__sim/state/audiences`)).json()) as { audiences: { id: string; members: string[] }[]; removals: { audience: string; hash: string }[] };
      for (const r of mine) {
        expect(r.emailHash).toBe(system === 'linkedin' ? hash(email.replace(/\s+/g, '')) : hash(email));
        expect(state.removals).toEqual(expect.arrayContaining([expect.objectContaining({ audience: r.audience, hash: r.emailHash })]));
        expect(state.audiences.find((a) => a.id === r.audience)!.members).not.toContain(r.emailHash);
      }
    }
    // Zoom: her registrations are gone
    const zoom = (await (await fetch(`${sim('zoom')}/__sim/state/registrants?email=${encodeURIComponent(anna.email)}`)).json()) as unknown[];
    expect(zoom).toEqual([]);
    expect(report.systems.find((s: any) => s.system === 'zoom').recordsDeleted).toBe(anna.ids.zoomRegistrantIds!.length);

    // and the gateway itself keeps only keyed hashes of who she was
    const view = await gw.gql(TOKENS.OPERATOR, 'query($i: SubjectInput!) { subject(input: $i) { erasedAt systems { system status } } }', { i: { email: anna.email } });
    expect(view.data.subject.erasedAt).toBeTruthy();
  });
});
