import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { seedAppDatabase } from '../../simulators/app-db/seed';
import { addViewEvents } from '../../simulators/app-db/bulk';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/databases';
import { gqlAt, startChildGateway } from '../support/child-gateway';
import { HMAC_KEY, OPERATORS, TOKENS } from '../support/gateway';

const EXTRA_EVENTS = 300_000;

/** SIGTERM (a deploy, a scale-down) releases the work in hand; nothing is lost or counted as failed. */
describe('a gateway stopped with SIGTERM in the middle of an export', () => {
  const tmp = tempDir('shutdown');
  let store: TestDatabase;
  let app: TestDatabase;

  const start = () =>
    startChildGateway({
      DSR_DATA_DIR: tmp.dir,
      DSR_PORT: '0',
      DSR_DATABASE_URL: store.url,
      DSR_APP_DATABASE_URL: app.url,
      DSR_OPERATORS: OPERATORS,
      DSR_HMAC_KEY: HMAC_KEY,
      DSR_SIMULATORS: 'off',
      DSR_SHUTDOWN_GRACE_MS: '0',
      DSR_LOG_LEVEL: 'info',
    });
  const gql = (url: string, query: string, variables?: Record<string, unknown>) => gqlAt(url, TOKENS.OPERATOR, query, variables);
  const REQUEST = 'query($id: ID!) { request(id: $id) { status tasks { system status attempts recordsExported lastError } } }';

  beforeAll(async () => {
    store = await createTestDatabase('shutdown_store', tmp.dir);
    app = await createTestDatabase('shutdown_app', tmp.dir);
    const ds = createSqlDataSource(parseDatabaseUrl(app.url));
    await ds.initialize();
    await seedAppDatabase(ds, parseDatabaseUrl(app.url).kind, { users: 50, events: 1000 });
    await addViewEvents(ds, 1, EXTRA_EVENTS);
    await ds.destroy();
  });
  afterAll(async () => {
    await store.drop();
    await app.drop();
    tmp.remove();
  });

  it('exits 0, releases the running task, and the next process completes it in the same attempt', async () => {
    const first = start();
    const url = await first.url;
    const submitted = await gql(url, 'mutation { submitRequest(input: {type: ACCESS, subject: {appUserId: "1"}, verification: "signed letter"}) { id } }');
    const id = submitted.submitRequest.id as string;

    for (const until = Date.now() + 60_000; ; ) {
      const r = (await gql(url, REQUEST, { id })).request;
      const task = r.tasks.find((t: any) => t.system === 'app');
      if (task.status === 'RUNNING' && task.recordsExported > 0) break;
      if (r.status !== 'IN_PROGRESS' || Date.now() > until) throw new Error(`the export was not caught running (${r.status}, ${task.status})`);
      await new Promise((res) => setTimeout(res, 20));
    }
    first.proc.kill('SIGTERM');
    const code = await first.exited;
    if (code !== 0) throw new Error(`exit code ${code}; stderr: ${first.stderr().slice(-2000)}; last log lines: ${first.stdout().split('\n').slice(-8).join('\n')}`);
    const lines = first.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; outcome?: string; system?: string });
    expect(lines.find((l) => l.msg === 'task interrupted by shutdown')).toMatchObject({ system: 'app', outcome: 'released' });
    expect(lines.at(-1)!.msg).toBe('stopped');

    const second = start();
    try {
      const url2 = await second.url;
      let r: any;
      for (const until = Date.now() + 90_000; ; await new Promise((res) => setTimeout(res, 200))) {
        r = (await gql(url2, REQUEST, { id })).request;
        if (r.status === 'COMPLETED') break;
        if (Date.now() > until) throw new Error(`request still ${r.status}`);
      }
      const task = r.tasks.find((t: any) => t.system === 'app');
      expect(task).toMatchObject({ status: 'SUCCEEDED', attempts: 1, lastError: null });
      expect(task.recordsExported).toBeGreaterThan(EXTRA_EVENTS);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });

  it('lets a request in flight finish, refusing new connections meanwhile, then exits 0', async () => {
    // a second app database whose users table another session holds locked: a read waits on it
    const slow = await createTestDatabase('shutdown_slow', tmp.dir, 'mysql');
    const ds = createSqlDataSource(parseDatabaseUrl(slow.url));
    await ds.initialize();
    await seedAppDatabase(ds, 'mysql', { users: 20, events: 200 });
    await ds.destroy();
    const configFile = path.join(tmp.dir, 'slow.json');
    writeFileSync(configFile, JSON.stringify({ connectors: { slow: { kind: 'app', databaseUrl: slow.url, deadlineMs: 60_000 } } }));
    const locker = await createConnection(slow.url);
    const child = startChildGateway({
      DSR_DATA_DIR: tmp.dir,
      DSR_PORT: '0',
      DSR_DATABASE_URL: store.url,
      DSR_APP_DATABASE_URL: app.url,
      DSR_CONFIG_FILE: configFile,
      DSR_OPERATORS: OPERATORS,
      DSR_HMAC_KEY: HMAC_KEY,
      DSR_SIMULATORS: 'off',
      DSR_LOG_LEVEL: 'warn',
    });
    try {
      const url = await child.url;
      const port = Number(new URL(url).port);
      await locker.query('LOCK TABLES users WRITE');
      const inFlight = fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.OPERATOR}` },
        body: JSON.stringify({ query: '{ subject(input: {appUserId: "2"}) { found systems { system status } } }' }),
      });
      // the gateway's read now waits on the lock
      const database = new URL(slow.url).pathname.slice(1);
      for (let waiting = false; !waiting; await new Promise((r) => setTimeout(r, 20))) {
        const [rows] = await locker.query('SHOW PROCESSLIST');
        waiting = (rows as { db: string | null; State: string | null }[]).some((r) => r.db === database && /lock/i.test(r.State ?? ''));
      }
      child.proc.kill('SIGTERM');
      // no new connections once stopping
      const refused = () => new Promise<boolean>((resolve) => connect(port, '127.0.0.1').on('connect', function (this: any) { this.destroy(); resolve(false); }).on('error', () => resolve(true)));
      while (!(await refused())) await new Promise((r) => setTimeout(r, 20));
      await locker.query('UNLOCK TABLES');
      const res = await inFlight;
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body.errors).toBeUndefined();
      expect(body.data.subject.systems).toEqual(expect.arrayContaining([{ system: 'slow', status: 'OK' }, { system: 'app', status: 'OK' }]));
      expect(await child.exited).toBe(0);
    } finally {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
      await locker.query('UNLOCK TABLES').catch(() => undefined);
      await locker.end();
      await slow.drop();
    }
  });
});
