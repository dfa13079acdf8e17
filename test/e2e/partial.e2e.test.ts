import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { seedAppDatabase } from '../../simulators/app-db/seed';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/databases';
import { startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

/**
 * Real failures, not stand-ins: a second app database with no tables, one on a port where nothing
 * listens, and one whose users table another session holds locked, so reads wait past the deadline.
 */
describe('a broken or slow system gives a partial answer', () => {
  let gw: TestGateway;
  let slowDb: TestDatabase;
  const tmp = tempDir('partial');
  let locker: Awaited<ReturnType<typeof createConnection>>;

  beforeAll(async () => {
    slowDb = await createTestDatabase('slow', tmp.dir, 'mysql');
    const ds = createSqlDataSource(parseDatabaseUrl(slowDb.url));
    await ds.initialize();
    await seedAppDatabase(ds, 'mysql', { users: 20, events: 200 });
    await ds.destroy();
    gw = await startTestGateway({
      connectors: {
        empty: { kind: 'app', databaseUrl: `sqlite:${path.join(tmp.dir, 'empty.sqlite')}` },
        down: { kind: 'app', databaseUrl: 'mysql://root@127.0.0.1:1/nothing' },
        slow: { kind: 'app', databaseUrl: slowDb.url, deadlineMs: 400 },
      },
    });
    locker = await createConnection(slowDb.url);
    await locker.query('LOCK TABLES users WRITE');
  });

  afterAll(async () => {
    await locker?.query('UNLOCK TABLES');
    await locker?.end();
    await gw?.close();
    await slowDb?.drop();
    tmp.remove();
  });

  it('reports ERROR and TIMEOUT for those systems and the app data intact', async () => {
    const res = await gw.gql(
      TOKENS.OPERATOR,
      `{ subjects(inputs: [{email: "anna.lindqvist@northwind.example"}, {appUserId: "2"}]) {
          found appUser { firstName }
          systems { system status error recordCount datasets { name totalCount } } } }`,
    );
    expect(res.errors).toBeUndefined();
    for (const [i, name] of [[0, 'Anna'], [1, 'Erik']] as const) {
      const s = res.data.subjects[i];
      expect(s.found).toBe(true);
      expect(s.appUser.firstName).toBe(name);
      const by = Object.fromEntries(s.systems.map((x: any) => [x.system, x]));
      expect(Object.keys(by)).toEqual(['app', 'empty', 'down', 'slow']);
      expect(by.app.status).toBe('OK');
      expect(by.app.recordCount).toBeGreaterThan(0);
      expect(by.empty).toMatchObject({ status: 'ERROR', recordCount: 0, datasets: [] });
      expect(by.down).toMatchObject({ status: 'ERROR', recordCount: 0 });
      expect(by.slow).toMatchObject({ status: 'TIMEOUT', recordCount: 0 });
      expect(by.slow.error).toMatch(/did not answer within 400 ms/);
      for (const failed of [by.empty, by.down]) {
        expect(failed.error).toBe('Engagement and e-learning app could not be read');
      }
    }
    const logs = gw.logs.join('');
    expect(logs).toContain('connector failed');
    expect(logs).toContain('connector missed its deadline');
    expect(logs).not.toMatch(/no such table|connect ECONNREFUSED|anna|lindqvist/i);
    // asked by email, and again (in parallel) once the app revealed the user id; never after it failed
    expect(logs.match(/"system":"slow"[^\n]*missed its deadline/g)).toHaveLength(2);
  });

  it('recovers once the system answers again', async () => {
    await locker.query('UNLOCK TABLES');
    const res = await gw.gql(TOKENS.OPERATOR, '{ subject(input: {appUserId: "1"}) { systems { system status } } }');
    const slow = res.data.subject.systems.find((s: any) => s.system === 'slow');
    expect(slow.status).toBe('OK');
  });
});
