import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { seedAppDatabase } from '../simulators/app-db/seed';
import { loadConfig } from '../src/config';
import type { SendGridConnector } from '../src/connectors/sendgrid/sendgrid.connector';
import { createSqlDataSource, parseDatabaseUrl } from '../src/db/sql-datasource';
import { startDemoSystems } from '../src/demo';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { DEFAULT_RATE_LIMIT } from '../simulators/common/simulator';
import { ms, ratio, table } from './lib';

const OPERATOR = 'bench-operator-token-0123456789';
const APPROVER = 'bench-approver-token-0123456789';
/** SendGrid's limits on recipient erasure jobs (the simulator enforces them). */
const ERASEJOBS_PER_MINUTE = 100;
const ADDRESSES_PER_JOB = 5000;

/**
 * Many erasures at once, on MySQL with several workers, against the simulators: the total time,
 * and the recipient erasure jobs sent against the fewest SendGrid's limits allow. Without
 * batching every erasure would send its own job, and the 100-a-minute limit alone would stretch
 * them over (n - 100) / 100 minutes.
 */
export async function benchErasure(opts: { quick: boolean }): Promise<void> {
  const n = opts.quick ? 50 : 1000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-bench-erasure-'));
  const admin = process.env.DSR_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const suffix = randomBytes(4).toString('hex');
  const names = [`dsr_bench_es_${suffix}`, `dsr_bench_ea_${suffix}`];
  const c = await createConnection(admin);
  for (const name of names) await c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await c.end();
  const url = (name: string) => Object.assign(new URL(admin), { pathname: `/${name}` }).toString();
  // the quick run (CI: the bench must work) seeds a small world; the full run the demo's 3000 users
  const users = opts.quick ? n + 500 : Math.max(3000, n + 500);
  try {
    const app = createSqlDataSource(parseDatabaseUrl(url(names[1]!)));
    await app.initialize();
    await seedAppDatabase(app, 'mysql', { users, events: users * 10 });
    await app.destroy();

    let config = loadConfig({
      DSR_DATA_DIR: dir,
      DSR_PORT: '0',
      DSR_OPERATORS: `olivia:OPERATOR:${OPERATOR},anders:APPROVER:${APPROVER}`,
      DSR_HMAC_KEY: 'bench-hmac-key-0123456789abcdef0123',
      DSR_LOG_LEVEL: 'warn',
      DSR_DEMO_USERS: String(users),
      DSR_DATABASE_URL: url(names[0]!),
      DSR_APP_DATABASE_URL: url(names[1]!),
      DSR_WORKER_CONCURRENCY: '32',
      DSR_LEASE_MS: '60000',
    });
    const systems = await startDemoSystems(config);
    // Zoom is left out: this measures erasure against SendGrid's limits; Zoom's cost (a shared scan
    // of every registrant per round of erasures, paced under its per-second limits) is its own
    const { zoom: _zoom, ...measured } = systems.connectors;
    config = { ...config, connectors: { ...config.connectors, ...measured } };
    const gateway = await createGateway({ config, logger: createLogger('warn'), operators: config.operators!, hmacKey: config.hmacKey! });
    const endpoint = `${await gateway.listen()}/graphql`;
    // count the calls the gateway makes to SendGrid, at the one place they all go through
    const sendgridHost = new URL(systems.simulators!.credentials().sendgrid.baseUrl).host;
    let sendgridCalls = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (new URL(target).host === sendgridHost) sendgridCalls += 1;
      return realFetch(input, init);
    };
    const gql = async (token: string, query: string, variables?: Record<string, unknown>) => {
      const res = await realFetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: any; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    try {
      // app users who received email, none of them in the CRM (whose erasure waits for a person)
      const world = systems.simulators!.world();
      const inCrm = new Set(world.limego.persons.flatMap((p) => (p.email ? [p.email.toLowerCase()] : [])));
      const mailed = [...new Set(world.sendgrid.messages.map((m) => m.to_email.toLowerCase()))].filter((e) => !inCrm.has(e));
      const emails = mailed.slice(0, n);
      const ids: string[] = [];
      for (const email of emails) {
        const r = await gql(OPERATOR, 'mutation($e: String!) { submitRequest(input: {type: ERASURE, subject: {email: $e}, verification: "bench"}) { id } }', { e: email });
        ids.push(r.submitRequest.id);
      }
      sendgridCalls = 0;
      const started = performance.now();
      for (const id of ids) await gql(APPROVER, 'mutation($id: ID!) { approveRequest(id: $id) { status } }', { id });
      let finished = 0;
      for (;;) {
        const d = await gql(OPERATOR, '{ requests(type: [ERASURE], status: [COMPLETED, PARTIALLY_COMPLETED, AWAITING_MANUAL_STEPS], first: 1) { totalCount } }');
        finished = d.requests.totalCount;
        if (finished >= ids.length) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const totalMs = performance.now() - started;
      const done = (await gql(OPERATOR, '{ requests(type: [ERASURE], status: [COMPLETED], first: 1) { totalCount } }')).requests.totalCount;
      const jobs = (gateway.services.registry.get('sendgrid') as SendGridConnector).eraseJobs.jobsSent;
      const fewest = Math.ceil(emails.length / ADDRESSES_PER_JOB);
      const unbatchedMinutes = Math.max(0, (emails.length - ERASEJOBS_PER_MINUTE) / ERASEJOBS_PER_MINUTE);
      // the least time SendGrid's limits allow for the calls made: a window's worth at once, then a window each
      const limit = DEFAULT_RATE_LIMIT;
      const boundMs = Math.max(
        Math.floor(Math.max(0, sendgridCalls - 1) / limit.limit) * limit.windowMs,
        Math.floor(Math.max(0, jobs - 1) / ERASEJOBS_PER_MINUTE) * 60_000,
      );
      console.log(`\nerasure: ${emails.length} people erased at once (MySQL, 32 workers; SendGrid simulator limits: ${limit.limit} calls per ${limit.windowMs / 1000} s, ${ERASEJOBS_PER_MINUTE} erasure jobs a minute)`);
      console.log(
        table([
          ['measure', 'value', 'baseline', 'ratio'],
          ['requests COMPLETED', `${done} of ${emails.length}`, '', ''],
          ['time from approval to the last one finished', ms(totalMs), `${ms(boundMs)} (least the limits allow for the ${sendgridCalls} SendGrid calls)`, boundMs ? `${ratio(totalMs, boundMs)} (goal <= 1.5x)` : 'no limit reached'],
          ['throughput', `${(emails.length / (totalMs / 1000)).toFixed(1)} erasures/s`, `${(sendgridCalls / emails.length).toFixed(1)} SendGrid calls per erasure`, ''],
          ['recipient erasure jobs sent', String(jobs), `${fewest} (fewest the limits allow)`, `unbatched: ${emails.length} jobs, +${unbatchedMinutes.toFixed(1)} min of the job limit alone`],
        ]),
      );
        } finally {
      globalThis.fetch = realFetch;
      await gateway.close();
      await systems.simulators?.close();
    }
  } finally {
    const d = await createConnection(admin);
    for (const name of names) await d.query(`DROP DATABASE IF EXISTS ${name}`);
    await d.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
