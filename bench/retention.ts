import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { seedAppDatabase } from '../simulators/app-db/seed';
import { loadConfig } from '../src/config';
import type { AppConnector } from '../src/connectors/app/app.connector';
import { latestDayPastRule } from '../src/connectors/retention';
import { APP_RETENTION_RULE } from '../src/connectors/app/app.descriptor';
import { createSqlDataSource, type DatabaseLocation } from '../src/db/sql-datasource';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { type BenchDatabase, databases } from './app-batching';
import { median, ms, ratio, table } from './lib';

/** The same rule as one hand-written statement: every user whose employer's contract ended on or before the day. */
const BASELINE_SQL = `SELECT u.id, u.email_normalized, u.phone, o.contract_end
  FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE o.contract_end <= ?`;

/**
 * Retention candidates over the demo app database: paging through every candidate with the app
 * connector (one keyset statement per page) and with a dry-run sweep (every system's pages, merged
 * per person, checked against open requests), against one hand-written SQL query for the same rule
 * in the same run. Candidates per second for each, and the ratio.
 */
export async function benchRetention(opts: { quick: boolean; database: BenchDatabase }): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-bench-retention-'));
  const users = opts.quick ? 10_000 : 100_000;
  const dbs = await databases(opts.database, dir);
  const location: DatabaseLocation = opts.database === 'sqlite' ? { kind: 'sqlite', path: dbs.app.slice('sqlite:'.length) } : { kind: 'mysql', url: dbs.app };
  const appDb = createSqlDataSource(location);
  await appDb.initialize();
  const t0 = performance.now();
  await seedAppDatabase(appDb, location.kind, { users, events: 0 });
  const seededMs = performance.now() - t0;

  const config = loadConfig({
    DSR_DATA_DIR: dir,
    DSR_PORT: '0',
    DSR_OPERATORS: 'bench:OPERATOR:bench-operator-token-0123456789',
    DSR_HMAC_KEY: 'bench-hmac-key-0123456789abcdef0123',
    DSR_LOG_LEVEL: 'warn',
    DSR_WORKERS: 'off',
    DSR_DATABASE_URL: dbs.store,
    DSR_APP_DATABASE_URL: dbs.app,
  });
  const gateway = await createGateway({ config, logger: createLogger('warn'), operators: config.operators!, hmacKey: config.hmacKey! });
  const app = gateway.services.registry.get('app') as AppConnector;
  const signal = new AbortController().signal;
  const now = new Date();
  const cutoff = latestDayPastRule(APP_RETENTION_RULE, now);

  const baseline = async () => ((await appDb.query(BASELINE_SQL, [cutoff])) as unknown[]).length;
  const paged = (first: number) => async () => {
    let n = 0;
    let after: string | null = null;
    for (;;) {
      const page = await app.retentionCandidates(now, { first, after, count: after === null }, signal);
      n += page.candidates.length;
      if (!page.hasNextPage) return n;
      after = page.candidates.at(-1)!.cursor;
    }
  };
  const sweep = async () => (await gateway.services.retention.sweep('bench', true, now)).candidates;
  /** Median time of `runs` runs (after one warm-up) and the candidates each found. */
  const time = async (runs: number, fn: () => Promise<number>) => {
    const found = await fn();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      if ((await fn()) !== found) throw new Error('a run found a different number of candidates');
      times.push(performance.now() - t);
    }
    return { found, ms: median(times) };
  };

  try {
    const runs = opts.quick ? 3 : 7;
    const base = await time(runs, baseline);
    const rows: (string | number)[][] = [['measure', 'candidates/s', 'time', 'baseline (one SQL query)', 'ratio']];
    const perSecond = (r: { found: number; ms: number }) => Math.round((r.found / r.ms) * 1000).toLocaleString('en-US');
    const row = (label: string, r: { found: number; ms: number }) => {
      if (r.found !== base.found) throw new Error(`${label} found ${r.found} candidates, the baseline ${base.found}`);
      rows.push([label, perSecond(r), ms(r.ms), `${perSecond(base)}/s, ${ms(base.ms)}`, ratio(base.ms, r.ms)]);
    };
    row('connector, pages of 500', await time(runs, paged(500)));
    row('connector, pages of 50', await time(runs, paged(50)));
    row('dry-run sweep (all systems, merged, checked against open requests)', await time(runs, sweep));
    console.log(
      `\nretention candidates on ${opts.database === 'sqlite' ? 'embedded SQLite' : 'MariaDB/MySQL over TCP'}: ${users.toLocaleString('en-US')} app users ` +
        `(seeded in ${ms(seededMs)}), ${base.found.toLocaleString('en-US')} past the rule; medians; ratio = baseline time / time (1x = as fast as the one query)`,
    );
    console.log(table(rows));
  } finally {
    await appDb.destroy();
    await gateway.close();
    await dbs.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
