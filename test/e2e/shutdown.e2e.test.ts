import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { seedAppDatabase } from '../../simulators/app-db/seed';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { createTestDatabase } from '../support/databases';
import { EXTRA_EVENTS, exportInFlight } from '../support/export-in-flight';
import { TOKENS } from '../support/gateway';

/** SIGTERM (a deploy, a scale-down) releases the work in hand; nothing is lost or counted as failed. */
describe('a gateway stopped with SIGTERM in the middle of an export', () => {
  const fx = exportInFlight('shutdown');
  const start = () => fx.start({ DSR_SHUTDOWN_GRACE_MS: '0', DSR_LOG_LEVEL: 'info' });
  const REQUEST = 'query($id: ID!) { request(id: $id) { status tasks { system status attempts recordsExported lastError } } }';

  it('exits 0, releases the running task, and the next process completes it in the same attempt', async () => {
    const first = start();
    const url = await first.url;
    const id = await fx.submitAccess(url);
    await fx.untilExporting(url, id);
    first.proc.kill('SIGTERM');
    const code = await first.exited;
    if (code !== 0) throw new Error(`exit code ${code}; stderr: ${first.stderr().slice(-2000)}; last log lines: ${first.stdout().split('\n').slice(-8).join('\n')}`);
    const lines = first.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; outcome?: string; system?: string });
    expect(lines.find((l) => l.msg === 'task interrupted by shutdown')).toMatchObject({ system: 'app', outcome: 'released' });
    expect(lines.at(-1)!.msg).toBe('stopped');

    const second = start();
    try {
      const url2 = await second.url;
      const r = await fx.untilCompleted(url2, id, REQUEST);
      const task = fx.appTask(r);
      expect(task).toMatchObject({ status: 'SUCCEEDED', attempts: 1, lastError: null });
      expect(task.recordsExported).toBeGreaterThan(EXTRA_EVENTS);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });

  it('lets a request in flight finish, refusing new connections meanwhile, then exits 0', async () => {
    // a second app database whose users table another session holds locked: a read waits on it
    const slow = await createTestDatabase('shutdown_slow', fx.dir, 'mysql');
    const ds = createSqlDataSource(parseDatabaseUrl(slow.url));
    await ds.initialize();
    await seedAppDatabase(ds, 'mysql', { users: 20, events: 200 });
    await ds.destroy();
    const configFile = path.join(fx.dir, 'slow.json');
    writeFileSync(configFile, JSON.stringify({ connectors: { slow: { kind: 'app', databaseUrl: slow.url, deadlineMs: 60_000 } } }));
    const locker = await createConnection(slow.url);
    const child = fx.start({ DSR_CONFIG_FILE: configFile });
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
