import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedAppDatabase } from '../simulators/app-db/seed';
import { sampleSubjects } from '../simulators/world';
import { loadConfig } from '../src/config';
import { createSqlDataSource } from '../src/db/sql-datasource';
import { startDemoSystems } from '../src/demo';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { normaliseSubject } from '../src/services/identity';
import { measure, median, ms, ratio, table } from './lib';

const TOKEN = 'bench-operator-token-0123456789';
const LATENCY: Record<string, number> = { sendgrid: 50, limego: 100, hogia: 200 };

/**
 * Fan-out: with simulator latencies of 50, 100 and 200 ms, one `subject` call against the slowest
 * system's own latency (its connector's direct collect) in the same run; and the upstream calls of
 * one `subjects` call for 50 people of each system.
 */
export async function benchFanOut(opts: { quick: boolean }): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-bench-fan-'));
  const users = opts.quick ? 400 : 3000;
  const appDb = createSqlDataSource({ kind: 'sqlite', path: path.join(dir, 'app.sqlite') });
  await appDb.initialize();
  await seedAppDatabase(appDb, 'sqlite', { users, events: opts.quick ? 20_000 : 300_000 });
  await appDb.destroy();

  let config = loadConfig({
    DSR_DATA_DIR: dir,
    DSR_PORT: '0',
    DSR_OPERATORS: `bench:OPERATOR:${TOKEN}`,
    DSR_HMAC_KEY: 'bench-hmac-key-0123456789abcdef0123',
    DSR_LOG_LEVEL: 'warn',
    // one operator asking as fast as the gateway answers: what is measured is the batching, not the rate limits
    DSR_RATE_LIMIT_SUBJECTS: '10000000',
    DSR_DEMO_USERS: String(users),
    DSR_APP_DATABASE_URL: `sqlite:${path.join(dir, 'app.sqlite')}`,
    DSR_WORKERS: 'off',
    // 50 people of each of the five systems in one call
    DSR_MAX_SUBJECTS: '250',
  });
  const systems = await startDemoSystems(config);
  config = { ...config, connectors: { ...config.connectors, ...systems.connectors } };
  const gateway = await createGateway({ config, logger: createLogger('warn'), operators: config.operators!, hmacKey: config.hmacKey! });
  const url = `${await gateway.listen()}/graphql`;
  const sims = systems.simulators!;
  const creds = sims.credentials();

  // count every upstream HTTP call by system, at the one place they all go through
  const calls: Record<string, number> = {};
  const realFetch = globalThis.fetch;
  const hosts = Object.fromEntries(Object.entries(creds).map(([id, c]) => [new URL(c.baseUrl).host, id]));
  globalThis.fetch = (input, init) => {
    const host = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).host;
    const id = hosts[host];
    if (id) calls[id] = (calls[id] ?? 0) + 1;
    return realFetch(input, init);
  };
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const res = await realFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { errors?: unknown; data?: any };
    if (body.errors) throw new Error(`bench query failed: ${JSON.stringify(body.errors)}`);
    return body.data;
  };

  try {
    for (const [id, latencyMs] of Object.entries(LATENCY)) {
      await realFetch(`${creds[id as keyof typeof creds].baseUrl}/__sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pathPattern: '.*', latencyMs }),
      });
    }
    const world = sims.world();
    const anna = sampleSubjects(world).find((s) => s.ref === 'app-1')!;
    const one = () => gql('query($i: SubjectInput!) { subject(input: $i) { systems { system status recordCount } } }', { i: { email: anna.email } });
    const first = await one();
    const statuses = first.subject.systems.map((s: any) => `${s.system}:${s.status}`).join(' ');
    const runs = opts.quick ? 3 : 10;
    const whole = median(await measure(runs, one, 1));
    const key = normaliseSubject({ email: anna.email });
    // the baseline: the slowest external system alone (Zoom scans its registrants, paced under its limits)
    const alone: [string, number][] = [];
    for (const id of ['sendgrid', 'limego', 'hogia', 'zoom']) {
      const connector = gateway.services.registry.get(id)!;
      alone.push([id, median(await measure(runs, () => connector.collect([key], new AbortController().signal), 1))]);
    }
    const [slowestId, slowest] = alone.reduce((a, b) => (b[1] > a[1] ? b : a));

    // 50 people of each external system, in one subjects call
    const emails = new Set<string>();
    const take = (list: string[]) => list.filter((e) => !emails.has(e)).slice(0, 50).forEach((e) => emails.add(e));
    take(world.sendgrid.messages.map((m) => m.to_email.toLowerCase()));
    take(world.limego.persons.flatMap((p) => (p.email ? [p.email.toLowerCase()] : [])));
    take(world.hogia.contacts.flatMap((c) => c.contactChannels.filter((ch) => ch.type === 'Email').map((ch) => ch.value.toLowerCase())));
    take(Object.values(world.zoom.registrants).flat().map((r) => r.email.toLowerCase()));
    // the call count is measured without the added latency, so that no system hits its deadline
    for (const id of Object.keys(LATENCY)) await realFetch(`${creds[id as keyof typeof creds].baseUrl}/__sim/faults`, { method: 'DELETE' });
    for (const k of Object.keys(calls)) delete calls[k];
    const started = performance.now();
    const batch = await gql('query($i: [SubjectInput!]!) { subjects(inputs: $i) { systems { system status } } }', { i: [...emails].map((email) => ({ email })) });
    const batchMs = performance.now() - started;
    const failed = batch.subjects.flatMap((s: any) => s.systems.filter((x: any) => x.status === 'ERROR' || x.status === 'TIMEOUT'));
    if (failed.length) throw new Error(`the batch call had ${failed.length} failed system answers`);

    console.log(`\nfan-out: simulated latency sendgrid 50 ms, limego 100 ms, hogia 200 ms per call; medians (${statuses})`);
    console.log(
      table([
        ['measure', 'value', 'baseline', 'ratio', 'goal'],
        [`one subject (every system + enrichment) vs the slowest system alone (${slowestId} collect)`, ms(whole), ms(slowest), ratio(whole, slowest), '<= 1.15x'],
        [
          `one subjects call, ${emails.size} people (50 per system): upstream calls`,
          Object.entries(calls).map(([id, n]) => `${id} ${n}`).join(', '),
          `${emails.size} people`,
          `${(Object.values(calls).reduce((a, b) => a + b, 0) / emails.size).toFixed(2)} per person`,
          'batched where the API allows',
        ],
        ['  its latency (no added latency)', ms(batchMs), '', '', ''],
      ]),
    );
  } finally {
    globalThis.fetch = realFetch;
    await gateway.close();
    await sims.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
