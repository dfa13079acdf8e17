/**
 * Google Ads API simulator (REST), Customer Match removals: OfflineUserDataJobService
 * (`customers/{cid}/offlineUserDataJobs:create`, `{job}:addOperations`, `{job}:run`) and
 * GoogleAdsService.Search (`customers/{cid}/googleAds:search`) for offline_user_data_job status,
 * with OAuth2 refresh-token grants at POST /token (the real one is oauth2.googleapis.com/token),
 * the developer-token and login-customer-id headers, Google's error envelope
 * {"error":{"code","message","status","details"}} and RESOURCE_EXHAUSTED (429) over the limit.
 *
 * A job is PENDING until run, then RUNNING for `jobProcessingMs`, then SUCCESS (its removals
 * applied) or FAILED (POST /__sim/jobs/outcome {"outcome":"FAILED","count":n} makes the next n
 * runs fail; POST /__sim/jobs/hold {"hold":true} keeps running jobs RUNNING until {"hold":false}).
 * The user lists hold the demo world's email lists, hashed as Customer Match asks:
 * trimmed, lower case, SHA-256.
 *
 * Control (no auth): /__sim/faults, GET /__sim/state/audiences, GET /__sim/state/jobs,
 * POST /__sim/jobs/outcome, POST /__sim/jobs/hold.
 */
import { randomInt } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import express, { type Request, type Response } from 'express';
import { audienceState, isSha256Hex, removeMember, sha256Hex, type SimAudience, type SimRemoval } from '../common/audiences';
import { createSimulatorApp, sendError, type ServiceErrors } from '../common/app';
import { listen } from '../common/server';
import { PersistentState } from '../common/state';
import { DEFAULT_RATE_LIMIT, secret, worldSource, type SimulatorOptions, type StartedSimulator } from '../common/simulator';
import { adAudiences } from '../world';

const STATE_FORMAT = 1;
export const CUSTOMER_ID = '1234567890';
export const MANAGER_ID = '9876543210';
export const API_VERSION = 'v21';
const VERSIONS = /^v(19|20|21|22)$/;
const USER_LIST_IDS: Record<string, string> = { newsletter: '7000000001', customers: '7000000002' };
const TOKEN_LIFETIME_S = 3599;

type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED';

interface SimJob {
  resourceName: string;
  userList: string;
  removes: string[];
  adds: string[];
  status: JobStatus;
  /** Epoch ms the job was run; it finishes jobProcessingMs later. */
  runAt: number | null;
  outcome: 'SUCCESS' | 'FAILED';
}

interface GoogleAdsState {
  developerToken: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  accessTokens: { token: string; expiresAt: number }[];
  userLists: SimAudience[];
  jobs: SimJob[];
  removals: SimRemoval[];
  failNext: number;
}

export interface GoogleAdsSimulatorOptions extends SimulatorOptions {
  /** How long a run job stays RUNNING before it ends (default 3000 ms). */
  jobProcessingMs?: number;
}

export interface GoogleAdsSimulator extends StartedSimulator {
  /** The developer token (same as `key`). */
  developerToken: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  tokenUrl: string;
  customerId: string;
  loginCustomerId: string;
  userLists: string[];
  apiVersion: string;
}

export const googleHash = (email: string): string => sha256Hex(email.trim().toLowerCase());

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 501: 'UNIMPLEMENTED', 503: 'UNAVAILABLE',
};
const MESSAGES: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  401: 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  403: 'The caller does not have permission',
  429: 'Resource has been exhausted (e.g. check quota).',
  500: 'Internal error encountered.',
  503: 'The service is currently unavailable.',
};

/** {"error":{"code","message","status","details":[GoogleAdsFailure]}}; errorCode names the Google Ads error enum. */
function envelope(req: Request, status: number, message: string, errorCode?: Record<string, string>): unknown {
  const version = /^\/(v\d+)\//.exec(req.path)?.[1] ?? API_VERSION;
  const code = errorCode ?? (status === 429 ? { quotaError: 'RESOURCE_EXHAUSTED' } : status === 401 ? { authenticationError: 'AUTHENTICATION_ERROR' } : undefined);
  return {
    error: {
      code: status,
      message: MESSAGES[status] ?? message,
      status: STATUS_NAMES[status] ?? 'UNKNOWN',
      ...(code
        ? { details: [{ '@type': `type.googleapis.com/google.ads.googleads.${version}.errors.GoogleAdsFailure`, errors: [{ errorCode: code, message }], requestId: secret(12) }] }
        : {}),
    },
  };
}

