import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGoogleAdsSimulator, type GoogleAdsSimulator } from '../../simulators/googleads';
import { adAudiences, buildWorld, sampleSubjects } from '../../simulators/world';
import { ConfigError, loadConfig, type ConnectorSettings } from '../../src/config';
import { RemoteJobFailedError, type ActionOutcome, type SubjectKey } from '../../src/connectors/connector';
import { GoogleAdsConnector, googleAdsConnectorFactory, googleNormalise } from '../../src/connectors/googleads/googleads.connector';
import { HttpError } from '../../src/connectors/http';
import { art15Information } from '../../src/exports/art15';
import { normaliseEmail } from '../../src/services/identity';
import { http, injectFault, jsonBody, TempDirs, TEST_USERS } from '../simulators/helpers';
import { capturingLogger } from './http/test-server';

const world = buildWorld({ users: TEST_USERS });
const ANNA = sampleSubjects(world).find((s) => s.ref === 'app-1')!;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const dirs = new TempDirs();
const { logger, lines } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dirs.make() });
let sim: GoogleAdsSimulator;

function connector(settings: Record<string, unknown> = {}): GoogleAdsConnector {
  const all = {
    kind: 'googleads', enabled: true, baseUrl: sim.baseUrl, developerToken: sim.developerToken, customerId: sim.customerId,
    loginCustomerId: sim.loginCustomerId, userLists: sim.userLists, pollIntervalMs: 200, retries: 2,
    oauth: { clientId: sim.clientId, clientSecret: sim.clientSecret, refreshToken: sim.refreshToken, tokenUrl: sim.tokenUrl },
    ...settings,
  } as ConnectorSettings;
  return googleAdsConnectorFactory.create('googleads', all, { config, logger }) as GoogleAdsConnector;
}

interface AudienceState {
  audiences: { id: string; members: string[] }[];
  removals: { audience: string; hash: string; at: string; job: string }[];
}
/** While held, the simulator's running jobs stay RUNNING (so what a test sees meanwhile does not depend on timing). */
const hold = async (on: boolean) => expect((await http(`${sim.baseUrl}/__sim/jobs/hold`, jsonBody({ hold: on }))).status).toBe(204);
const state = async (): Promise<AudienceState> => (await http<AudienceState>(`${sim.baseUrl}/__sim/state/audiences`)).body;
const signal = () => new AbortController().signal;
const fails = (): never => {
  throw new Error('expected the call to fail');
};

/** Calls again with the resume state, as the gateway's deferred task does, until the step ends. */
async function untilDone(c: GoogleAdsConnector, subject: SubjectKey, first: ActionOutcome): Promise<{ outcome: ActionOutcome }> {
  let outcome = first;
  while (outcome.status === 'IN_PROGRESS') {
    await sleep(outcome.checkAgainAfterMs!);
    outcome = await c.erase(subject, signal(), outcome.resume);
  }
  return { outcome };
}

