import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { isAppDatabaseSeeded, seedAppDatabase } from '../../simulators/app-db/seed';
import { loadConfig, type Config } from '../../src/config';
import type { AppConnector } from '../../src/connectors/app/app.connector';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import type { RunningSimulators } from '../../simulators/index';
import { startDemoSystems } from '../../src/demo';
import { demoManualSystems } from '../../src/connectors/manual/manual.demo';
import { createGateway, type Gateway } from '../../src/gateway';
import { createLogger } from '../../src/logger';
import { createTestDatabase, tempDir, type TestDatabase } from './databases';

/** One operator per role, plus one holding every role. */
export const TOKENS = {
  VIEWER: 'viewer-token-0123456789abcdef',
  OPERATOR: 'operator-token-0123456789abcd',
  APPROVER: 'approver-token-0123456789abcd',
  AUDITOR: 'auditor-token-0123456789abcde',
  OPERATOR2: 'operator2-token-0123456789abc',
  OPERATOR_APPROVER: 'op-approver-token-0123456789',
} as const;
export const OPERATORS = `vera:VIEWER:${TOKENS.VIEWER},olivia:OPERATOR:${TOKENS.OPERATOR},anders:APPROVER:${TOKENS.APPROVER},astrid:AUDITOR:${TOKENS.AUDITOR},otto:OPERATOR:${TOKENS.OPERATOR2},pia:OPERATOR+APPROVER:${TOKENS.OPERATOR_APPROVER}`;
export const HMAC_KEY = 'test-hmac-key-0123456789abcdef0123456789';

export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string }; path?: (string | number)[] }[];
}

export interface TestGateway {
  url: string;
  config: Config;
  gateway: Gateway;
  dataDir: string;
  storeUrl: string;
  appUrl: string;
  /** Captured log output (JSON lines). */
  logs: string[];
  /** The in-process simulators, when started (option `simulators`). */
  simulators?: RunningSimulators;
  app(): AppConnector;
  gql<T = any>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  users?: number;
  events?: number;
  /** Extra connector settings written to DSR_CONFIG_FILE. */
  connectors?: Record<string, Record<string, unknown>>;
  env?: Record<string, string>;
  /** Start the simulators of SendGrid, Lime Go and Hogia and connect to them, as `npm start` does. */
  simulators?: boolean;
  /** Add the demo's systems without an API (hogia-lon, office365, teams), as `npm start` does. */
  manualSystems?: boolean;
  /** Settings merged into connectors after the simulators are wired (e.g. a short breaker cool-down). */
  tune?: Record<string, Record<string, unknown>>;
  /** Reuse databases of another test gateway (several processes on one store). */
  reuse?: { storeUrl: string; appUrl: string };
}

const seeded = new Set<string>();

/** A gateway as `npm start` builds it, on fresh databases of the kind under test, over real HTTP. */
export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const users = opts.users ?? 400;
  const tmp = tempDir('gw');
  const owned: TestDatabase[] = [];
  let storeUrl = opts.reuse?.storeUrl;
  let appUrl = opts.reuse?.appUrl;
  if (!storeUrl || !appUrl) {
    const store = await createTestDatabase('store', tmp.dir);
    const app = await createTestDatabase('app', tmp.dir);
    owned.push(store, app);
    storeUrl = store.url;
    appUrl = app.url;
  }
  if (!seeded.has(appUrl)) {
    const location = parseDatabaseUrl(appUrl);
    const ds = createSqlDataSource(location);
    await ds.initialize();
    if (!(await isAppDatabaseSeeded(ds))) await seedAppDatabase(ds, location.kind, { users, events: opts.events ?? 20_000 });
    await ds.destroy();
    seeded.add(appUrl);
  }
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DSR_DEMO_USERS: String(users),
    DSR_PORT: '0',
    DSR_DATA_DIR: tmp.dir,
    DSR_DATABASE_URL: storeUrl,
    DSR_APP_DATABASE_URL: appUrl,
    DSR_OPERATORS: OPERATORS,
    DSR_HMAC_KEY: HMAC_KEY,
    DSR_LOG_LEVEL: 'debug',
    ...opts.env,
  };
  if (opts.connectors) {
    const file = path.join(tmp.dir, 'connectors.json');
    writeFileSync(file, JSON.stringify({ connectors: opts.connectors }));
    env.DSR_CONFIG_FILE = file;
  }
  let config = loadConfig(env);
  const systems = opts.simulators ? await startDemoSystems(config) : { connectors: {}, simulators: undefined };
  config = { ...config, connectors: { ...config.connectors, ...systems.connectors, ...(opts.manualSystems ? demoManualSystems(config.connectors) : {}) } };
  for (const [id, extra] of Object.entries(opts.tune ?? {})) config.connectors[id] = { ...config.connectors[id]!, ...extra };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const gateway = await createGateway({ config, logger, operators: config.operators!, hmacKey: config.hmacKey! });
  const url = await gateway.listen();

  return {
    url,
    config,
    gateway,
    dataDir: tmp.dir,
    storeUrl,
    appUrl,
    logs,
    simulators: systems.simulators,
    app: () => gateway.services.registry.get('app') as AppConnector,
    async gql(token, query, variables) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as Omit<GqlResult, 'status'>;
      return { status: res.status, ...body };
    },
    async close() {
      await gateway.close();
      await systems.simulators?.close();
      for (const db of owned) await db.drop();
      tmp.remove();
    },
  };
}

export function codes(result: GqlResult): (string | undefined)[] {
  return (result.errors ?? []).map((e) => e.extensions?.code);
}

const SUBMIT_REQUEST = 'mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id status } }';
const CONFIRM_MANUAL_STEP = 'mutation($id: ID!, $s: String!, $e: String!) { confirmManualStep(requestId: $id, system: $s, evidence: $e) { status } }';

/**
 * Requests on a test gateway (as the OPERATOR unless told): submit one, read it with `query` (which takes $id),
 * wait for a status, confirm a manual step. `gw` is read at each call (it starts in beforeAll).
 */
export function requestSteps(gw: () => TestGateway, query: string, opts: { verification?: string; waitMs?: number } = {}) {
  const get = async (id: string, token: string = TOKENS.OPERATOR) => (await gw().gql(token, query, { id })).data.request;
  return {
    get,
    submit: async (input: Record<string, unknown>, token: string = TOKENS.OPERATOR): Promise<{ id: string; status: string }> => {
      const res = await gw().gql(token, SUBMIT_REQUEST, { input: { verification: opts.verification ?? 'signed letter, ID checked', ...input } });
      expect(res.errors).toBeUndefined();
      return res.data.submitRequest;
    },
    /** The request once its status is one of `statuses`. */
    until: async (id: string, statuses: string[], ms = opts.waitMs ?? 60_000): Promise<any> => {
      const end = Date.now() + ms;
      for (;;) {
        const r = await get(id);
        if (statuses.includes(r.status)) return r;
        if (Date.now() > end) throw new Error(`request still ${r.status}: ${JSON.stringify(r.tasks)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    /** The request's task for one system. */
    task: (r: { tasks: { system: string }[] }, system: string): any => r.tasks.find((t) => t.system === system),
    confirm: (id: string, system: string, evidence: string): Promise<GqlResult> => gw().gql(TOKENS.OPERATOR, CONFIRM_MANUAL_STEP, { id, s: system, e: evidence }),
  };
}
