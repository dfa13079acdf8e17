import { startHogiaSimulator, type HogiaSimulator } from '../../simulators/hogia';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { http, injectFault, jsonBody, TempDirs, TEST_USERS } from './helpers';

const world = buildWorld({ users: TEST_USERS });
const samples = new Map(sampleSubjects(world).map((s) => [s.ref, s]));
const SOFIA = samples.get('app-4')!;
const ANNA = samples.get('app-1')!;

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

async function token(sim: HogiaSimulator): Promise<string> {
  const res = await http(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret }),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status}`);
  return res.body.access_token;
}

function api(sim: HogiaSimulator, bearer: string) {
  return (pathAndQuery: string, init: RequestInit = {}) => {
    const url = new URL(`${sim.apiBaseUrl}${pathAndQuery}`);
    if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', sim.apiVersion);
    return http(url.toString(), { ...init, headers: { authorization: `Bearer ${bearer}`, ...(init.headers as Record<string, string>) } });
  };
}

const expectProblem = (body: any, status: number) => {
  expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status });
  expect(body.traceId).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
};

describe('Hogia simulator', () => {
  let sim: HogiaSimulator;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    sim = await startHogiaSimulator({ dataDir: dirs.make(), world });
    call = api(sim, await token(sim));
  });
  afterAll(() => sim.close());

  it('issues OAuth2 client-credentials tokens and refuses wrong clients', async () => {
    const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      http(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });
    const ok = await form({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'hogia.api' });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const basic = Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64');
    expect((await form({ grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` })).status).toBe(200);
    expect((await form({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: 'wrong' })).body).toEqual({ error: 'invalid_client' });
    expect((await form({ grant_type: 'password', client_id: sim.clientId, client_secret: sim.clientSecret })).body).toEqual({ error: 'unsupported_grant_type' });
    const json = await http(sim.tokenUrl, jsonBody({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret }));
    expect(json.status).toBe(400);
  });

  it('answers 401 ProblemDetails without a valid Bearer token', async () => {
    const [header, , signature] = (await token(sim)).split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ client_id: sim.clientId, exp: 4102444800 })).toString('base64url')}.${signature}`;
    const variants: Record<string, string>[] = [{}, { authorization: 'Bearer nonsense' }, { authorization: `Bearer ${forged}` }, { authorization: sim.clientSecret }];
    for (const headers of variants) {
      const res = await http(`${sim.apiBaseUrl}/contacts?api-version=${sim.apiVersion}`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expectProblem(res.body, 401);
      expect(res.body.title).toBe('Unauthorized');
    }
  });

  it('requires ?api-version and refuses another organisation', async () => {
    const missing = await http(`${sim.apiBaseUrl}/contacts`, { headers: { authorization: `Bearer ${await token(sim)}` } });
    expect(missing.status).toBe(400);
    expectProblem(missing.body, 400);
    expect(missing.body.title).toBe('Unspecified API version');
    const invalid = await call('/contacts?api-version=latest');
    expect(invalid.status).toBe(400);
    expect(invalid.body.title).toBe('Invalid API version');
    const other = await http(`${sim.baseUrl}/00000000-0000-4000-8000-000000000000/contacts?api-version=${sim.apiVersion}`, { headers: { authorization: `Bearer ${await token(sim)}` } });
    expect(other.status).toBe(403);
    expectProblem(other.body, 403);
  });

  it('finds contacts by number and by email (exact, case-insensitive)', async () => {
    const byNumber = await call(`/contacts?number=${SOFIA.ids.customerNumber}`);
    expect(byNumber.status).toBe(200);
    expect(byNumber.body).toMatchObject({ page: 1, pageSize: 50, totalCount: 1, totalPages: 1 });
    const sofia = byNumber.body.items[0];
    expect(sofia).toMatchObject({ id: SOFIA.ids.hogiaContactId, givenName: 'Sofia', surName: 'Berg', companyName: null, customer: { isActive: true } });
    expect(sofia.contactChannels).toEqual([{ type: 'Email', value: 'sofia.berg@fabrikam.example' }, { type: 'Mobile', value: '+46761234504' }]);
    expect(Object.keys(sofia).sort()).toEqual(['addresses', 'companyName', 'contactChannels', 'createdDate', 'customer', 'givenName', 'id', 'identificationNumber', 'number', 'surName', 'updatedDate', 'version']);

    const byEmail = await call(`/contacts?email=${encodeURIComponent('Sofia.Berg@Fabrikam.example')}`);
    expect(byEmail.body.items.map((c: { id: string }) => c.id)).toEqual([SOFIA.ids.hogiaContactId]);
    const anna = await call(`/contacts?email=${encodeURIComponent('ANNA.LINDQVIST@northwind.example')}`);
    expect(anna.body.items).toHaveLength(1);
    expect(anna.body.items[0]).toMatchObject({ number: '3001', givenName: 'Anna', companyName: 'Northwind Traders AB', customer: null });
    expect((await call('/contacts?email=anna.lindqvist@fourthcoffee.example')).body.items).toEqual([]);

    const one = await call(`/contacts/${SOFIA.ids.hogiaContactId}`);
    expect(one.body).toEqual(sofia);
    const missing = await call('/contacts/3f2504e0-4f89-41d3-9a0c-0305e82c3301');
    expect(missing.status).toBe(404);
    expectProblem(missing.body, 404);
  });

  it('pages with page and pageSize (at most 500), ProblemDetails for bad input', async () => {
    const total = world.hogia.contacts.length;
    const ids: string[] = [];
    for (let page = 1; page <= Math.ceil(total / 10); page++) {
      const res = await call(`/contacts?page=${page}&pageSize=10`);
      expect(res.body).toMatchObject({ page, pageSize: 10, totalCount: total, totalPages: Math.ceil(total / 10) });
      ids.push(...res.body.items.map((c: { id: string }) => c.id));
    }
    expect(new Set(ids).size).toBe(total);
    expect((await call(`/contacts?page=${Math.ceil(total / 10) + 1}&pageSize=10`)).body.items).toEqual([]);
    expect((await call('/contacts?pageSize=500')).status).toBe(200);
    for (const [query, field] of [['pageSize=501', 'pageSize'], ['pageSize=0', 'pageSize'], ['page=0', 'page'], ['page=x', 'page']]) {
      const res = await call(`/contacts?${query}`);
      expect(res.status).toBe(400);
      expectProblem(res.body, 400);
      expect(res.body.title).toBe('One or more validation errors occurred.');
      expect(Object.keys(res.body.errors)).toEqual([field]);
    }
  });

  it('lists invoices per customer contact, and a company invoice names the contact person only in its reference', async () => {
    const own = await call(`/customerinvoices?contactId=${SOFIA.ids.hogiaContactId}`);
    expect(own.status).toBe(200);
    expect(own.body.totalCount).toBe(2);
    for (const invoice of own.body.items) {
      expect(invoice.invoiceHeader).toMatchObject({ customerId: SOFIA.ids.hogiaContactId, customerName: 'Sofia Berg', customerNumber: SOFIA.ids.customerNumber });
      expect(invoice.invoiceHeader.fiscalYear).toBe(Number(invoice.invoiceHeader.invoiceDate.slice(0, 4)));
      expect(Object.keys(invoice).sort()).toEqual(['amountLeftToPay', 'attachments', 'customerInvoiceEvents', 'customerInvoiceState', 'grossAmount', 'id', 'invoiceHeader', 'invoiceLines']);
    }
    expect((await call(`/customerinvoices?contactId=${ANNA.ids.hogiaContactId}`)).body.items).toEqual([]);

    const named = await call('/customerinvoices?yourReference=anna%20lindqvist&pageSize=500');
    expect(named.body.totalCount).toBeGreaterThan(5);
    for (const invoice of named.body.items) {
      expect(invoice.invoiceHeader).toMatchObject({ customerName: 'Northwind Traders AB', yourReference: 'Anna Lindqvist' });
      expect(JSON.stringify(invoice)).not.toContain('anna.lindqvist@');
    }
    const byId = await call(`/customerinvoices/${named.body.items[0].id}`);
    expect(byId.body).toEqual(named.body.items[0]);
    const missing = await call('/customerinvoices/3f2504e0-4f89-41d3-9a0c-0305e82c3301');
    expect(missing.status).toBe(404);
    expectProblem(missing.body, 404);
    expect((await call('/customerinvoices?pageSize=501')).status).toBe(400);
  });

  it('updates a contact with optimistic concurrency (PATCH clears channels, PUT replaces)', async () => {
    const id = ANNA.ids.hogiaContactId!;
    const before = (await call(`/contacts/${id}`)).body;
    const patch = (body: unknown) => call(`/contacts/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify(body) });

    const noVersion = await patch({ contactChannels: [] });
    expect(noVersion.status).toBe(400);
    expect(Object.keys(noVersion.body.errors)).toEqual(['version']);
    const stale = await patch({ version: before.version - 1, contactChannels: [] });
    expect(stale.status).toBe(409);
    expectProblem(stale.body, 409);

    const cleared = await patch({ version: before.version, contactChannels: [] });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ id, givenName: 'Anna', contactChannels: [], version: before.version + 1 });
    expect(cleared.body.updatedDate > before.updatedDate).toBe(true);
    expect((await call(`/contacts?email=${encodeURIComponent('anna.lindqvist@northwind.example')}`)).body.items).toEqual([]);

    const invalid = await call(`/contacts/${id}`, jsonBody({ ...cleared.body, contactChannels: [{ type: 'Fax', value: '1' }] }, 'PUT'));
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body.errors)).toEqual(['contactChannels[0].type']);
    const replaced = await call(`/contacts/${id}`, jsonBody({ ...cleared.body, givenName: 'A.', contactChannels: [{ type: 'Phone', value: '+4681234567' }] }, 'PUT'));
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ givenName: 'A.', surName: 'Lindqvist', contactChannels: [{ type: 'Phone', value: '+4681234567' }], version: before.version + 2 });
  });
});

