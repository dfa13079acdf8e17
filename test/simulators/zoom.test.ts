import { startZoomSimulator, type ZoomSimulator } from '../../simulators/zoom';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { http, injectFault, TempDirs, TEST_USERS } from './helpers';

const world = buildWorld({ users: TEST_USERS });
const anna = sampleSubjects(world).find((s) => s.ref === 'app-1')!;
const summit = world.zoom.webinars.find((w) => w.topic === 'Engagement Summit 2026')!;
const [host1, host2] = world.zoom.users;

describe('Zoom simulator', () => {
  const dirs = new TempDirs();
  let dataDir: string;
  let sim: ZoomSimulator;
  let bearer: string;

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const token = (query: string, authorization = basic(sim.clientId, sim.clientSecret), body?: string) =>
    http(`${sim.tokenUrl}?${query}`, {
      method: 'POST',
      headers: { authorization, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
  const get = (path: string, auth = bearer) => http(`${sim.apiBaseUrl}${path}`, { headers: { authorization: `Bearer ${auth}` } });

  beforeAll(async () => {
    dataDir = dirs.make();
    sim = await startZoomSimulator({ dataDir, world });
    bearer = (await token(`grant_type=account_credentials&account_id=${sim.accountId}`)).body.access_token;
  });
  afterAll(async () => {
    await sim.close();
    dirs.removeAll();
  });

  it('issues Server-to-Server OAuth tokens for the account, with the client in HTTP Basic', async () => {
    const ok = await token(`grant_type=account_credentials&account_id=${sim.accountId}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    expect(typeof ok.body.access_token).toBe('string');
    expect(ok.body.scope).toContain('webinar:read:admin');
    // the same fields in a form body are accepted too
    const form = await token('', basic(sim.clientId, sim.clientSecret), `grant_type=account_credentials&account_id=${sim.accountId}`);
    expect(form.status).toBe(200);

    expect((await token(`grant_type=account_credentials&account_id=${sim.accountId}`, basic(sim.clientId, 'wrong'))).body).toEqual({
      reason: 'Invalid client_id or client_secret', error: 'invalid_client',
    });
    expect((await token('grant_type=account_credentials&account_id=other')).status).toBe(400);
    const grant = await token(`grant_type=client_credentials&account_id=${sim.accountId}`);
    expect([grant.status, grant.body.error]).toEqual([400, 'unsupported_grant_type']);
  });

  it('refuses calls without a valid token with 401 and code 124; a revocation ends every earlier token', async () => {
    const none = await http(`${sim.apiBaseUrl}/users/me/webinars`);
    expect([none.status, none.body]).toEqual([401, { code: 124, message: 'Invalid access token.' }]);
    expect((await get('/users/me/webinars', `${bearer}x`)).status).toBe(401);

    const own = (await token(`grant_type=account_credentials&account_id=${sim.accountId}`)).body.access_token as string;
    expect((await get('/users/me/webinars', own)).status).toBe(200);
    expect((await http(`${sim.baseUrl}/__sim/tokens/revoke`, { method: 'POST' })).status).toBe(204);
    expect((await get('/users/me/webinars', own)).body).toEqual({ code: 124, message: 'Invalid access token.' });
    bearer = (await token(`grant_type=account_credentials&account_id=${sim.accountId}`)).body.access_token;
  });

  it("lists a host's webinars page by page with next_page_token", async () => {
    const hosted = world.zoom.webinars.filter((w) => w.host_id === host1!.id);
    const first = await get(`/users/${encodeURIComponent(host1!.email)}/webinars?page_size=4`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ page_size: 4, total_records: hosted.length });
    expect(first.body.webinars).toHaveLength(4);
    expect(first.body.next_page_token).not.toBe('');
    const ids = first.body.webinars.map((w: any) => w.id);
    let next = first.body.next_page_token;
    while (next) {
      const page = await get(`/users/${host1!.id}/webinars?page_size=4&next_page_token=${encodeURIComponent(next)}`);
      ids.push(...page.body.webinars.map((w: any) => w.id));
      next = page.body.next_page_token;
    }
    expect(ids.sort()).toEqual(hosted.map((w) => w.id).sort());
    expect(first.body.webinars[0]).toEqual(expect.objectContaining({ uuid: expect.any(String), id: expect.any(Number), host_id: host1!.id, topic: expect.any(String), type: expect.any(Number), start_time: expect.any(String), duration: expect.any(Number), timezone: 'Europe/Stockholm', join_url: expect.any(String) }));

    expect((await get('/users/me/webinars?page_size=300')).body.total_records).toBe(hosted.length);
    const upcoming = await get(`/users/${host2!.id}/webinars?type=upcoming&page_size=300`);
    expect(upcoming.body.webinars.every((w: any) => Date.parse(w.start_time) > Date.now() - 86_400_000)).toBe(true);
    expect(upcoming.body.total_records).toBeLessThan(world.zoom.webinars.filter((w) => w.host_id === host2!.id).length);
    expect((await get('/users/nobody@nowhere.example/webinars')).body).toEqual({ code: 1001, message: 'User does not exist: nobody@nowhere.example.' });
  });

  it("lists a webinar's registrants by status, at most 300 a page", async () => {
    const all = world.zoom.registrants[String(summit.id)]!;
    const approved = all.filter((r) => r.status === 'approved');
    expect(approved.length).toBeGreaterThan(300);
    const first = await get(`/webinars/${summit.id}/registrants?page_size=1000`);
    expect(first.body).toMatchObject({ page_size: 300, total_records: approved.length, page_number: 1, page_count: 2 });
    expect(first.body.registrants).toHaveLength(300);
    const second = await get(`/webinars/${summit.id}/registrants?page_size=300&next_page_token=${first.body.next_page_token}`);
    expect(second.body.registrants).toHaveLength(approved.length - 300);
    expect(second.body.next_page_token).toBe('');
    expect(first.body.registrants[0]).toEqual(expect.objectContaining({
      id: expect.any(String), email: expect.any(String), first_name: expect.any(String), last_name: expect.any(String), address: expect.any(String),
      city: expect.any(String), country: expect.any(String), zip: expect.any(String), state: expect.any(String), phone: expect.any(String),
      industry: expect.any(String), org: expect.any(String), job_title: expect.any(String), comments: expect.any(String),
      custom_questions: expect.any(Array), status: 'approved', create_time: expect.any(String), join_url: expect.any(String),
    }));

    const pending = await get(`/webinars/${summit.id}/registrants?status=pending&page_size=300`);
    expect(pending.body.registrants.length).toBe(all.filter((r) => r.status === 'pending').length);
    expect(pending.body.registrants.every((r: any) => r.status === 'pending')).toBe(true);
    // a token is for its own list only, and must be one the simulator made
    expect((await get(`/webinars/${summit.id}/registrants?status=pending&next_page_token=${first.body.next_page_token}`)).body).toEqual({
      code: 300, message: 'The next page token is invalid or expired.',
    });
    expect((await get(`/webinars/${summit.id}/registrants?status=attended`)).status).toBe(400);
    expect((await get('/webinars/81234567890/registrants')).body).toEqual({ code: 3001, message: 'Webinar does not exist: 81234567890.' });
  });

  it('reads and deletes one registrant (204), then answers 404; the deletion survives a restart', async () => {
    const [annas] = anna.ids.zoomRegistrantIds!;
    const at = (await http(`${sim.baseUrl}/__sim/state/registrants?email=${encodeURIComponent(anna.email)}`)).body as any[];
    expect(at.map((r) => r.registrant.id).sort()).toEqual([...anna.ids.zoomRegistrantIds!].sort());
    const webinarId = at.find((r) => r.registrant.id === annas).webinar_id;
    expect((await get(`/webinars/${webinarId}/registrants/${annas}`)).body.id).toBe(annas);
    const del = await http(`${sim.apiBaseUrl}/webinars/${webinarId}/registrants/${annas}`, { method: 'DELETE', headers: { authorization: `Bearer ${bearer}` } });
    expect([del.status, del.text]).toEqual([204, '']);
    const again = await http(`${sim.apiBaseUrl}/webinars/${webinarId}/registrants/${annas}`, { method: 'DELETE', headers: { authorization: `Bearer ${bearer}` } });
    expect([again.status, again.body.code]).toEqual([404, 3027]);

    await sim.close();
    sim = await startZoomSimulator({ dataDir, world });
    bearer = (await token(`grant_type=account_credentials&account_id=${sim.accountId}`)).body.access_token;
    const left = (await http(`${sim.baseUrl}/__sim/state/registrants?email=${encodeURIComponent(anna.email)}`)).body as any[];
    expect(left.map((r) => r.registrant.id)).not.toContain(annas);
    expect(left).toHaveLength(anna.ids.zoomRegistrantIds!.length - 1);
  });

  it('answers faults in Zoom’s envelope', async () => {
    await injectFault(sim.baseUrl, { pathPattern: '^/v2/users/', status: 503, count: 1 });
    const res = await get('/users/me/webinars');
    expect([res.status, res.body]).toEqual([503, { code: 503, message: 'Service Unavailable' }]);
    expect((await get('/users/me/webinars')).status).toBe(200);
  });
});

describe('Zoom simulator rate limits', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  it('answers 429 per category with X-RateLimit-Category, X-RateLimit-Type and Retry-After', async () => {
    const sim = await startZoomSimulator({ dataDir: dirs.make(), world, rateLimit: { limit: 2, windowMs: 60_000 }, lightRateLimit: { limit: 100, windowMs: 60_000 } });
    try {
      const auth = `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64')}`;
      const bearer = (await http(`${sim.tokenUrl}?grant_type=account_credentials&account_id=${sim.accountId}`, { method: 'POST', headers: { authorization: auth } })).body.access_token;
      const get = (path: string) => http(`${sim.apiBaseUrl}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
      const ok = await get('/users/me/webinars');
      expect(ok.headers.get('x-ratelimit-category')).toBe('Medium');
      await get(`/webinars/${summit.id}/registrants`);
      const limited = await get('/users/me/webinars');
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ code: 429, message: 'You have reached the maximum per-second rate limit for this API. Try again later.' });
      expect(limited.headers.get('x-ratelimit-category')).toBe('Medium');
      expect(limited.headers.get('x-ratelimit-type')).toBe('QPS');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // one registrant is a Light call, counted apart
      const one = world.zoom.registrants[String(summit.id)]![0]!;
      const light = await get(`/webinars/${summit.id}/registrants/${one.id}`);
      expect([light.status, light.headers.get('x-ratelimit-category')]).toEqual([200, 'Light']);
      expect((await http(`${sim.baseUrl}/__sim/state/stats`)).body).toMatchObject({ tokensIssued: 1, throttled: 1, apiCalls: 3 });
    } finally {
      await sim.close();
    }
  });
});
