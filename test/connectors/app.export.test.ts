/**
 * The app connector's export stream gives every dataset's records exactly as one query with the
 * joins gives them (same fields in the same order, same values, same order of records), on the
 * database under test, for one user and for a subject with several accounts.
 */
import type { DataSource } from 'typeorm';
import { addViewEvents } from '../../simulators/app-db/bulk';
import { seedAppDatabase } from '../../simulators/app-db/seed';
import { loadConfig, type ConnectorSettings } from '../../src/config';
import { AppConnector, appConnectorFactory } from '../../src/connectors/app/app.connector';
import type { Row, SubjectKey } from '../../src/connectors/connector';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { createTestDatabase, tempDir, TEST_DATABASE, type TestDatabase } from '../support/databases';
import { capturingLogger } from './http/test-server';

const tmp = tempDir('app-export');
const { logger } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: tmp.dir });
const never = new AbortController().signal;
const EXTRA_EVENTS = 2_500;

let db: TestDatabase;
let witness: DataSource;
let app: AppConnector;

const ACTIVITY = `SELECT v.id, v.user_id, v.content_item_id, c.kind AS content_kind, c.title AS content_title,
  v.viewed_at, v.duration_seconds, v.device
  FROM view_events v JOIN content_items c ON c.id = v.content_item_id
  WHERE v.user_id IN (?, ?) ORDER BY v.id DESC`;

beforeAll(async () => {
  db = await createTestDatabase('appexport', tmp.dir);
  witness = createSqlDataSource(parseDatabaseUrl(db.url), { poolSize: 2 });
  await witness.initialize();
  await seedAppDatabase(witness, TEST_DATABASE, { users: 40, events: 3_000 });
  // more than a few pages of activity for user 1
  await addViewEvents(witness, 1, EXTRA_EVENTS);
  // a view of a content item that does not exist: the join leaves it out, so must the export
  const [{ next }] = (await witness.query('SELECT MAX(id) + 1 AS next FROM view_events')) as { next: number }[];
  await witness.query('INSERT INTO view_events (id, user_id, content_item_id, viewed_at, duration_seconds, device) VALUES (?, 1, 999999, ?, 5, ?)', [
    Number(next),
    '2026-01-01 00:00:00',
    'web',
  ]);
  app = appConnectorFactory.create('app', { kind: 'app', enabled: true, databaseUrl: db.url } as ConnectorSettings, { config, logger }) as AppConnector;
}, 120_000);

afterAll(async () => {
  await app?.close();
  if (witness?.isInitialized) await witness.destroy();
  await db?.drop();
  tmp.remove();
});

async function exported(subject: SubjectKey): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>();
  const { found } = await app.exportRecords(subject, async (dataset, records) => {
    out.set(dataset, [...(out.get(dataset) ?? []), ...records]);
  }, never);
  expect(found).toBe(true);
  return out;
}

/** Records as text, field order included. */
const text = (rows: Row[]) => rows.map((r) => JSON.stringify(r));

describe('AppConnector.exportRecords', () => {
  it('streams the activity of one user as the joined query gives it, leaving out views of missing content', async () => {
    const records = await exported({ appUserId: ['1'] });
    const expected = (await witness.query(ACTIVITY.replace('IN (?, ?)', 'IN (?)'), [1])) as Row[];
    expect(expected.length).toBeGreaterThan(EXTRA_EVENTS);
    expect(records.get('activity')!.length).toBe(expected.length);
    expect(text(records.get('activity')!)).toEqual(text(expected));
  });

  it('streams the activity of a subject with two accounts as one ordered list', async () => {
    const records = await exported({ appUserId: ['1', '2'] });
    const expected = (await witness.query(ACTIVITY, [1, 2])) as Row[];
    expect(new Set(expected.map((r) => Number(r.user_id)))).toEqual(new Set([1, 2]));
    expect(text(records.get('activity')!)).toEqual(text(expected));
    expect(records.get('profile')!.map((u) => Number(u.id)).sort()).toEqual([1, 2]);
  });
});
