import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';

/** The suite runs twice: on embedded SQLite (default) and on MySQL/MariaDB (DSR_TEST_DATABASE=mysql). */
export const TEST_DATABASE = process.env.DSR_TEST_DATABASE === 'mysql' ? 'mysql' : 'sqlite';
export const MYSQL_ADMIN_URL = process.env.DSR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface TestDatabase {
  /** A DSR_DATABASE_URL-style URL: mysql://... or sqlite:/path */
  url: string;
  drop(): Promise<void>;
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dsr-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A MySQL URL for a database name on the test server. */
export function mysqlUrl(database: string): string {
  const u = new URL(MYSQL_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function mysqlAdmin<T>(work: (c: Awaited<ReturnType<typeof createConnection>>) => Promise<T>): Promise<T> {
  const c = await createConnection(MYSQL_ADMIN_URL);
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** A fresh, empty database of the kind under test. */
export async function createTestDatabase(label: string, dir: string, kind: 'sqlite' | 'mysql' = TEST_DATABASE): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const file = path.join(dir, `${label}.sqlite`);
    return { url: `sqlite:${file}`, drop: async () => undefined };
  }
  const name = `dsr_t_${label}_${randomBytes(4).toString('hex')}`;
  await mysqlAdmin((c) => c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  return { url: mysqlUrl(name), drop: () => mysqlAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name}`)).then(() => undefined) };
}
