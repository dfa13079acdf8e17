import { sampleSubjects, type SampleSubject } from '../../simulators/world';
import { DsrTaskEntity } from '../../src/entities/dsr-task.entity';
import { requestSteps, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const STATUS = 'query($id: ID!) { request(id: $id) { status tasks { system status } } }';

/** Parses the Prometheus text format into "name{labels}" -> value (labels as written, sorted by the client). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** /metrics: what operations, connectors, the task queue and the requests look like, read by Prometheus. */
describe('GET /metrics', () => {
  let gw: TestGateway;
  let samples: SampleSubject[];
  const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
  const scrape = async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = await res.text();
    return { text, values: parse(text) };
  };
  const steps = requestSteps(() => gw, STATUS);
  const { until } = steps;
  const submit = async (input: Record<string, unknown>) => (await steps.submit(input)).id;

  beforeAll(async () => {
    gw = await startTestGateway({
      simulators: true,
      env: { DSR_METRICS_TOKEN: METRICS_TOKEN },
      tune: { limego: { retries: 0, breaker: { failureThreshold: 1, cooldownMs: 600_000 } } },
    });
    samples = sampleSubjects(gw.simulators!.world());
  });
  afterAll(() => gw.close());

  it('needs the scrape token when one is configured', async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKENS.OPERATOR}` } })).status).toBe(401);
  });

  it('counts HTTP requests and GraphQL operations by route template, root field and outcome', async () => {
    const anna = sample('app-1');
    const before = (await scrape()).values;
    const q = 'query($i: SubjectInput!) { subject(input: $i) { found } }';
    expect((await gw.gql(TOKENS.OPERATOR, q, { i: { email: anna.email } })).data.subject.found).toBe(true);
    expect((await gw.gql(TOKENS.VIEWER, q, { i: { email: anna.email } })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await fetch(`${gw.url}/exports/11111111-2222-3333-4444-555555555555/download?token=nope`)).status).toBe(404);
    const { text, values } = await scrape();
    const delta = (k: string) => (values.get(k) ?? 0) - (before.get(k) ?? 0);
    expect(delta('dsr_graphql_operations_total{type="query",field="subject",outcome="ok"}')).toBe(1);
    expect(delta('dsr_graphql_operations_total{type="query",field="subject",outcome="FORBIDDEN"}')).toBe(1);
    expect(delta('dsr_graphql_operation_duration_seconds_count{type="query",field="subject"}')).toBe(2);
    expect(delta('dsr_http_requests_total{method="POST",route="/graphql",status="200"}')).toBe(2);
    expect(delta('dsr_http_requests_total{method="GET",route="/exports/:id/download",status="404"}')).toBe(1);
    expect(values.get('dsr_http_request_duration_seconds_count{method="GET",route="/exports/:id/download"}')).toBeGreaterThanOrEqual(1);
    // labels never carry what was asked for: no email, no id, no token
    expect(text).not.toContain(anna.email);
    expect(text).not.toContain('11111111-2222');
    expect(text).not.toContain('nope');
    expect(text).not.toContain(TOKENS.OPERATOR);
  });

  it('reports requests by status, overdue requests, manual steps waiting and the task queue from the store', async () => {
    // Anna is in every system, Lime Go included; received 40 days ago and waiting for approval: overdue
    const overdue = await submit({ type: 'ERASURE', subject: { email: sample('app-1').email }, receivedAt: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    const access = await submit({ type: 'ACCESS', subject: { email: sample('app-3').email } });
    await until(access, ['COMPLETED', 'PARTIALLY_COMPLETED']);
    const { values } = await scrape();
    expect(values.get('dsr_requests{status="AWAITING_APPROVAL",type="ERASURE"}')).toBe(1);
    expect((values.get('dsr_requests{status="COMPLETED",type="ACCESS"}') ?? 0) + (values.get('dsr_requests{status="PARTIALLY_COMPLETED",type="ACCESS"}') ?? 0)).toBe(1);
    expect(values.get('dsr_requests_overdue{type="ERASURE"}')).toBe(1);
    expect(values.get('dsr_task_queue_depth{state="due"}')).toBe(0);
    expect(values.get('dsr_task_queue_depth{state="leased"}')).toBe(0);
    // the export file's expiry, due in days
    expect(values.get('dsr_task_queue_depth{state="scheduled"}')).toBeGreaterThanOrEqual(1);
    expect(values.get('dsr_tasks_settled_total{kind="package",status="SUCCEEDED"}')).toBeGreaterThanOrEqual(1);
    expect(overdue).toBeTruthy();

    // the erasure approved: Lime Go's step waits for a CRM administrator, on a request past its due date
    const approved = await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { approveRequest(id: $id) { status } }', { id: overdue });
    expect(approved.errors).toBeUndefined();
    const r = await until(overdue, ['AWAITING_MANUAL_STEPS', 'COMPLETED', 'PARTIALLY_COMPLETED']);
    const waiting = r.tasks.filter((t: { status: string }) => t.status === 'WAITING_FOR_OPERATOR').map((t: { system: string }) => t.system);
    const after = (await scrape()).values;
    for (const system of waiting) expect(after.get(`dsr_manual_steps_overdue{system="${system}"}`)).toBe(1);
    expect(waiting.length).toBeGreaterThan(0);
  });

  it('counts a task taken over from a worker whose lease expired', async () => {
    const before = (await scrape()).values.get('dsr_task_lease_takeovers_total') ?? 0;
    const id = await submit({ type: 'ACCESS', subject: { email: sample('app-5').email } });
    await until(id, ['COMPLETED', 'PARTIALLY_COMPLETED']);
    // a worker that died holding the package task: its lease ran out a minute ago
    const tasks = gw.gateway.store.getRepository(DsrTaskEntity);
    const pkg = await tasks.findOneByOrFail({ requestId: id, kind: 'package' });
    await tasks.update({ id: pkg.id }, { state: 'leased', status: 'RUNNING', leaseOwner: 'gone:1:dead', leaseExpiresAt: new Date(Date.now() - 60_000).toISOString() });
    const end = Date.now() + 30_000;
    while ((await tasks.findOneByOrFail({ id: pkg.id })).state !== 'done') {
      if (Date.now() > end) throw new Error('the expired lease was not taken over');
      await new Promise((res) => setTimeout(res, 100));
    }
    expect((await scrape()).values.get('dsr_task_lease_takeovers_total')).toBe(before + 1);
  });
  it('times every system and shows errors and the circuit state per system', async () => {
    const anna = sample('app-1');
    const faults = `${gw.simulators!.credentials().limego.baseUrl}/__sim/faults`;
    await fetch(faults, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pathPattern: '.*', status: 503, count: 1000 }) });
    try {
      const res = await gw.gql(TOKENS.OPERATOR, 'query($i: SubjectInput!) { subject(input: $i) { systems { system status } } }', { i: { email: anna.email } });
      expect(res.data.subject.systems.find((s: { system: string }) => s.system === 'limego').status).toBe('ERROR');
    } finally {
      await fetch(faults, { method: 'DELETE' });
    }
    const { values } = await scrape();
    for (const system of ['app', 'sendgrid', 'hogia']) {
      expect(values.get(`dsr_connector_operation_duration_seconds_count{system="${system}",operation="collect",outcome="ok"}`)).toBeGreaterThanOrEqual(1);
    }
    expect(values.get('dsr_connector_errors_total{system="limego",operation="collect"}')).toBeGreaterThanOrEqual(1);
    expect(values.get('dsr_connector_http_duration_seconds_count{system="limego",status="5xx"}')).toBeGreaterThanOrEqual(1);
    expect(values.get('dsr_connector_http_duration_seconds_count{system="sendgrid",status="2xx"}')).toBeGreaterThanOrEqual(1);
    expect(values.get('dsr_connector_circuit_state{system="limego"}')).toBe(2);
    expect(values.get('dsr_connector_circuit_state{system="sendgrid"}')).toBe(0);
  });
});
