import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import os from 'node:os';
import path from 'node:path';
import { seedAppDatabase } from '../simulators/app-db/seed';
import { loadConfig } from '../src/config';
import type { AppConnector } from '../src/connectors/app/app.connector';
import { createSqlDataSource, type DatabaseLocation } from '../src/db/sql-datasource';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { normaliseSubject } from '../src/services/identity';
import { measure, median, ms, ratio, table } from './lib';

const TOKEN = 'bench-operator-token-0123456789';

/**
 * The app connector's batching and the gateway's own overhead, against baselines measured in the
 * same run: one `subjects` call for 100 people against 100 `subject` calls, and one `subject` call
 * over HTTP against the connector's direct collect for the same person.
 */
export type BenchDatabase = 'sqlite' | 'mysql';

/** Fresh databases for one scenario: embedded SQLite files, or new databases on MariaDB/MySQL. */
export async function databases(kind: BenchDatabase, dir: string): Promise<{ store: string; app: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    return { store: `sqlite:${path.join(dir, 'gateway.sqlite')}`, app: `sqlite:${path.join(dir, 'app.sqlite')}`, drop: async () => undefined };
  }
  const admin = process.env.DSR_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const suffix = randomBytes(4).toString('hex');
  const names = [`dsr_bench_store_${suffix}`, `dsr_bench_app_${suffix}`];
  const c = await createConnection(admin);
  for (const n of names) await c.query(`CREATE DATABASE ${n} CHARACTER SET utf8mb4`);
  await c.end();
  const url = (n: string) => Object.assign(new URL(admin), { pathname: `/${n}` }).toString();
  return {
    store: url(names[0]!),
    app: url(names[1]!),
    drop: async () => {
      const d = await createConnection(admin);
      for (const n of names) await d.query(`DROP DATABASE IF EXISTS ${n}`);
      await d.end();
    },
  };
}

export async function benchAppBatching(opts: { quick: boolean; database: BenchDatabase }): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-bench-'));
  const users = opts.quick ? 400 : 3000;
  const events = opts.quick ? 20_000 : 300_000;
  const dbs = await databases(opts.database, dir);
  const location: DatabaseLocation = opts.database === 'sqlite' ? { kind: 'sqlite', path: dbs.app.slice('sqlite:'.length) } : { kind: 'mysql', url: dbs.app };
  const appDb = createSqlDataSource(location);
  await appDb.initialize();
  await seedAppDatabase(appDb, location.kind, { users, events });
  // 100 ordinary users (not the heavy sample user), spread over the population
  const people = (await appDb.query('SELECT id, email_normalized FROM users WHERE id > 7 ORDER BY id')) as { id: number; email_normalized: string }[];
  await appDb.destroy();
  const step = Math.floor(people.length / 100);
  const sample = Array.from({ length: 100 }, (_, i) => people[i * step]!.email_normalized);

  const config = loadConfig({
    DSR_DATA_DIR: dir,
    DSR_PORT: '0',
    DSR_OPERATORS: `bench:OPERATOR:${TOKEN}`,
    DSR_HMAC_KEY: 'bench-hmac-key-0123456789abcdef0123',
    DSR_LOG_LEVEL: 'warn',
    // one operator asking as fast as the gateway answers: what is measured is the batching, not the rate limits
    DSR_RATE_LIMIT_SUBJECTS: '10000000',
    DSR_DATABASE_URL: dbs.store,
    DSR_APP_DATABASE_URL: dbs.app,
  });
  const gateway = await createGateway({ config, logger: createLogger('warn'), operators: config.operators!, hmacKey: config.hmacKey! });
  const url = `${await gateway.listen()}/graphql`;
  const app = gateway.services.registry.get('app') as AppConnector;
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { errors?: unknown };
    if (body.errors) throw new Error(`bench query failed: ${JSON.stringify(body.errors)}`);
    return body;
  };
  const FIELDS = 'found systems { status datasets { name totalCount records(first: 1000) } }';
  const one = (email: string) => gql(`query($i: SubjectInput!) { subject(input: $i) { ${FIELDS} } }`, { i: { email } });
  const many = () => gql(`query($i: [SubjectInput!]!) { subjects(inputs: $i) { ${FIELDS} } }`, { i: sample.map((email) => ({ email })) });
  const naive = async () => {
    for (const email of sample) await one(email);
  };
  const queriesOf = async (fn: () => Promise<unknown>) => {
    const before = app.queries.count;
    await fn();
    return app.queries.count - before;
  };

  try {
    const runs = opts.quick ? 3 : 15;
    await many(); // connects the pool, so the counts below are the calls' own
    const batchedQueries = await queriesOf(many);
    const naiveQueries = await queriesOf(naive);
    const batched = median(await measure(runs, many, 2));
    const separate = median(await measure(Math.max(3, Math.floor(runs / 3)), naive, 1));

    const overheadRuns = opts.quick ? 20 : 200;
    const signal = new AbortController().signal;
    const summary = (email: string) => gql('query($i: SubjectInput!) { subject(input: $i) { found systems { status recordCount } } }', { i: { email } });
    /** The same read through the gateway (HTTP, GraphQL, audit), returning the records or only a summary. */
    const overhead = async (label: string, email: string, withRecords: boolean) => {
      const key = normaliseSubject({ email });
      const direct = median(await measure(overheadRuns, () => app.collect([key], signal), 10));
      const viaGateway = median(await measure(overheadRuns, () => (withRecords ? one(email) : summary(email)), 10));
      const [snapshot] = await app.collect([key], signal);
      const records = snapshot!.datasets.reduce((n, d) => n + d.records.length, 0);
      const what = withRecords ? 'records returned' : 'summary returned';
      return [`one subject, ${label} (${records} records, ${what}): gateway vs direct collect`, ms(viaGateway), ms(direct), ratio(viaGateway, direct), '< 1.3x'];
    };

    console.log(`\napp connector on ${opts.database === 'sqlite' ? 'embedded SQLite' : 'MariaDB/MySQL over TCP'}: ${users} users, ${events} view events; medians`);
    console.log(
      table([
        ['measure', 'value', 'baseline', 'ratio', 'goal'],
        ['100 subjects: upstream queries', `${batchedQueries} (one subjects call)`, `${naiveQueries} (100 subject calls)`, ratio(batchedQueries, naiveQueries), 'one per dataset'],
        ['100 subjects: latency', ms(batched), ms(separate), ratio(batched, separate), '< 1x'],
        await overhead('typical user', sample[50]!, true),
        await overhead('typical user', sample[50]!, false),
        await overhead('heaviest user', 'anna.lindqvist@northwind.example', true),
        await overhead('heaviest user', 'anna.lindqvist@northwind.example', false),
      ]),
    );
  } finally {
    await gateway.close();
    await dbs.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
