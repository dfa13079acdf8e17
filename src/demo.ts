import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAppDatabaseSeeded, seedAppDatabase } from '../simulators/app-db/seed';
import { type DemoCredentials, type RunningSimulators, SIMULATOR_IDS, type SimulatorId, startSimulators, writeDemoCredentials } from '../simulators/index';
import { buildWorld, sampleSubjects } from '../simulators/world';
import type { Config, ConnectorSettings, OperatorSpec } from './config';
import { createSqlDataSource, type DatabaseLocation } from './db/sql-datasource';
import type { Gateway } from './gateway';
import type { Logger } from './logger';
import { SystemLoaders } from './services/system-loaders';

/** The demo's operators when DSR_OPERATORS is unset: one per role, tokens kept in the data dir. */
const DEMO_OPERATORS: Omit<OperatorSpec, 'token'>[] = [
  { name: 'olivia', roles: ['OPERATOR'] },
  { name: 'anders', roles: ['APPROVER'] },
  { name: 'vera', roles: ['VIEWER'] },
  { name: 'astrid', roles: ['AUDITOR'] },
];

export interface DemoSetup {
  operators: OperatorSpec[];
  /** True when the operators are the demo's own (their tokens are printed at start). */
  demoOperators: boolean;
  /** True when the app connector reads the embedded demo database (sample subjects apply). */
  demoData: boolean;
  hmacKey: Buffer;
}

function readOrCreate(file: string, create: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const content = create();
  writeFileSync(file, content, { mode: 0o600 });
  return content;
}

/**
 * Fills what the embedded demo needs and configuration left open: the data dir, a key for subject
 * HMACs, operators, and the seeded app database. Production configuration leaves nothing open.
 */
export async function prepareDemo(config: Config, logger: Logger): Promise<DemoSetup> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const hmacKey =
    config.hmacKey ?? Buffer.from(readOrCreate(path.join(config.dataDir, 'hmac.key'), () => randomBytes(32).toString('hex')).trim(), 'utf8');
  const operators =
    config.operators ??
    (JSON.parse(
      readOrCreate(path.join(config.dataDir, 'demo-operators.json'), () =>
        JSON.stringify(DEMO_OPERATORS.map((o) => ({ ...o, token: randomBytes(24).toString('base64url') })), null, 2),
      ),
    ) as OperatorSpec[]);
  const app = config.connectors.app;
  const demoData = app?.enabled === true && !app.databaseUrl;
  if (demoData) await seedIfEmpty(config.demo.appDatabase, config, logger);
  return { operators, demoOperators: config.operators === undefined, demoData, hmacKey };
}

async function seedIfEmpty(location: DatabaseLocation, config: Config, logger: Logger): Promise<void> {
  const ds = createSqlDataSource(location);
  await ds.initialize();
  try {
    if (await isAppDatabaseSeeded(ds)) return;
    logger.info({ users: config.demo.users, events: config.demo.events }, 'seeding the demo app database');
    const started = Date.now();
    const summary = await seedAppDatabase(ds, location.kind, { users: config.demo.users, events: config.demo.events });
    logger.info({ users: summary.users, events: summary.events, ms: Date.now() - started }, 'demo app database seeded');
  } finally {
    await ds.destroy();
  }
}

export interface DemoSystems {
  simulators?: RunningSimulators;
  /** Connector settings pointing the unconfigured built-in systems at the simulators. */
  connectors: Record<string, ConnectorSettings>;
}

/**
 * Starts the simulators of the external systems in-process for every one of them the
 * configuration does not connect to a real service, and writes demo-credentials.json so that
 * scripts can call them with their real APIs.
 */
export async function startDemoSystems(config: Config): Promise<DemoSystems> {
  const missing = SIMULATOR_IDS.filter((id) => !config.connectors[id]);
  if (!config.simulators.enabled || missing.length === 0) return { connectors: {} };
  const simulators = await startSimulators({ dataDir: config.dataDir, users: config.demo.users, ports: config.simulators.ports });
  const creds = simulators.credentials();
  writeDemoCredentials(config.dataDir, creds);
  const all = simulatorConnectors(creds);
  return { simulators, connectors: Object.fromEntries(missing.map((id) => [id, all[id]!])) };
}

/** Connector settings for every built-in system, pointing at simulators with these credentials (demo-credentials.json). */
export function simulatorConnectors(creds: DemoCredentials): Record<SimulatorId, ConnectorSettings> {
  return {
    sendgrid: { kind: 'sendgrid', enabled: true, baseUrl: creds.sendgrid.baseUrl, apiKey: creds.sendgrid.key },
    limego: { kind: 'limego', enabled: true, baseUrl: creds.limego.baseUrl, apiKey: creds.limego.key },
    hogia: {
      kind: 'hogia',
      enabled: true,
      baseUrl: creds.hogia.baseUrl,
      organizationGuid: creds.hogia.organizationGuid,
      tokenUrl: creds.hogia.tokenUrl,
      clientId: creds.hogia.clientId,
      clientSecret: creds.hogia.key,
      apiVersion: creds.hogia.apiVersion,
      invoicesPath: creds.hogia.invoicesPath,
    },
    linkedin: { kind: 'linkedin', enabled: true, baseUrl: creds.linkedin.baseUrl, accessToken: creds.linkedin.key, segments: creds.linkedin.segments, apiVersion: creds.linkedin.apiVersion },
    googleads: {
      kind: 'googleads',
      enabled: true,
      baseUrl: creds.googleads.baseUrl,
      developerToken: creds.googleads.key,
      customerId: creds.googleads.customerId,
      loginCustomerId: creds.googleads.loginCustomerId,
      userLists: creds.googleads.userLists,
      apiVersion: creds.googleads.apiVersion,
      oauth: creds.googleads.oauth,
      // the simulator's jobs take seconds, not hours
      pollIntervalMs: 1000,
    },
    zoom: {
      kind: 'zoom',
      enabled: true,
      baseUrl: creds.zoom.apiBaseUrl,
      tokenUrl: creds.zoom.tokenUrl,
      accountId: creds.zoom.accountId,
      clientId: creds.zoom.clientId,
      clientSecret: creds.zoom.key,
      hostUserIds: creds.zoom.hostUserIds,
    },
  };
}

/**
 * Writes $DSR_DATA_DIR/demo-subjects.json: the sample subjects with the systems that hold data
 * about each, found by asking the gateway itself (so the read is audited like any other).
 */
export async function writeDemoSubjects(config: Config, gateway: Gateway): Promise<{ email: string; systems: string[] }[]> {
  const emails = sampleSubjects(buildWorld({ users: config.demo.users })).map((s) => s.email.trim().normalize('NFC').toLowerCase());
  const loaders = new SystemLoaders((c) => gateway.services.deadlineMs(c.id), gateway.services.logger);
  const views = await gateway.services.subjects.view({ name: 'demo-setup', roles: ['OPERATOR'] }, loaders, emails.map((email) => ({ email })));
  const samples = emails.map((email, i) => ({
    email,
    systems: views[i]!.systems.filter((s) => s.status === 'OK').map((s) => s.system),
  }));
  writeFileSync(path.join(config.dataDir, 'demo-subjects.json'), `${JSON.stringify(samples, null, 2)}\n`);
  return samples;
}
