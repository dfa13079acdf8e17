import { sampleSubjects, type SampleSubject } from '../../simulators/world';
import { unzip } from '../exports/support';
import { requestSteps, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';
import path from 'node:path';
import { writeFileSync } from 'node:fs';

const REQUEST = `query($id: ID!) { request(id: $id) {
  id status
  tasks { system status lastError note recordsDeleted verifiedAt }
  erasureReport { completedAt systems { system status recordsDeleted verifiedAt } }
} }`;

/** Zoom webinar registrants end to end: the data map, an access export and an erasure, against the simulator. */
describe('zoom: webinar registrants', () => {
  let gw: TestGateway;
  let samples: SampleSubject[];
  const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
  const { submit, until, task } = requestSteps(() => gw, REQUEST, { waitMs: 90_000 });
  const zoomSim = () => gw.simulators!.credentials().zoom.baseUrl;
  const registrations = async (email: string) =>
    (await (await fetch(`${zoomSim()}/__sim/state/registrants?email=${encodeURIComponent(email)}`)).json()) as { webinar_id: number; registrant: { id: string } }[];

  beforeAll(async () => {
    gw = await startTestGateway({ simulators: true, env: { DSR_TASK_MAX_ATTEMPTS: '2' } });
    samples = sampleSubjects(gw.simulators!.world());
  });
  afterAll(() => gw.close());

  it('is in the data map with its processor, transfer safeguard and capabilities', async () => {
    const res = await gw.gql(TOKENS.VIEWER, '{ systems { id name processor location transferSafeguard capabilities datasets { name legalBasis fields { name category provenance } } } }');
    expect(res.errors).toBeUndefined();
    const zoom = res.data.systems.find((s: any) => s.id === 'zoom');
    expect(zoom).toMatchObject({ processor: 'Zoom Video Communications, Inc.', capabilities: ['ACCESS', 'ERASURE'] });
    expect(zoom.transferSafeguard).toMatch(/Data Privacy Framework/);
    expect(zoom.datasets.map((d: any) => d.name)).toEqual(['registrants']);
    expect(zoom.datasets[0].fields).toEqual(expect.arrayContaining([{ name: 'email', category: 'contact.email', provenance: 'PROVIDED' }]));
  });

  it("exports Anna's registrations, and none of her look-alikes', with Zoom's Art. 15 information", async () => {
    const anna = sample('app-1');
    const r = await submit({ type: 'ACCESS', subject: { email: anna.email } });
    const done = await until(r.id, ['COMPLETED', 'PARTIALLY_COMPLETED']);
    expect(task(done, 'zoom').status).toBe('SUCCEEDED');
    expect(done.status).toBe('COMPLETED');

    const link = await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id: r.id });
    const res = await fetch(link.data.createDownloadLink.url);
    const file = path.join(gw.dataDir, `${r.id}.zip`);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const entries = await unzip(file);
    const registrants = JSON.parse(entries.get('zoom/registrants.json')!.toString('utf8')) as any[];
    expect(registrants.map((x) => x.id).sort()).toEqual([...anna.ids.zoomRegistrantIds!].sort());
    expect(registrants.every((x) => x.email.toLowerCase() === anna.email)).toBe(true);
    expect(registrants.every((x) => typeof x.webinar_topic === 'string')).toBe(true);
    expect(entries.get('zoom/registrants.csv')!.toString('utf8').split('\r\n')[0]).toContain('webinar_topic');

    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    const zoom = manifest.systems.find((s: any) => s.id === 'zoom');
    expect(zoom.datasets).toEqual([expect.objectContaining({ name: 'registrants', records: 3 })]);
    expect(zoom.art15.recipients).toEqual(expect.arrayContaining([expect.stringContaining('Zoom Video Communications')]));
    expect(zoom.art15.transferSafeguard).toMatch(/Data Privacy Framework/);
    expect(zoom.art15.datasets[0]).toMatchObject({ legalBasis: 'CONTRACT', sources: expect.arrayContaining(['PROVIDED', 'OBSERVED', 'DERIVED']) });
  });

  it('erases Anna everywhere: her Zoom registrants are deleted and the report shows Zoom verified', async () => {
    const anna = sample('app-1');
    const lookalikes = [...(await registrations(sample('lookalike-anna').email)), ...(await registrations('anna_lindqvist@northwind.example'))];
    expect(await registrations(anna.email)).toHaveLength(3);

    const plan = await gw.gql(TOKENS.OPERATOR, 'query($i: SubjectInput!) { erasurePlan(input: $i) { steps { system dataset action records } } }', { i: { email: anna.email } });
    expect(plan.data.erasurePlan.steps.filter((s: any) => s.system === 'zoom')).toEqual([{ system: 'zoom', dataset: 'registrants', action: 'DELETE', records: 3 }]);

    const r = await submit({ type: 'ERASURE', subject: { email: anna.email } });
    expect(r.status).toBe('AWAITING_APPROVAL');
    const approved = await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { approveRequest(id: $id) { status } }', { id: r.id });
    expect(approved.data.approveRequest.status).toBe('IN_PROGRESS');
    // Lime Go has no delete API: a CRM administrator deletes the person and an operator confirms
    await until(r.id, ['AWAITING_MANUAL_STEPS']);
    await fetch(`${gw.simulators!.credentials().limego.baseUrl}/__sim/persons/${anna.ids.crmPersonId}`, { method: 'DELETE' });
    await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { confirmManualStep(requestId: $id, system: "limego", evidence: "deleted in the CRM") { status } }', { id: r.id });
    const done = await until(r.id, ['COMPLETED', 'PARTIALLY_COMPLETED']);
    expect(done.status).toBe('COMPLETED');

    expect(task(done, 'zoom')).toMatchObject({ status: 'SUCCEEDED', recordsDeleted: 3 });
    expect(task(done, 'zoom').verifiedAt).toBeTruthy();
    const report = done.erasureReport.systems.find((s: any) => s.system === 'zoom');
    expect(report).toMatchObject({ status: 'SUCCEEDED', recordsDeleted: 3 });
    expect(report.verifiedAt).toBeTruthy();
    expect(done.erasureReport.systems.map((s: any) => s.system).sort()).toEqual(gw.gateway.services.registry.connectors.map((c) => c.id).sort());
    expect(done.erasureReport.systems.every((s: any) => s.verifiedAt)).toBe(true);

    expect(await registrations(anna.email)).toEqual([]);
    const after = [...(await registrations(sample('lookalike-anna').email)), ...(await registrations('anna_lindqvist@northwind.example'))];
    expect(after).toEqual(lookalikes);
    const view = await gw.gql(TOKENS.OPERATOR, 'query($i: SubjectInput!) { subject(input: $i) { systems { system status } } }', { i: { email: anna.email } });
    expect(view.data.subject.systems.find((s: any) => s.system === 'zoom').status).toBe('NOT_FOUND');
  });
});
