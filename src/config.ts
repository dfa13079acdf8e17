import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type DatabaseLocation, parseDatabaseUrl } from './db/sql-datasource';

export const ROLES = ['VIEWER', 'OPERATOR', 'APPROVER', 'AUDITOR'] as const;
export type RoleName = (typeof ROLES)[number];

export interface OperatorSpec {
  name: string;
  roles: RoleName[];
  token: string;
}

/** Settings of one connector instance (from DSR_CONFIG_FILE, with env overrides for the app). */
const connectorSettingsSchema = z
  .object({
    kind: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a connector kind such as "app"').optional(),
    enabled: z.boolean().default(true),
    deadlineMs: z.number().int().min(50).max(120_000).optional(),
    databaseUrl: z.string().optional(),
  })
  .loose();
export type ConnectorSettings = z.infer<typeof connectorSettingsSchema> & { kind: string };

const fileSchema = z
  .object({
    connectors: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'connector ids are lowercase words'), connectorSettingsSchema).default({}),
  })
  .strict();

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const intIn = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer from ${min} to ${max} (got "${v.slice(0, 20)}")` });
        return z.NEVER;
      }
      return n;
    });

const dbUrl = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx): DatabaseLocation | undefined => {
      if (v === undefined || v === '') return undefined;
      try {
        return parseDatabaseUrl(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `${name}: ${(e as Error).message}` });
        return z.NEVER;
      }
    });

/** Shortest static operator token production accepts. */
export const PRODUCTION_TOKEN_MIN = 24;

/** DSR_OPERATORS="name:ROLE[+ROLE]:token,...". Never echoes a token in an error. */
export function parseOperators(raw: string): OperatorSpec[] {
  const seen = new Set<string>();
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const first = entry.indexOf(':');
      const second = entry.indexOf(':', first + 1);
      if (first < 0 || second < 0) throw new ConfigError(`DSR_OPERATORS entry ${i + 1} must be name:ROLE[+ROLE]:token`);
      const name = entry.slice(0, first);
      const roles = entry.slice(first + 1, second).split('+');
      const token = entry.slice(second + 1);
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new ConfigError(`DSR_OPERATORS entry ${i + 1}: the name must be 1-64 letters, digits or . _ @ -`);
      for (const r of roles) {
        if (!(ROLES as readonly string[]).includes(r)) throw new ConfigError(`DSR_OPERATORS entry ${i + 1} ("${name}"): role must be one of ${ROLES.join(', ')}`);
      }
      if (token.length === 0 || /\s/.test(token)) throw new ConfigError(`DSR_OPERATORS entry ${i + 1} ("${name}"): the token must be non-empty without spaces`);
      if (seen.has(name)) throw new ConfigError(`DSR_OPERATORS names must be unique ("${name}" appears twice)`);
      seen.add(name);
      return { name, roles: [...new Set(roles)] as RoleName[], token };
    });
}

/** DSR_OIDC_ROLE_MAP="Dsr.Operator=OPERATOR,Dsr.Approver=APPROVER+OPERATOR,...". */
export function parseRoleMap(raw: string): Record<string, RoleName[]> {
  const map: Record<string, RoleName[]> = {};
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.lastIndexOf('=');
    const value = entry.slice(0, eq).trim();
    const roles = entry.slice(eq + 1).split('+').map((r) => r.trim());
    if (eq <= 0 || roles.some((r) => !(ROLES as readonly string[]).includes(r))) {
      throw new ConfigError(`DSR_OIDC_ROLE_MAP entries must be claimValue=ROLE[+ROLE] with roles from ${ROLES.join(', ')} (got "${entry.slice(0, 60)}")`);
    }
    map[value] = [...new Set([...(map[value] ?? []), ...(roles as RoleName[])])];
  }
  return map;
}

const httpUrl = (name: string, example: string) =>
  z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^https?:\/\/[^\s]+$/.test(v), { message: `${name} must be an http(s) URL such as ${example}` });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'NODE_ENV must be development, production or test' }).default('development'),
  DSR_HOST: z.string().min(1).default('127.0.0.1'),
  DSR_PORT: intIn('DSR_PORT', 0, 65535, 4000),
  DSR_DATA_DIR: z.string().min(1).default('./.data'),
  DSR_DATABASE_URL: dbUrl('DSR_DATABASE_URL'),
  DSR_APP_DATABASE_URL: dbUrl('DSR_APP_DATABASE_URL'),
  DSR_OPERATORS: z.string().optional(),
  DSR_OPERATORS_FILE: z.string().optional(),
  DSR_OIDC_ISSUER: httpUrl('DSR_OIDC_ISSUER', 'https://login.microsoftonline.com/<tenant>/v2.0'),
  DSR_OIDC_AUDIENCE: z.string().optional(),
  DSR_OIDC_JWKS_URL: httpUrl('DSR_OIDC_JWKS_URL', 'https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys'),
  DSR_OIDC_ROLES_CLAIM: z.string().regex(/^[\w.:/-]{1,100}$/, 'DSR_OIDC_ROLES_CLAIM must be a claim name such as roles').default('roles'),
  DSR_OIDC_ROLE_MAP: z.string().optional(),
  DSR_OIDC_NAME_CLAIM: z.string().regex(/^[\w.:/-]{1,100}$/, 'DSR_OIDC_NAME_CLAIM must be a claim name such as preferred_username').optional(),
  DSR_OIDC_CLOCK_SKEW_S: intIn('DSR_OIDC_CLOCK_SKEW_S', 0, 600, 60),
  DSR_OIDC_JWKS_COOLDOWN_S: intIn('DSR_OIDC_JWKS_COOLDOWN_S', 0, 3600, 30),
  DSR_OIDC_JWKS_MAX_AGE_S: intIn('DSR_OIDC_JWKS_MAX_AGE_S', 60, 86_400, 600),
  DSR_GRAPHQL_MAX_DEPTH: intIn('DSR_GRAPHQL_MAX_DEPTH', 2, 100, 12),
  DSR_GRAPHQL_MAX_COST: intIn('DSR_GRAPHQL_MAX_COST', 10, 100_000_000, 250_000),
  DSR_GRAPHQL_MAX_ALIASES: intIn('DSR_GRAPHQL_MAX_ALIASES', 0, 1000, 30),
  DSR_GRAPHQL_MAX_TOKENS: intIn('DSR_GRAPHQL_MAX_TOKENS', 100, 1_000_000, 10_000),
  DSR_BODY_LIMIT_KB: intIn('DSR_BODY_LIMIT_KB', 1, 10_240, 256),
  DSR_RATE_LIMIT_SUBJECTS: intIn('DSR_RATE_LIMIT_SUBJECTS', 1, 10_000_000, 6000),
  DSR_RATE_LIMIT_DOWNLOADS: intIn('DSR_RATE_LIMIT_DOWNLOADS', 1, 100_000, 120),
  DSR_RATE_LIMIT_SUBJECT_CALLS_AT_ONCE: intIn('DSR_RATE_LIMIT_SUBJECT_CALLS_AT_ONCE', 1, 1000, 32),
  DSR_CORS_ORIGINS: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.split(',').every((o) => o.trim() === '' || /^https?:\/\/[^/\s]+$/.test(o.trim())), {
      message: 'DSR_CORS_ORIGINS must list origins such as https://admin.example.se, comma-separated, without paths',
    }),
  DSR_TRUST_PROXY: intIn('DSR_TRUST_PROXY', 0, 10, 0),
  DSR_SHUTDOWN_GRACE_MS: intIn('DSR_SHUTDOWN_GRACE_MS', 0, 600_000, 10_000),
  DSR_HMAC_KEY: z.string().optional(),
  DSR_HMAC_KEY_FILE: z.string().optional(),
  DSR_CONNECTOR_DEADLINE_MS: intIn('DSR_CONNECTOR_DEADLINE_MS', 50, 120_000, 5000),
  DSR_CONFIG_FILE: z.string().optional(),
  DSR_DEMO_USERS: intIn('DSR_DEMO_USERS', 7, 1_000_000, 3000),
  DSR_DEMO_EVENTS: intIn('DSR_DEMO_EVENTS', 0, 50_000_000, 300_000),
  DSR_MAX_SUBJECTS: intIn('DSR_MAX_SUBJECTS', 1, 1000, 100),
  DSR_TASK_MAX_ATTEMPTS: intIn('DSR_TASK_MAX_ATTEMPTS', 1, 50, 5),
  DSR_WORKERS: z.enum(['on', 'off'], { message: 'DSR_WORKERS must be on or off' }).default('on'),
  DSR_WORKER_CONCURRENCY: intIn('DSR_WORKER_CONCURRENCY', 1, 64, 2),
  DSR_LEASE_MS: intIn('DSR_LEASE_MS', 500, 3_600_000, 30_000),
  DSR_EXPORT_TTL_HOURS: intIn('DSR_EXPORT_TTL_HOURS', 1, 24 * 365, 24 * 30),
  DSR_RETENTION_SWEEP_HOURS: intIn('DSR_RETENTION_SWEEP_HOURS', 0, 24 * 366, 0),
  DSR_DOWNLOAD_LINK_TTL_HOURS: intIn('DSR_DOWNLOAD_LINK_TTL_HOURS', 1, 24 * 30, 24),
  DSR_UPLOAD_MAX_MB: intIn('DSR_UPLOAD_MAX_MB', 1, 1024, 25),
  DSR_PUBLIC_URL: z.url({ message: 'DSR_PUBLIC_URL must be the URL operators reach the gateway at, e.g. https://dsr.example.se' }).optional(),
  DSR_SIMULATORS: z.enum(['on', 'off'], { message: 'DSR_SIMULATORS must be on or off' }).default('on'),
  DSR_SIM_SENDGRID_PORT: intIn('DSR_SIM_SENDGRID_PORT', 0, 65535, 0),
  DSR_SIM_LIMEGO_PORT: intIn('DSR_SIM_LIMEGO_PORT', 0, 65535, 0),
  DSR_SIM_HOGIA_PORT: intIn('DSR_SIM_HOGIA_PORT', 0, 65535, 0),
  DSR_METRICS_TOKEN: z.string().optional(),
  DSR_METRICS_TOKEN_FILE: z.string().optional(),
  DSR_SIM_LINKEDIN_PORT: intIn('DSR_SIM_LINKEDIN_PORT', 0, 65535, 0),
  DSR_SIM_GOOGLEADS_PORT: intIn('DSR_SIM_GOOGLEADS_PORT', 0, 65535, 0),
  DSR_SIM_ZOOM_PORT: intIn('DSR_SIM_ZOOM_PORT', 0, 65535, 0),
  DSR_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'DSR_LOG_LEVEL must be fatal, error, warn, info, debug, trace or silent' }).default('info'),
});

/** The company's identity provider (OIDC): whose access tokens are accepted and how roles map. */
export interface OidcSettings {
  issuer: string;
  audiences: string[];
  /** Where the provider's keys are; default: the jwks_uri of the issuer's discovery document. */
  jwksUrl?: string;
  rolesClaim: string;
  /** Claim value (e.g. an Entra ID app role) -> roles here; unmapped values give no role. */
  roleMap: Record<string, RoleName[]>;
  /** The first of these claims that holds a string names the operator. */
  nameClaims: string[];
  clockSkewS: number;
  jwksCooldownS: number;
  jwksMaxAgeS: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  /** The gateway's own store. */
  store: DatabaseLocation;
  /** Operators from DSR_OPERATORS; undefined means "demo operators" (none when an identity provider is set). */
  operators?: OperatorSpec[];
  oidc?: OidcSettings;
  /** GraphQL and HTTP limits. */
  limits: {
    maxDepth: number;
    maxCost: number;
    maxAliases: number;
    maxTokens: number;
    bodyLimitKb: number;
    subjectsPerMinute: number;
    /** `subject`/`subjects` calls one operator may have running at once. */
    subjectCallsAtOnce: number;
    downloadsPerMinute: number;
  };
  http: {
    /** Origins allowed by CORS; empty: no cross-origin access. */
    corsOrigins: string[];
    /** Reverse proxies in front of the gateway whose X-Forwarded-For is trusted. */
    trustProxy: number;
    /** How long a stop waits for requests and tasks in flight before releasing them. */
    shutdownGraceMs: number;
  };
  /** Key for subject HMACs and the audit chain; undefined means "demo key kept in the data dir". */
  hmacKey?: Buffer;
  connectorDeadlineMs: number;
  maxSubjectsPerCall: number;
  /** Attempts of one task (one system's part of a request) before it is FAILED. */
  taskMaxAttempts: number;
  /** The durable workers of this process (several processes may share one MySQL store). */
  workers: { enabled: boolean; concurrency: number; leaseMs: number };
  exportTtlMs: number;
  downloadLinkTtlMs: number;
  /** Largest file an operator may upload for a system without an API. */
  uploadMaxBytes: number;
  /** Hours between scheduled retention sweeps; 0 = none (sweeps only when an operator runs one). */
  retentionSweepHours: number;
  /** Base of download links; default: the address the gateway listens on. */
  publicUrl?: string;
  connectors: Record<string, ConnectorSettings>;
  /** DSR_CONFIG_FILE, when connector settings come from a file (the demo's systems without an API apply only without one). */
  configFile?: string;
  /** The embedded demo app database, used when the app connector has no databaseUrl. */
  demo: { users: number; events: number; appDatabase: DatabaseLocation };
  /**
   * In-process simulators of the external systems, started for every built-in HTTP system the
   * configuration does not connect to a real service (never in production).
   */
  simulators: { enabled: boolean; ports: { sendgrid: number; limego: number; hogia: number; linkedin: number; googleads: number; zoom: number } };
  logLevel: string;
  /** Bearer token GET /metrics requires; undefined: /metrics is open (bind to an internal network). */
  metricsToken?: string;
}

function readKey(env: z.infer<typeof envSchema>, isProd: boolean): Buffer | undefined {
  const raw = secretFromEnv(env.DSR_HMAC_KEY, env.DSR_HMAC_KEY_FILE, 'DSR_HMAC_KEY');
  if (!raw) {
    if (isProd) throw new ConfigError('DSR_HMAC_KEY (or DSR_HMAC_KEY_FILE) is required when NODE_ENV=production: at least 32 characters');
    return undefined;
  }
  if (raw.length < 32) throw new ConfigError('DSR_HMAC_KEY must be at least 32 characters');
  return Buffer.from(raw, 'utf8');
}

/** A secret from NAME or, when unset, from the file NAME_FILE names (trimmed). Never echoed. */
function secretFromEnv(value: string | undefined, file: string | undefined, name: string): string | undefined {
  if (value) return value;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new ConfigError(`${name}_FILE: the file cannot be read`);
  }
}

function readOidc(env: z.infer<typeof envSchema>): OidcSettings | undefined {
  const issuer = env.DSR_OIDC_ISSUER?.trim();
  const audiences = (env.DSR_OIDC_AUDIENCE ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (!issuer) {
    if (audiences.length || env.DSR_OIDC_JWKS_URL || env.DSR_OIDC_ROLE_MAP) throw new ConfigError('DSR_OIDC_ISSUER is required when other DSR_OIDC_ settings are given');
    return undefined;
  }
  if (audiences.length === 0) throw new ConfigError('DSR_OIDC_AUDIENCE is required with DSR_OIDC_ISSUER: the audience (application ID URI or client id) of the access tokens');
  // in production the signing keys come only over TLS: a key set fetched in the clear could be swapped
  if (env.NODE_ENV === 'production') {
    for (const [name, url] of [['DSR_OIDC_ISSUER', issuer], ['DSR_OIDC_JWKS_URL', env.DSR_OIDC_JWKS_URL]] as const) {
      if (url && !url.startsWith('https://')) throw new ConfigError(`${name} must be an https:// URL when NODE_ENV=production`);
    }
  }
  return {
    issuer,
    audiences,
    jwksUrl: env.DSR_OIDC_JWKS_URL || undefined,
    rolesClaim: env.DSR_OIDC_ROLES_CLAIM,
    roleMap: parseRoleMap(env.DSR_OIDC_ROLE_MAP ?? ''),
    nameClaims: env.DSR_OIDC_NAME_CLAIM ? [env.DSR_OIDC_NAME_CLAIM] : ['preferred_username', 'sub'],
    clockSkewS: env.DSR_OIDC_CLOCK_SKEW_S,
    jwksCooldownS: env.DSR_OIDC_JWKS_COOLDOWN_S,
    jwksMaxAgeS: env.DSR_OIDC_JWKS_MAX_AGE_S,
  };
}