beforeAll(async () => {
  sim = await startGoogleAdsSimulator({ dataDir: dirs.make(), users: TEST_USERS, jobProcessingMs: 600 });
});
afterAll(async () => {
  await sim.close();
  dirs.removeAll();
});
afterEach(async () => {
  await http(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' });
  await hold(false);
});

describe('Google Ads connector', () => {
  test('normalises as Customer Match asks: trimmed and lower case, gmail dots kept', () => {
    expect(googleNormalise('  Jane.Doe@GMail.com ')).toBe('jane.doe@gmail.com');
  });

  test('collect finds nothing; the user lists are recipients in the Art. 15 information', async () => {
    const c = connector();
    const [snap] = await c.collect([{ email: [normaliseEmail(ANNA.email)] }], signal());
    expect(snap!.found).toBe(false);
    expect(snap!.note).toMatch(new RegExp(`^Google Ads cannot say whether an address is in an audience.*each of the ${sim.userLists.length} configured audiences\\.$`));
    const info = art15Information('googleads', c.system);
    expect(info.recipients).toEqual(['Google Ireland Limited', ...sim.userLists.map((l) => expect.stringContaining(`user list ${l}`))]);
    expect(info.transferSafeguard).toMatch(/Standard Contractual Clauses/);
  });

  test('erase runs one removal job per user list, answers IN_PROGRESS, and ends when every job is SUCCESS', async () => {
    const email = normaliseEmail(ANNA.email);
    const hash = sha(email);
    for (const a of (await state()).audiences) expect(a.members).toContain(hash);
    const c = connector();
    await hold(true);
    const first = await c.erase({ email: [email] }, signal());
    expect(first.status).toBe('IN_PROGRESS');
    expect(first.checkAgainAfterMs).toBe(200);
    expect(first.note).toMatch(/^Google Ads is processing removal jobs customers\/\d+\/offlineUserDataJobs\/\d+/);
    expect(first.removals).toHaveLength(sim.userLists.length);
    expect(first.removals!.every((r) => r.hash === hash && /offlineUserDataJobs/.test(r.jobRef!) && r.state !== 'SUCCESS')).toBe(true);
    // the resume state is plain JSON
    expect(JSON.parse(JSON.stringify(first.resume))).toEqual(first.resume);
    // nothing removed until Google has processed the jobs; a check meanwhile answers IN_PROGRESS again
    for (const a of (await state()).audiences) expect(a.members).toContain(hash);
    const second = await c.erase({ email: [email] }, signal(), first.resume);
    expect(second).toMatchObject({ status: 'IN_PROGRESS', resume: first.resume });
    expect(second.removals!.map((r) => r.state)).toEqual(sim.userLists.map(() => 'RUNNING'));

    await hold(false);
    const { outcome } = await untilDone(c, { email: [email] }, second);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.removals!.map((r) => [r.audience, r.hash, r.state])).toEqual(sim.userLists.map((l) => [l, hash, 'SUCCESS']));
    const after = await state();
    for (const a of after.audiences) expect(a.members).not.toContain(hash);
    expect(after.removals.filter((r) => r.hash === hash).map((r) => r.job).sort()).toEqual(first.removals!.map((r) => r.jobRef).sort());
    const log = lines.join('\n');
    for (const secret of [email, hash, sim.clientSecret, sim.refreshToken, sim.developerToken]) expect(log).not.toContain(secret);
  });

  test('a FAILED job fails the step with a safe message and the removals it carried', async () => {
    const member = adAudiences(world)[0]!.emails.find((e) => e !== normaliseEmail(ANNA.email))!;
    expect((await http(`${sim.baseUrl}/__sim/jobs/outcome`, jsonBody({ outcome: 'FAILED', count: 1 }))).status).toBe(204);
    const c = connector();
    const first = await c.erase({ email: [member] }, signal());
    const failure = await untilDone(c, { email: [member] }, first).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RemoteJobFailedError);
    const e = failure as RemoteJobFailedError;
    expect(e.message).toMatch(/ended FAILED/);
    expect(e.message).not.toContain(member);
    expect(e.removals.filter((r) => r.state === 'FAILED')).toHaveLength(1);
    // a new attempt (no resume state) starts new jobs, and they succeed
    const retry = await untilDone(c, { email: [member] }, await c.suppressMarketing({ email: [member] }, signal()));
    expect(retry.outcome.status).toBe('SUCCEEDED');
    for (const a of (await state()).audiences) expect(a.members).not.toContain(sha(member));
  });

  test('RESOURCE_EXHAUSTED is waited out; bad credentials answer in Google’s envelope', async () => {
    await injectFault(sim.baseUrl, { pathPattern: 'offlineUserDataJobs:create$', status: 429, count: 1, retryAfterS: 0 });
    const first = await connector().erase({ email: ['nobody@example.se'] }, signal());
    expect(first.status).toBe('IN_PROGRESS');
    expect((await http(`${sim.baseUrl}/__sim/faults`)).body).toEqual([]);

    const badDev = await connector({ developerToken: 'not-the-token' }).erase({ email: ['x@example.se'] }, signal()).then(fails, (e: unknown) => e as HttpError);
    expect(badDev.status).toBe(401);
    expect(badDev.body).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED', details: [{ errors: [{ errorCode: { authenticationError: 'DEVELOPER_TOKEN_INVALID' } }] }] } });
    expect(badDev.message).not.toContain('not-the-token');

    const badRefresh = await connector({ oauth: { clientId: sim.clientId, clientSecret: sim.clientSecret, refreshToken: 'revoked', tokenUrl: sim.tokenUrl } })
      .erase({ email: ['x@example.se'] }, signal())
      .then(fails, (e: unknown) => e as HttpError);
    expect(badRefresh.status).toBe(400);
    expect(badRefresh.body).toEqual({ error: 'invalid_grant', error_description: 'Bad Request' });

    const noManager = await connector({ loginCustomerId: undefined }).erase({ email: ['x@example.se'] }, signal()).then(fails, (e: unknown) => e as HttpError);
    expect(noManager.status).toBe(403);
    expect(noManager.body).toMatchObject({ error: { status: 'PERMISSION_DENIED' } });
  });

  test('the simulator refuses malformed hashes and queries', async () => {
    const token = (await http(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', client_id: sim.clientId, client_secret: sim.clientSecret, refresh_token: sim.refreshToken }) })).body.access_token as string;
    const headers = { authorization: `Bearer ${token}`, 'developer-token': sim.developerToken, 'login-customer-id': sim.loginCustomerId };
    const base = `${sim.baseUrl}/${sim.apiVersion}/customers/${sim.customerId}`;
    const created = await http(`${base}/offlineUserDataJobs:create`, jsonBody({ job: { type: 'CUSTOMER_MATCH_USER_LIST', customerMatchUserListMetadata: { userList: `customers/${sim.customerId}/userLists/${sim.userLists[0]}` } } }, 'POST', headers));
    expect(created.status).toBe(200);
    const job = created.body.resourceName as string;
    const partial = await http(`${sim.baseUrl}/${sim.apiVersion}/${job}:addOperations`, jsonBody({ operations: [{ remove: { userIdentifiers: [{ hashedEmail: 'not-a-hash' }] } }], enablePartialFailure: true }, 'POST', headers));
    expect(partial.status).toBe(200);
    expect(partial.body.partialFailureError.details[0].errors[0].errorCode).toEqual({ offlineUserDataJobError: 'INVALID_SHA256_FORMAT' });
    const whole = await http(`${sim.baseUrl}/${sim.apiVersion}/${job}:addOperations`, jsonBody({ operations: [{ remove: { userIdentifiers: [{ hashedEmail: 'x' }] } }] }, 'POST', headers));
    expect(whole.status).toBe(400);
    expect(whole.body.error.status).toBe('INVALID_ARGUMENT');
    const query = await http(`${base}/googleAds:search`, jsonBody({ query: 'SELECT campaign.id FROM campaign' }, 'POST', headers));
    expect(query.status).toBe(400);
    const status = await http(`${base}/googleAds:search`, jsonBody({ query: `SELECT offline_user_data_job.status FROM offline_user_data_job WHERE offline_user_data_job.resource_name = '${job}'` }, 'POST', headers));
    expect(status.body.results).toEqual([{ offlineUserDataJob: { resourceName: job, status: 'PENDING' } }]);
  });

  test('settings: customer ids are 10 digits; every credential is required', () => {
    const make = (s: Record<string, unknown>) => () =>
      googleAdsConnectorFactory.create('googleads', { kind: 'googleads', enabled: true, developerToken: 'dev', customerId: '1234567890', userLists: ['1'], oauth: { clientId: 'c', clientSecret: 's3cret', refreshToken: 'r' }, ...s } as ConnectorSettings, { config, logger });
    expect(make({ customerId: '123-456-7890' })).toThrow(/connectors\.googleads\.customerId/);
    expect(make({ userLists: [] })).toThrow(ConfigError);
    expect(make({ oauth: { clientId: 'c', refreshToken: 'r' } })).toThrow(/connectors\.googleads\.oauth\.clientSecret/);
    expect(make({})).not.toThrow();
  });
});
