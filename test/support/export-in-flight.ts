import { seedAppDatabase } from '../../simulators/app-db/seed';
import { addViewEvents } from '../../simulators/app-db/bulk';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { gqlAt, startChildGateway, type ChildGateway } from './child-gateway';
import { createTestDatabase, tempDir, type TestDatabase } from './databases';
import { HMAC_KEY, OPERATORS, TOKENS } from './gateway';

/** Activity events added to app user 1: enough that an export of them is caught running. */
export const EXTRA_EVENTS = 300_000;

/**
 * Gateway processes, one after another, on one store and one app database in which app user 1
 * has a long history: for tests that stop a gateway in the middle of that user's export. Call in
 * a describe block (it registers beforeAll/afterAll).
 */
export function exportInFlight(name: string) {
  const tmp = tempDir(name);
  let store: TestDatabase;
  let app: TestDatabase;

  beforeAll(async () => {
    store = await createTestDatabase(`${name}_store`, tmp.dir);
    app = await createTestDatabase(`${name}_app`, tmp.dir);
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

  const gql = (url: string, query: string, variables?: Record<string, unknown>) => gqlAt(url, TOKENS.OPERATOR, query, variables);
  const appTask = (r: { tasks: { system: string }[] }) => r.tasks.find((t) => t.system === 'app') as any;

  return {
    dir: tmp.dir,
    storeUrl: () => store.url,
    appUrl: () => app.url,
    gql,
    /** A gateway process on the store and the app database, simulators off; `env` adds or overrides. */
    start: (env: Record<string, string> = {}): ChildGateway =>
      startChildGateway({
        DSR_DATA_DIR: tmp.dir,
        DSR_PORT: '0',
        DSR_DATABASE_URL: store.url,
        DSR_APP_DATABASE_URL: app.url,
        DSR_OPERATORS: OPERATORS,
        DSR_HMAC_KEY: HMAC_KEY,
        DSR_SIMULATORS: 'off',
        DSR_LOG_LEVEL: 'warn',
        ...env,
      }),
    /** Submits the access request for app user 1; its id. */
    submitAccess: async (url: string): Promise<string> =>
      (await gql(url, 'mutation { submitRequest(input: {type: ACCESS, subject: {appUserId: "1"}, verification: "signed letter"}) { id } }')).submitRequest.id,
    /** Waits until the app's export is under way and shows progress; the records exported so far. */
    untilExporting: async (url: string, id: string): Promise<number> => {
      const query = 'query($id: ID!) { request(id: $id) { status tasks { system status recordsExported } } }';
      for (const until = Date.now() + 60_000; ; await new Promise((res) => setTimeout(res, 20))) {
        const r = (await gql(url, query, { id })).request;
        const task = appTask(r);
        if (task.status === 'RUNNING' && task.recordsExported > 0) return task.recordsExported as number;
        if (r.status !== 'IN_PROGRESS' || Date.now() > until) throw new Error(`the export was not caught running (${r.status}, ${task.status})`);
      }
    },
    /** Waits until the request is COMPLETED; the request as `query` (with $id) reads it. */
    untilCompleted: async (url: string, id: string, query: string): Promise<any> => {
      for (const until = Date.now() + 90_000; ; await new Promise((res) => setTimeout(res, 200))) {
        const r = (await gql(url, query, { id })).request;
        if (r.status === 'COMPLETED') return r;
        if (Date.now() > until) throw new Error(`request still ${r.status}`);
      }
    },
    appTask,
  };
}