export const googleAdsErrors: ServiceErrors = {
  body: (req, status, message) => envelope(req, status, message),
};

const fail = (req: Request, res: Response, status: number, message?: string, errorCode?: Record<string, string>) => {
  res.status(status).json(envelope(req, status, message ?? STATUS_CODES[status] ?? 'Error', errorCode));
};

export async function startGoogleAdsSimulator(options: GoogleAdsSimulatorOptions): Promise<GoogleAdsSimulator> {
  const processingMs = options.jobProcessingMs ?? 3000;
  const source = worldSource(options, STATE_FORMAT);
  const state = PersistentState.open<GoogleAdsState>(options.dataDir, 'googleads', source.origin, () => ({
    developerToken: secret(16),
    clientId: `${randomInt(100_000_000, 999_999_999)}-sim.apps.googleusercontent.com`,
    clientSecret: `GOCSPX-${secret(21)}`,
    refreshToken: `1//${secret(60)}`,
    accessTokens: [],
    userLists: adAudiences(source.world()).map((a) => ({ id: USER_LIST_IDS[a.key]!, name: a.name, members: [...new Set(a.emails.map(googleHash))] })),
    jobs: [],
    removals: [],
    failNext: 0,
  }));

  /** While set (a test's control), running jobs do not end. */
  let held = false;

  /** Ends the jobs whose processing time is over, applying the removals of those that succeed. */
  const settle = (): void => {
    if (held) return;
    const now = Date.now();
    if (!state.data.jobs.some((j) => j.status === 'RUNNING' && j.runAt !== null && now >= j.runAt + processingMs)) return;
    state.change((d) => {
      for (const job of d.jobs) {
        if (job.status !== 'RUNNING' || job.runAt === null || now < job.runAt + processingMs) continue;
        job.status = job.outcome;
        if (job.outcome !== 'SUCCESS') continue;
        const list = d.userLists.find((l) => l.id === job.userList)!;
        for (const h of job.removes) removeMember(list, h, d.removals, job.resourceName);
        for (const h of job.adds) if (!list.members.includes(h)) list.members.push(h);
      }
    });
  };

  const { app } = createSimulatorApp({
    errors: googleAdsErrors,
    rateLimits: [{ name: 'api', limit: options.rateLimit ?? DEFAULT_RATE_LIMIT, applies: (req) => req.path !== '/token' }],
    control: (router) => {
      router.get('/state/audiences', (_req, res) => {
        settle();
        res.json(audienceState(state.data.userLists, state.data.removals));
      });
      router.get('/state/jobs', (_req, res) => {
        settle();
        res.json(state.data.jobs.map((j) => ({ resourceName: j.resourceName, userList: j.userList, status: j.status, removes: j.removes.length, adds: j.adds.length })));
      });
      router.post('/jobs/hold', (req, res) => {
        const hold = (req.body as { hold?: unknown })?.hold;
        if (typeof hold !== 'boolean') return void res.status(400).json({ error: 'expected {"hold":true|false}' });
        held = hold;
        res.status(204).end();
      });
      router.post('/jobs/outcome', (req, res) => {
        const body = req.body as { outcome?: unknown; count?: unknown };
        const count = typeof body?.count === 'number' && Number.isInteger(body.count) && body.count >= 0 ? body.count : null;
        if (body?.outcome !== 'FAILED' || count === null) return void res.status(400).json({ error: 'expected {"outcome":"FAILED","count":n}' });
        state.change((d) => (d.failNext = count));
        res.status(204).end();
      });
    },
    routes: (app) => {
      app.post('/token', express.urlencoded({ extended: false }), (req, res) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        res.set('Cache-Control', 'no-store');
        if (b.grant_type !== 'refresh_token') return void res.status(400).json({ error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' });
        if (b.client_id !== state.data.clientId || b.client_secret !== state.data.clientSecret) {
          return void res.status(401).json({ error: 'invalid_client', error_description: 'The OAuth client was not found.' });
        }
        if (b.refresh_token !== state.data.refreshToken) return void res.status(400).json({ error: 'invalid_grant', error_description: 'Bad Request' });
        const token = `ya29.${secret(80)}`;
        const now = Date.now();
        state.change((d) => {
          d.accessTokens = d.accessTokens.filter((t) => t.expiresAt > now);
          d.accessTokens.push({ token, expiresAt: now + TOKEN_LIFETIME_S * 1000 });
        });
        res.json({ access_token: token, expires_in: TOKEN_LIFETIME_S, scope: 'https://www.googleapis.com/auth/adwords', token_type: 'Bearer' });
      });

      app.use((req, res, next) => {
        const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
        const token = m ? state.data.accessTokens.find((t) => t.token === m[1]) : undefined;
        if (!token || token.expiresAt <= Date.now()) {
          return fail(req, res, 401, 'Request had invalid authentication credentials.', { authenticationError: m ? 'OAUTH_TOKEN_INVALID' : 'NOT_ADS_USER' });
        }
        const developerToken = req.get('developer-token');
        if (!developerToken) return fail(req, res, 401, 'The developer token is missing.', { authenticationError: 'DEVELOPER_TOKEN_PARAMETER_MISSING' });
        if (developerToken !== state.data.developerToken) return fail(req, res, 401, 'The developer token is not valid.', { authenticationError: 'DEVELOPER_TOKEN_INVALID' });
        if (req.get('login-customer-id') !== MANAGER_ID) {
          return fail(req, res, 403, "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header.", { authorizationError: 'USER_PERMISSION_DENIED' });
        }
        next();
      });
      app.use(express.json({ limit: '20mb' }));
      app.use((req, res, next) => {
        const version = /^\/(v\d+)\//.exec(req.path)?.[1];
        if (version && !VERSIONS.test(version)) return fail(req, res, 404, `Version ${version} is not supported`);
        settle();
        next();
      });

      const customer = (req: Request, res: Response): boolean => {
        if (req.params.cid === CUSTOMER_ID) return true;
        fail(req, res, 403, "User doesn't have permission to access customer.", { authorizationError: 'USER_PERMISSION_DENIED' });
        return false;
      };
      const jobOf = (req: Request, res: Response): SimJob | undefined => {
        if (!customer(req, res)) return undefined;
        const job = state.data.jobs.find((j) => j.resourceName === `customers/${req.params.cid}/offlineUserDataJobs/${req.params.job}`);
        if (!job) fail(req, res, 400, 'Resource was not found.', { mutateError: 'RESOURCE_NOT_FOUND' });
        return job;
      };

      app.post(/^\/(?<v>v\d+)\/customers\/(?<cid>\d+)\/offlineUserDataJobs:create$/, (req, res) => {
        if (!customer(req, res)) return;
        const job = (req.body as { job?: { type?: unknown; customerMatchUserListMetadata?: { userList?: unknown } } })?.job;
        if (job?.type !== 'CUSTOMER_MATCH_USER_LIST') return fail(req, res, 400, 'The type of the job is not supported.', { offlineUserDataJobError: 'UNSUPPORTED_JOB_TYPE' });
        const m = /^customers\/(\d+)\/userLists\/(\d+)$/.exec(String(job.customerMatchUserListMetadata?.userList ?? ''));
        const list = m && m[1] === CUSTOMER_ID ? state.data.userLists.find((l) => l.id === m[2]) : undefined;
        if (!list) return fail(req, res, 400, 'The user list ID provided for the job is invalid.', { offlineUserDataJobError: 'INVALID_USER_LIST_ID' });
        const resourceName = `customers/${CUSTOMER_ID}/offlineUserDataJobs/${randomInt(1_000_000_000, 9_999_999_999)}`;
        state.change((d) => d.jobs.push({ resourceName, userList: list.id, removes: [], adds: [], status: 'PENDING', runAt: null, outcome: 'SUCCESS' }));
        res.json({ resourceName });
      });

      app.post(/^\/(?<v>v\d+)\/customers\/(?<cid>\d+)\/offlineUserDataJobs\/(?<job>\d+):addOperations$/, (req, res) => {
        const job = jobOf(req, res);
        if (!job) return;
        if (job.status !== 'PENDING' || job.runAt !== null) return fail(req, res, 400, 'The job is not in a status that allows adding operations.', { offlineUserDataJobError: 'INVALID_JOB_STATUS' });
        const body = req.body as { operations?: unknown; enablePartialFailure?: unknown };
        if (!Array.isArray(body?.operations) || body.operations.length === 0 || body.operations.length > 100_000) {
          return fail(req, res, 400, 'operations must hold 1 to 100000 operations.', { requestError: 'REQUIRED_FIELD_MISSING' });
        }
        const bad: number[] = [];
        const removes: string[] = [];
        const adds: string[] = [];
        body.operations.forEach((op: unknown, i: number) => {
          const o = op as { remove?: { userIdentifiers?: { hashedEmail?: unknown }[] }; create?: { userIdentifiers?: { hashedEmail?: unknown }[] } };
          const part = o?.remove ?? o?.create;
          const ids = Array.isArray(part?.userIdentifiers) ? part.userIdentifiers : [];
          if ((o?.remove === undefined) === (o?.create === undefined) || ids.length === 0 || !ids.every((u) => isSha256Hex(u?.hashedEmail))) return void bad.push(i);
          for (const u of ids) (o.remove ? removes : adds).push(u.hashedEmail as string);
        });
        if (bad.length && body.enablePartialFailure !== true) {
          return fail(req, res, 400, 'The SHA256 encoded value is malformed.', { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' });
        }
        state.change((d) => {
          const target = d.jobs.find((j) => j.resourceName === job.resourceName)!;
          target.removes.push(...removes);
          target.adds.push(...adds);
        });
        if (!bad.length) return void res.json({});
        res.json({
          partialFailureError: {
            code: 3,
            message: `Multiple errors in 'details'. First error: The SHA256 encoded value is malformed., at operations[${bad[0]}]`,
            details: [{ '@type': `type.googleapis.com/google.ads.googleads.${req.params.v}.errors.GoogleAdsFailure`, errors: bad.map((i) => ({ errorCode: { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' }, message: 'The SHA256 encoded value is malformed.', location: { fieldPathElements: [{ fieldName: 'operations', index: i }] } })) }],
          },
        });
      });

      app.post(/^\/(?<v>v\d+)\/customers\/(?<cid>\d+)\/offlineUserDataJobs\/(?<job>\d+):run$/, (req, res) => {
        const job = jobOf(req, res);
        if (!job) return;
        if (job.runAt !== null) return fail(req, res, 400, 'The job is not in a status that allows running it.', { offlineUserDataJobError: 'INVALID_JOB_STATUS' });
        state.change((d) => {
          const target = d.jobs.find((j) => j.resourceName === job.resourceName)!;
          target.runAt = Date.now();
          target.status = 'RUNNING';
          if (d.failNext > 0) {
            target.outcome = 'FAILED';
            d.failNext -= 1;
          }
        });
        res.json({ name: `customers/${CUSTOMER_ID}/operations/${randomInt(1_000_000_000, 9_999_999_999)}` });
      });

      app.post(/^\/(?<v>v\d+)\/customers\/(?<cid>\d+)\/googleAds:search$/, (req, res) => {
        if (!customer(req, res)) return;
        const query = String((req.body as { query?: unknown })?.query ?? '').replace(/\s+/g, ' ').trim();
        const m = /^SELECT (.+) FROM offline_user_data_job WHERE offline_user_data_job\.resource_name (?:= '([^']+)'|IN \(([^)]*)\))$/i.exec(query);
        if (!m) return fail(req, res, 400, 'Error in query: the simulator reads offline_user_data_job by resource_name only.', { queryError: 'UNEXPECTED_INPUT' });
        const fields = m[1]!.split(',').map((f) => f.trim());
        if (!fields.every((f) => /^offline_user_data_job\.(resource_name|status|failure_reason|id|type)$/.test(f))) {
          return fail(req, res, 400, 'Error in query: unrecognized field.', { queryError: 'UNRECOGNIZED_FIELD' });
        }
        const names = m[2] !== undefined ? [m[2]] : [...m[3]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
        const camel = (f: string) => f.replace('offline_user_data_job.', '').replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
        const results = state.data.jobs
          .filter((j) => names.includes(j.resourceName))
          .map((j) => {
            const all: Record<string, unknown> = {
              resourceName: j.resourceName,
              status: j.status,
              id: j.resourceName.split('/').pop(),
              type: 'CUSTOMER_MATCH_USER_LIST',
              ...(j.status === 'FAILED' ? { failureReason: 'UNSPECIFIED' } : {}),
            };
            // resource_name always comes back, as in the real API
            return { offlineUserDataJob: Object.fromEntries(Object.entries(all).filter(([k]) => k === 'resourceName' || fields.some((f) => camel(f) === k))) };
          });
        res.json({ ...(results.length ? { results } : {}), fieldMask: fields.map((f) => `offlineUserDataJob.${camel(f)}`).join(','), queryResourceConsumption: '1' });
      });
    },
  });

  const server = await listen(app, options.port ?? 0);
  return {
    baseUrl: server.baseUrl,
    key: state.data.developerToken,
    developerToken: state.data.developerToken,
    clientId: state.data.clientId,
    clientSecret: state.data.clientSecret,
    refreshToken: state.data.refreshToken,
    tokenUrl: `${server.baseUrl}/token`,
    customerId: CUSTOMER_ID,
    loginCustomerId: MANAGER_ID,
    userLists: state.data.userLists.map((l) => l.id),
    apiVersion: API_VERSION,
    close: server.close,
  };
}