describe('Hogia simulator: tokens, rate limits, faults and restarts', () => {
  it('refuses an expired token', async () => {
    const sim = await startHogiaSimulator({ dataDir: dirs.make(), world, tokenLifetimeS: 1 });
    try {
      const call = api(sim, await token(sim));
      expect((await call('/contacts?pageSize=1')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      const expired = await call('/contacts?pageSize=1');
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toMatch(/invalid_token/);
    } finally {
      await sim.close();
    }
  });

  it('answers 429 ProblemDetails with Retry-After over the limit, and injected faults', async () => {
    const sim = await startHogiaSimulator({ dataDir: dirs.make(), world, rateLimit: { limit: 6, windowMs: 60_000 } });
    try {
      const call = api(sim, await token(sim));
      await injectFault(sim.baseUrl, { pathPattern: '/contacts$', status: 503, count: 2 });
      for (let i = 0; i < 2; i++) {
        const failed = await call('/contacts');
        expect(failed.status).toBe(503);
        expectProblem(failed.body, 503);
        expect(failed.body.title).toBe('Service Unavailable');
      }
      await injectFault(sim.baseUrl, { pathPattern: '/contacts$', status: 429, count: 1, retryAfterS: 4 });
      const faulted = await call('/contacts');
      expect(faulted.status).toBe(429);
      expect(faulted.headers.get('retry-after')).toBe('4');
      expectProblem(faulted.body, 429);
      await injectFault(sim.baseUrl, { pathPattern: '/contacts$', latencyMs: 250, count: 1 });
      const slow = await call('/contacts?pageSize=1');
      expect(slow.status).toBe(200);
      expect(slow.ms).toBeGreaterThanOrEqual(240);

      // The token request and the slow call used 2 of 6.
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call('/contacts?pageSize=1')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      const limited = await call('/contacts?pageSize=1');
      expect(limited.status).toBe(429);
      expectProblem(limited.body, 429);
      expect(limited.body.title).toBe('Too Many Requests');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it('keeps updates, credentials and issued tokens across a restart', async () => {
    const dataDir = dirs.make();
    let sim = await startHogiaSimulator({ dataDir, world });
    const bearer = await token(sim);
    const before = { clientSecret: sim.clientSecret, organizationGuid: sim.organizationGuid };
    const id = SOFIA.ids.hogiaContactId!;
    const current = (await api(sim, bearer)(`/contacts/${id}`)).body;
    const patched = await api(sim, bearer)(`/contacts/${id}`, jsonBody({ version: current.version, contactChannels: [] }, 'PATCH'));
    expect(patched.status).toBe(200);
    await sim.close();

    sim = await startHogiaSimulator({ dataDir, users: TEST_USERS });
    try {
      expect({ clientSecret: sim.clientSecret, organizationGuid: sim.organizationGuid }).toEqual(before);
      const after = await api(sim, bearer)(`/contacts/${id}`);
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ contactChannels: [], version: current.version + 1 });
    } finally {
      await sim.close();
    }
  });
});
