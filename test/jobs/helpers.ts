import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../../src/db/sql-datasource';
import { openStore } from '../../src/db/store';
import { DsrTaskEntity } from '../../src/entities/dsr-task.entity';
import { createLogger, type Logger } from '../../src/logger';
import { createTestDatabase, tempDir } from '../support/databases';

export interface JobsStore {
  url: string;
  ds: DataSource;
  /** Another DataSource on the same database: a second process's worth of connections. */
  open(): Promise<DataSource>;
  close(): Promise<void>;
}

/** A fresh store (migrated) on the database under test. */
export async function openJobsStore(label: string): Promise<JobsStore> {
  const tmp = tempDir(`jobs-${label}`);
  const db = await createTestDatabase(label, tmp.dir);
  const opened: DataSource[] = [];
  const open = async () => {
    const ds = await openStore(parseDatabaseUrl(db.url));
    opened.push(ds);
    return ds;
  };
  const ds = await open();
  return {
    url: db.url,
    ds,
    open,
    close: async () => {
      for (const d of opened) if (d.isInitialized) await d.destroy();
      await db.drop();
      tmp.remove();
    },
  };
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Inserts ready tasks (one per system) and returns them as stored. */
export async function insertTasks(ds: DataSource, count: number, fields: Partial<DsrTaskEntity> = {}): Promise<DsrTaskEntity[]> {
  const requestId = randomUUID();
  const tasks = Array.from({ length: count }, (_, i) =>
    Object.assign(new DsrTaskEntity(), {
      id: randomUUID(),
      requestId,
      kind: 'system',
      system: `sys${i}`,
      status: 'PENDING',
      state: 'ready',
      runAfter: iso(Date.now() - 1000),
      attempts: 0,
      maxAttempts: 3,
      leaseOwner: null,
      leaseExpiresAt: null,
      lastError: null,
      startedAt: null,
      finishedAt: null,
      recordsExported: null,
      note: null,
      resultJson: null,
      ...fields,
    }),
  );
  // insert copies: after a multi-row insert typeorm re-reads the rows (for the `attempts` default) and
  // merges them back by position, not by key, which puts other rows' ids on the objects (typeorm#10574)
  for (let i = 0; i < tasks.length; i += 100) await ds.getRepository(DsrTaskEntity).insert(tasks.slice(i, i + 100).map((t) => ({ ...t })));
  return tasks;
}

export const load = (ds: DataSource, id: string) => ds.getRepository(DsrTaskEntity).findOneByOrFail({ id });

/** A logger whose JSON lines the test can read. */
export function captureLogger(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (s: string) => void lines.push(s) });
  return { logger, lines, text: () => lines.join('') };
}

export function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls until check() returns a truthy value, which it returns. */
export async function until<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<Truthy<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Truthy<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}
