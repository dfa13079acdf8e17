import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { seedAppDatabase } from '../../simulators/app-db/seed';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { sha256, unzip } from '../exports/support';
import { addViewEvents } from '../../simulators/app-db/bulk';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/databases';
import { gqlAt, startChildGateway } from '../support/child-gateway';
import { HMAC_KEY, OPERATORS, TOKENS } from '../support/gateway';

const EXTRA_EVENTS = 300_000;

/** A killed gateway process loses nothing: the next one takes the export over and finishes it. */
describe('a gateway killed in the middle of an export', () => {
  const tmp = tempDir('crash');
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
      DSR_LEASE_MS: '1500',
      DSR_LOG_LEVEL: 'warn',
    });
  const gql = (url: string, query: string, variables?: Record<string, unknown>) => gqlAt(url, TOKENS.OPERATOR, query, variables);
  const REQUEST = 'query($id: ID!) { request(id: $id) { status progress tasks { system status attempts recordsExported } export { sha256 } } }';

  beforeAll(async () => {
    store = await createTestDatabase('crash_store', tmp.dir);
    app = await createTestDatabase('crash_app', tmp.dir);
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

  it('shows progress, is killed with SIGKILL, and the next process completes the request with a valid zip', async () => {
    const first = start();
    const url = await first.url;
    const submitted = await gql(url, 'mutation { submitRequest(input: {type: ACCESS, subject: {appUserId: "1"}, verification: "signed letter"}) { id } }');
    const id = submitted.submitRequest.id as string;

    // wait until the app's export is under way and its progress shows, then kill the process
    let seen = 0;
    for (const until = Date.now() + 60_000; seen === 0; ) {
      const r = (await gql(url, REQUEST, { id })).request;
      const task = r.tasks.find((t: any) => t.system === 'app');
      if (task.status === 'RUNNING' && task.recordsExported > 0) seen = task.recordsExported;
      else if (r.status !== 'IN_PROGRESS' || Date.now() > until) throw new Error(`the export was not caught running (${r.status}, ${task.status})`);
      else await new Promise((res) => setTimeout(res, 20));
    }
    expect(seen).toBeLessThan(EXTRA_EVENTS);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();

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
      expect(task.attempts).toBe(2);
      expect(task.recordsExported).toBeGreaterThan(EXTRA_EVENTS);

      const link = await gql(url2, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id });
      const zip = Buffer.from(await (await fetch(link.createDownloadLink.url)).arrayBuffer());
      expect(sha256(zip)).toBe(r.export.sha256);
      const file = path.join(tmp.dir, 'downloaded.zip');
      writeFileSync(file, zip);
      const entries = await unzip(file);
      const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
      for (const e of manifest.entries) expect(sha256(entries.get(e.name)!)).toBe(e.sha256);
      const activity = JSON.parse(entries.get('app/activity.json')!.toString('utf8')) as unknown[];
      expect(activity.length).toBeGreaterThan(EXTRA_EVENTS);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