function readConnectorFile(file: string | undefined): z.infer<typeof fileSchema> {
  if (!file) return { connectors: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`DSR_CONFIG_FILE: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not valid JSON'} (${file})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`DSR_CONFIG_FILE: ${describeIssue(parsed.error.issues[0]!)}`);
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join('.') : 'value';
  return `${where}: ${issue.message}`;
}

/** Reads and validates the whole configuration; throws ConfigError with one clear line. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`);
  }
  const env = parsed.data;
  const isProd = env.NODE_ENV === 'production';
  const dataDir = path.resolve(env.DSR_DATA_DIR);
  const operatorList = secretFromEnv(env.DSR_OPERATORS, env.DSR_OPERATORS_FILE, 'DSR_OPERATORS');
  const parsedOperators = operatorList === undefined || operatorList.trim() === '' ? undefined : parseOperators(operatorList);
  const oidc = readOidc(env);
  // with an identity provider, DSR_OPERATORS is optional (service accounts) and there are no demo operators
  const operators = parsedOperators ?? (oidc ? [] : undefined);
  if (isProd && !operators) throw new ConfigError('DSR_OPERATORS (or DSR_OPERATORS_FILE or DSR_OIDC_ISSUER) is required when NODE_ENV=production: name:ROLE[+ROLE]:token,...');
  if (isProd && !env.DSR_DATABASE_URL) throw new ConfigError('DSR_DATABASE_URL is required when NODE_ENV=production: mysql://user:password@host:port/database');
  const weak = isProd ? parsedOperators?.find((o) => o.token.length < PRODUCTION_TOKEN_MIN) : undefined;
  if (weak) throw new ConfigError(`DSR_OPERATORS: the token of "${weak.name}" must be at least ${PRODUCTION_TOKEN_MIN} characters when NODE_ENV=production (e.g. openssl rand -base64 32)`);

  const file = readConnectorFile(env.DSR_CONFIG_FILE);
  const connectors: Record<string, ConnectorSettings> = {};
  // the built-in app connector first, unless the file says otherwise
  const fromFile: typeof file.connectors = { app: { enabled: true }, ...file.connectors };
  for (const [id, s] of Object.entries(fromFile)) {
    const kind = s.kind ?? id;
    let databaseUrl = s.databaseUrl;
    if (id === 'app' && env.DSR_APP_DATABASE_URL && !databaseUrl) databaseUrl = source.DSR_APP_DATABASE_URL;
    if (databaseUrl) {
      try {
        parseDatabaseUrl(databaseUrl);
      } catch (e) {
        throw new ConfigError(`connectors.${id}.databaseUrl: ${(e as Error).message}`);
      }
    }
    connectors[id] = { ...s, kind, databaseUrl };
  }

  // production never runs on the demo's generated app database
  const app = connectors.app;
  if (isProd && app && app.enabled !== false && app.kind === 'app' && !app.databaseUrl) {
    throw new ConfigError('DSR_APP_DATABASE_URL (or connectors.app.databaseUrl) is required when NODE_ENV=production: the app database, e.g. mysql://user:password@host:port/database');
  }

  return {
    env: env.NODE_ENV,
    host: env.DSR_HOST,
    port: env.DSR_PORT,
    dataDir,
    store: env.DSR_DATABASE_URL ?? { kind: 'sqlite', path: path.join(dataDir, 'gateway.sqlite') },
    operators,
    oidc,
    limits: {
      maxDepth: env.DSR_GRAPHQL_MAX_DEPTH,
      maxCost: env.DSR_GRAPHQL_MAX_COST,
      maxAliases: env.DSR_GRAPHQL_MAX_ALIASES,
      maxTokens: env.DSR_GRAPHQL_MAX_TOKENS,
      bodyLimitKb: env.DSR_BODY_LIMIT_KB,
      subjectsPerMinute: env.DSR_RATE_LIMIT_SUBJECTS,
      downloadsPerMinute: env.DSR_RATE_LIMIT_DOWNLOADS,
      subjectCallsAtOnce: env.DSR_RATE_LIMIT_SUBJECT_CALLS_AT_ONCE,
    },
    http: {
      corsOrigins: (env.DSR_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
      trustProxy: env.DSR_TRUST_PROXY,
      shutdownGraceMs: env.DSR_SHUTDOWN_GRACE_MS,
    },
    hmacKey: readKey(env, isProd),
    connectorDeadlineMs: env.DSR_CONNECTOR_DEADLINE_MS,
    maxSubjectsPerCall: env.DSR_MAX_SUBJECTS,
    taskMaxAttempts: env.DSR_TASK_MAX_ATTEMPTS,
    workers: { enabled: env.DSR_WORKERS === 'on', concurrency: env.DSR_WORKER_CONCURRENCY, leaseMs: env.DSR_LEASE_MS },
    exportTtlMs: env.DSR_EXPORT_TTL_HOURS * 3_600_000,
    downloadLinkTtlMs: env.DSR_DOWNLOAD_LINK_TTL_HOURS * 3_600_000,
    uploadMaxBytes: env.DSR_UPLOAD_MAX_MB * 1024 * 1024,
    retentionSweepHours: env.DSR_RETENTION_SWEEP_HOURS,
    publicUrl: env.DSR_PUBLIC_URL?.replace(/\/+$/, ''),
    connectors,
    configFile: env.DSR_CONFIG_FILE || undefined,
    demo: { users: env.DSR_DEMO_USERS, events: env.DSR_DEMO_EVENTS, appDatabase: { kind: 'sqlite', path: path.join(dataDir, 'app.sqlite') } },
    simulators: {
      enabled: env.DSR_SIMULATORS === 'on' && !isProd,
      ports: {
        sendgrid: env.DSR_SIM_SENDGRID_PORT,
        limego: env.DSR_SIM_LIMEGO_PORT,
        hogia: env.DSR_SIM_HOGIA_PORT,
        linkedin: env.DSR_SIM_LINKEDIN_PORT,
        googleads: env.DSR_SIM_GOOGLEADS_PORT,
        zoom: env.DSR_SIM_ZOOM_PORT,
      },
    },
    logLevel: env.DSR_LOG_LEVEL,
    metricsToken: secretFromEnv(env.DSR_METRICS_TOKEN, env.DSR_METRICS_TOKEN_FILE, 'DSR_METRICS_TOKEN'),
  };
}
