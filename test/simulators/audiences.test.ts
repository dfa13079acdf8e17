import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGoogleAdsSimulator, type GoogleAdsSimulator } from '../../simulators/googleads';
import { startLinkedInSimulator } from '../../simulators/linkedin';
import { adAudiences, buildWorld, sampleSubjects } from '../../simulators/world';
import { http, jsonBody, TempDirs, TEST_USERS } from './helpers';

const world = buildWorld({ users: TEST_USERS });
const ANNA = sampleSubjects(world).find((s) => s.ref === 'app-1')!;
const sha = (s: string) => createHash('sha256').update(s.trim().toLowerCase()).digest('hex');
const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

describe('demo world: ad audiences', () => {
  it('uploads the marketing contacts, with Anna (app 1) in every audience', () => {
    const audiences = adAudiences(world);
    expect(audiences.map((a) => a.key)).toEqual(['newsletter', 'customers']);
    for (const a of audiences) {
      expect(a.emails).toContain(ANNA.email.trim().toLowerCase());
      expect(new Set(a.emails).size).toBe(a.emails.length);
    }
    expect(audiences[0]!.emails.length).toBeGreaterThan(audiences[1]!.emails.length);
  });
});

describe('LinkedIn simulator', () => {
  const LINKEDIN_HEADERS = { 'linkedin-version': '202511', 'x-restli-protocol-version': '2.0.0', 'x-restli-method': 'BATCH_CREATE' };
  const remove = (hash: string) => ({ elements: [{ action: 'REMOVE', userIds: [{ idType: 'SHA256_EMAIL', idValue: hash }] }] });

  it('answers BATCH_CREATE per element, in LinkedIn’s error envelope, and keeps removals across a restart', async () => {
    const dataDir = dirs.make();
    let sim = await startLinkedInSimulator({ dataDir, users: TEST_USERS, rateLimit: { limit: 6, windowMs: 60_000 } });
    const url = `${sim.baseUrl}/rest/dmpSegments/${sim.segments[0]}/users`;
    const auth = { authorization: `Bearer ${sim.accessToken}` };
    try {
      expect((await http(url, jsonBody(remove(sha(ANNA.email)), 'POST', LINKEDIN_HEADERS))).body).toEqual({ status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' });
      const noVersion = await http(url, jsonBody(remove(sha(ANNA.email)), 'POST', { ...auth, 'x-restli-protocol-version': '2.0.0', 'x-restli-method': 'BATCH_CREATE' }));
      expect(noVersion.status).toBe(400);
      expect(noVersion.body).toMatchObject({ status: 400, serviceErrorCode: expect.any(Number), message: expect.stringMatching(/LinkedIn-Version/) });
      const mixed = await http(url, jsonBody({ elements: [...remove(sha(ANNA.email)).elements, { action: 'REMOVE', userIds: [{ idType: 'SHA256_EMAIL', idValue: 'nope' }] }] }, 'POST', { ...auth, ...LINKEDIN_HEADERS }));
      expect(mixed.status).toBe(200);
      expect(mixed.body.elements.map((e: any) => e.status)).toEqual([201, 400]);
      // over the limit: 429 with Retry-After, in the same envelope
      let limited;
      for (let i = 0; i < 6 && !limited; i++) {
        const res = await http(url, jsonBody(remove(sha('x@example.se')), 'POST', { ...auth, ...LINKEDIN_HEADERS }));
        if (res.status === 429) limited = res;
      }
      expect(limited!.body).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
    sim = await startLinkedInSimulator({ dataDir, users: TEST_USERS });
    try {
      const state = (await http(`${sim.baseUrl}/__sim/state/audiences`)).body;
      expect(state.removals).toEqual([{ audience: sim.segments[0], hash: sha(ANNA.email), at: expect.any(String) }]);
      expect(state.audiences[0].members).not.toContain(sha(ANNA.email));
      expect(state.audiences[1].members).toContain(sha(ANNA.email));
    } finally {
      await sim.close();
    }
  });
});

describe('Google Ads simulator', () => {
  let sim: GoogleAdsSimulator;
  let dataDir: string;
  const token = async () =>
    (
      await http(sim.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: sim.clientId, client_secret: sim.clientSecret, refresh_token: sim.refreshToken }),
      })
    ).body;
  const headers = async () => ({ authorization: `Bearer ${(await token()).access_token}`, 'developer-token': sim.developerToken, 'login-customer-id': sim.loginCustomerId });
  const api = (path: string) => `${sim.baseUrl}/${sim.apiVersion}/${path}`;
  const statusOf = async (job: string) =>
    (await http(api(`customers/${sim.customerId}/googleAds:search`), jsonBody({ query: `SELECT offline_user_data_job.status FROM offline_user_data_job WHERE offline_user_data_job.resource_name = '${job}'` }, 'POST', await headers()))).body
      .results[0].offlineUserDataJob.status;

  beforeAll(async () => {
    dataDir = dirs.make();
    sim = await startGoogleAdsSimulator({ dataDir, users: TEST_USERS, jobProcessingMs: 300, rateLimit: { limit: 40, windowMs: 60_000 } });
  });
  afterAll(() => sim.close());

  it('grants access tokens for the refresh token only, with OAuth2 errors', async () => {
    expect(await token()).toMatchObject({ access_token: expect.stringMatching(/^ya29\./), expires_in: 3599, token_type: 'Bearer' });
    const bad = await http(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', client_id: sim.clientId, client_secret: 'x', refresh_token: sim.refreshToken }) });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe('invalid_client');
    const unauth = await http(api(`customers/${sim.customerId}/googleAds:search`), jsonBody({ query: '' }));
    expect(unauth.status).toBe(401);
    expect(unauth.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', message: expect.any(String), details: [expect.objectContaining({ '@type': expect.stringContaining('GoogleAdsFailure') })] });
  });

  it('runs a job PENDING -> RUNNING -> SUCCESS and only then removes the hashes; a run job takes no more operations', async () => {
    const h = await headers();
    const hash = sha(ANNA.email);
    const job = (await http(api(`customers/${sim.customerId}/offlineUserDataJobs:create`), jsonBody({ job: { type: 'CUSTOMER_MATCH_USER_LIST', customerMatchUserListMetadata: { userList: `customers/${sim.customerId}/userLists/${sim.userLists[1]}` } } }, 'POST', h))).body.resourceName;
    expect(job).toMatch(new RegExp(`^customers/${sim.customerId}/offlineUserDataJobs/\\d+$`));
    expect((await http(api(`${job}:addOperations`), jsonBody({ operations: [{ remove: { userIdentifiers: [{ hashedEmail: hash }] } }], enablePartialFailure: true }, 'POST', h))).body).toEqual({});
    expect(await statusOf(job)).toBe('PENDING');
    expect((await http(`${sim.baseUrl}/__sim/jobs/hold`, jsonBody({ hold: true }))).status).toBe(204);
    expect((await http(api(`${job}:run`), jsonBody({}, 'POST', h))).body.name).toMatch(/^customers\/\d+\/operations\/\d+$/);
    expect(await statusOf(job)).toBe('RUNNING');
    const late = await http(api(`${job}:addOperations`), jsonBody({ operations: [{ remove: { userIdentifiers: [{ hashedEmail: hash }] } }] }, 'POST', h));
    expect(late.status).toBe(400);
    expect(late.body.error.details[0].errors[0].errorCode).toEqual({ offlineUserDataJobError: 'INVALID_JOB_STATUS' });
    let members = (await http(`${sim.baseUrl}/__sim/state/audiences`)).body.audiences[1].members;
    expect(members).toContain(hash);
    expect((await http(`${sim.baseUrl}/__sim/jobs/hold`, jsonBody({ hold: false }))).status).toBe(204);
    while ((await statusOf(job)) === 'RUNNING') await sleep(100);
    expect(await statusOf(job)).toBe('SUCCESS');
    const state = (await http(`${sim.baseUrl}/__sim/state/audiences`)).body;
    members = state.audiences[1].members;
    expect(members).not.toContain(hash);
    expect(state.audiences[0].members).toContain(hash);
    expect(state.removals).toEqual([{ audience: sim.userLists[1], hash, at: expect.any(String), job }]);

    // persisted: a restart keeps the job and the removal
    await sim.close();
    sim = await startGoogleAdsSimulator({ dataDir, users: TEST_USERS, jobProcessingMs: 300 });
    expect(await statusOf(job)).toBe('SUCCESS');
    expect((await http(`${sim.baseUrl}/__sim/state/jobs`)).body).toEqual([{ resourceName: job, userList: sim.userLists[1], status: 'SUCCESS', removes: 1, adds: 0 }]);
  });

  it('refuses unknown user lists, other customers and a missing login-customer-id', async () => {
    const h = await headers();
    const create = (list: string, hh: Record<string, string> = h, cid = sim.customerId) =>
      http(api(`customers/${cid}/offlineUserDataJobs:create`), jsonBody({ job: { type: 'CUSTOMER_MATCH_USER_LIST', customerMatchUserListMetadata: { userList: `customers/${cid}/userLists/${list}` } } }, 'POST', hh));
    const unknown = await create('1');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].errors[0].errorCode).toEqual({ offlineUserDataJobError: 'INVALID_USER_LIST_ID' });
    expect((await create(sim.userLists[0]!, h, '1111111111')).status).toBe(403);
    const { 'login-customer-id': _omit, ...noManager } = h;
    expect((await create(sim.userLists[0]!, noManager)).body.error.status).toBe('PERMISSION_DENIED');
  });
});
