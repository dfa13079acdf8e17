import { startSendGridSimulator, type SendGridSimulator } from '../../simulators/sendgrid';
import { buildWorld } from '../../simulators/world';
import { http, injectFault, jsonBody, TempDirs, TEST_USERS } from './helpers';
import { expectSpecResponse } from './openapi';

const world = buildWorld({ users: TEST_USERS });
const ANNA = 'anna.lindqvist@northwind.example';
const ERIK = 'erik_nilsson@contoso.example';
const ERIK_X = 'erikxnilsson@contoso.example';
const MARIA = 'maria.holm@northwind.example';
const AUTH_REQUIRED = { errors: [{ field: null, message: 'authorization required' }] };
const TOO_MANY = { errors: [{ field: null, message: 'too many requests' }] };

const messagesQuery = (query: string, limit?: number | string) =>
  `/v3/messages?query=${encodeURIComponent(query)}${limit === undefined ? '' : `&limit=${limit}`}`;

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

describe('SendGrid simulator: endpoints against the OpenAPI specs', () => {
  let sim: SendGridSimulator;
  let auth: Record<string, string>;
  const get = (p: string) => http(`${sim.baseUrl}${p}`, { headers: auth });

  beforeAll(async () => {
    sim = await startSendGridSimulator({ dataDir: dirs.make(), world });
    auth = { authorization: `Bearer ${sim.key}` };
  });
  afterAll(() => sim.close());

  it('finds messages by exact to_email, case-insensitively, newest first', async () => {
    const expected = world.sendgrid.messages.filter((m) => m.to_email === ANNA).length;
    expect(expected).toBeGreaterThan(10);
    const res = await get(messagesQuery(`to_email="${ANNA.toUpperCase()}"`, 1000));
    expect(res.status).toBe(200);
    expectSpecResponse('email_activity.json', 'get', '/v3/messages', 200, res.body);
    const messages = res.body.messages as { to_email: string; last_event_time: string }[];
    expect(messages).toHaveLength(expected);
    expect(messages.every((m) => m.to_email === ANNA)).toBe(true);
    const times = messages.map((m) => m.last_event_time);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('serves every generated message, with all its event kinds, as the spec documents', async () => {
    const all = await get(messagesQuery('status IN ("processed","delivered","not_delivered")', 1000));
    expectSpecResponse('email_activity.json', 'get', '/v3/messages', 200, all.body);
    expect(all.body.messages).toHaveLength(Math.min(1000, world.sendgrid.messages.length));
    const kinds = new Set<string>();
    for (const m of world.sendgrid.messages) {
      const res = await get(`/v3/messages/${encodeURIComponent(m.msg_id)}`);
      expect(res.status).toBe(200);
      expectSpecResponse('email_activity.json', 'get', '/v3/messages/{msg_id}', 200, res.body);
      for (const e of res.body.events) kinds.add(e.event_name);
    }
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['bounced', 'clicked', 'delivered', 'dropped', 'opened', 'processed', 'unsubscribe']));
  });

  it('uses a validator that rejects what the spec does not allow', () => {
    expect(() => expectSpecResponse('email_activity.json', 'get', '/v3/messages', 200, { messages: [{ msg_id: 1 }] })).toThrow(/does not match/);
    expect(() => expectSpecResponse('email_activity.json', 'get', '/v3/messages/{msg_id}', 200, { events: [] })).toThrow(/does not match/);
    expect(() => expectSpecResponse('suppressions.json', 'get', '/v3/suppression/bounces/{email}', 200, [{ email: 'not an email' }])).toThrow(/does not match/);
  });

  it('keeps look-alike addresses apart', async () => {
    const erik = await get(messagesQuery(`to_email="${ERIK}"`, 100));
    const erikX = await get(messagesQuery(`to_email="${ERIK_X}"`, 100));
    expect(erik.body.messages.length).toBeGreaterThan(0);
    expect(erikX.body.messages.length).toBeGreaterThan(0);
    expect(erik.body.messages.every((m: { to_email: string }) => m.to_email === ERIK)).toBe(true);
    expect(erikX.body.messages.every((m: { to_email: string }) => m.to_email === ERIK_X)).toBe(true);
  });

  it('applies limit: default 10, at most 1000, otherwise a 400 envelope', async () => {
    const byDefault = await get(messagesQuery('status="delivered"'));
    expect(byDefault.body.messages).toHaveLength(10);
    const many = await get(messagesQuery('status="delivered"', 1000));
    expect(many.body.messages.length).toBeGreaterThan(10);
    expect(many.body.messages.length).toBeLessThanOrEqual(1000);
    for (const bad of [0, 1001, 'ten', '2.5']) {
      const res = await get(messagesQuery('status="delivered"', bad));
      expect(res.status).toBe(400);
      expectSpecResponse('email_activity.json', 'get', '/v3/messages', 400, res.body);
      expect(res.body.errors[0].field).toBe('limit');
    }
    const missing = await get('/v3/messages');
    expect(missing.status).toBe(400);
    expectSpecResponse('email_activity.json', 'get', '/v3/messages', 400, missing.body);
  });

  it('parses the query language and rejects unknown fields with the spec message', async () => {
    const bad = await get(messagesQuery('bad_field="x"'));
    expect(bad.status).toBe(400);
    expectSpecResponse('email_activity.json', 'get', '/v3/messages', 400, bad.body);
    expect(bad.body.errors[0].message).toBe("invalid syntax: 'bad_field' is not a known field");
    expect((await get(messagesQuery('to_email="unterminated'))).status).toBe(400);

    const combined = await get(messagesQuery(`to_email IN ("${ERIK}","${ERIK_X}") AND status="not_delivered"`, 100));
    expect(combined.status).toBe(200);
    expect(combined.body.messages.length).toBeGreaterThan(0);
    expect(combined.body.messages.every((m: { to_email: string; status: string }) => [ERIK, ERIK_X].includes(m.to_email) && m.status === 'not_delivered')).toBe(true);
    const like = await get(messagesQuery('to_email LIKE "%@contoso.example" AND subject LIKE "%password%"', 50));
    expect(like.body.messages.every((m: { to_email: string; subject: string }) => m.to_email.endsWith('@contoso.example') && /password/i.test(m.subject))).toBe(true);
    const window = await get(messagesQuery('last_event_time BETWEEN TIMESTAMP "2026-10-26T00:00:00Z" AND TIMESTAMP "2026-11-25T00:00:00Z"', 5));
    expect(window.body.messages).toHaveLength(5);
  });

  it('returns a message with its events, and the spec 404 for an unknown id', async () => {
    const list = await get(messagesQuery(`to_email="${MARIA}"`, 10));
    const bounced = list.body.messages.find((m: { status: string }) => m.status === 'not_delivered');
    expect(bounced).toBeDefined();
    const res = await get(`/v3/messages/${encodeURIComponent(bounced.msg_id)}`);
    expect(res.status).toBe(200);
    expectSpecResponse('email_activity.json', 'get', '/v3/messages/{msg_id}', 200, res.body);
    expect(res.body.events.map((e: { event_name: string }) => e.event_name)).toContain('bounced');
    expect(res.body.events.find((e: { event_name: string }) => e.event_name === 'bounced').bounce_type).toBe('hard');

    const missing = await get('/v3/messages/no-such-message');
    expect(missing.status).toBe(404);
    expectSpecResponse('email_activity.json', 'get', '/v3/messages/{msg_id}', 404, missing.body);
    expect(missing.body).toEqual({ errors: [{ message: 'not found', field: 'message_id' }] });
  });

  it('reads, adds and removes global unsubscribes', async () => {
    const erik = await get(`/v3/asm/suppressions/global/${encodeURIComponent(ERIK.toUpperCase())}`);
    expect(erik.status).toBe(200);
    expectSpecResponse('suppressions.json', 'get', '/v3/asm/suppressions/global/{email}', 200, erik.body);
    expect(erik.body).toEqual({ recipient_email: ERIK });
    // Not suppressed: the spec's description says "an empty JSON object {}" (its schema's
    // `required` contradicts that), so the exact body is asserted here.
    const anna = await get(`/v3/asm/suppressions/global/${ANNA}`);
    expect(anna.body).toEqual({});

    const added = await http(`${sim.baseUrl}/v3/asm/suppressions/global`, jsonBody({ recipient_emails: ['Anna.Lindqvist@northwind.example'] }, 'POST', auth));
    expect(added.status).toBe(201);
    expectSpecResponse('suppressions.json', 'post', '/v3/asm/suppressions/global', 201, added.body);
    expect((await get(`/v3/asm/suppressions/global/${ANNA}`)).body).toEqual({ recipient_email: ANNA });

    const removed = await http(`${sim.baseUrl}/v3/asm/suppressions/global/${ANNA}`, { method: 'DELETE', headers: auth });
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    expect((await get(`/v3/asm/suppressions/global/${ANNA}`)).body).toEqual({});

    const invalid = await http(`${sim.baseUrl}/v3/asm/suppressions/global`, jsonBody({ recipient_emails: ['not an address'] }, 'POST', auth));
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].field).toBe('recipient_emails');
  });

  it('lists the groups an address is suppressed from', async () => {
    const res = await get(`/v3/asm/suppressions/${ERIK}`);
    expect(res.status).toBe(200);
    expectSpecResponse('suppressions.json', 'get', '/v3/asm/suppressions/{email}', 200, res.body);
    const suppressed = res.body.suppressions.filter((g: { suppressed: boolean }) => g.suppressed).map((g: { name: string }) => g.name);
    expect(suppressed).toEqual(['Newsletter']);
    const anna = await get(`/v3/asm/suppressions/${ANNA}`);
    expect(anna.body.suppressions.some((g: { suppressed: boolean }) => g.suppressed)).toBe(false);
  });

  it('reads and deletes bounces, blocks, spam reports and invalid emails by address', async () => {
    const maria = await get(`/v3/suppression/bounces/${MARIA.toUpperCase()}`);
    expect(maria.status).toBe(200);
    expectSpecResponse('suppressions.json', 'get', '/v3/suppression/bounces/{email}', 200, maria.body);
    expect(maria.body).toHaveLength(1);
    expect(maria.body[0]).toMatchObject({ email: MARIA, status: '5.1.1' });
    for (const kind of ['bounces', 'blocks', 'spam_reports', 'invalid_emails']) {
      const res = await get(`/v3/suppression/${kind}/${ANNA}`);
      expect(res.status).toBe(200);
      expectSpecResponse('suppressions.json', 'get', `/v3/suppression/${kind}/{email}`, 200, res.body);
      expect(res.body).toEqual([]);
    }
    const someBlock = world.sendgrid.blocks[0] ?? world.sendgrid.spamReports[0];
    if (someBlock) {
      const kind = world.sendgrid.blocks[0] ? 'blocks' : 'spam_reports';
      const res = await get(`/v3/suppression/${kind}/${someBlock.email}`);
      expectSpecResponse('suppressions.json', 'get', `/v3/suppression/${kind}/{email}`, 200, res.body);
      expect(res.body).toHaveLength(1);
    }
    const deleted = await http(`${sim.baseUrl}/v3/suppression/bounces/${MARIA}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(204);
    expect((await get(`/v3/suppression/bounces/${MARIA}`)).body).toEqual([]);
    expect((await get('/v3/suppression/not_a_list/x@y.example')).status).toBe(404);
  });

  it('searches, reads and deletes marketing contacts', async () => {
    const search = await http(`${sim.baseUrl}/v3/marketing/contacts/search/emails`, jsonBody({ emails: [ANNA.toUpperCase(), 'nobody@nowhere.example'] }, 'POST', auth));
    expect(search.status).toBe(200);
    expectSpecResponse('mc_contacts.json', 'post', '/v3/marketing/contacts/search/emails', 200, search.body);
    const contact = search.body.result[ANNA].contact;
    expect(contact).toMatchObject({ email: ANNA, first_name: 'Anna', last_name: 'Lindqvist' });
    expect(search.body.result['nobody@nowhere.example']).toEqual({ error: 'contact not found' });

    const one = await get(`/v3/marketing/contacts/${contact.id}`);
    expect(one.status).toBe(200);
    expectSpecResponse('mc_contacts.json', 'get', '/v3/marketing/contacts/{id}', 200, one.body);
    expect(one.body._metadata.self).toBe(`${sim.baseUrl}/v3/marketing/contacts/${contact.id}`);

    const none = await http(`${sim.baseUrl}/v3/marketing/contacts/search/emails`, jsonBody({ emails: ['nobody@nowhere.example'] }, 'POST', auth));
    expect(none.status).toBe(404);
    expectSpecResponse('mc_contacts.json', 'post', '/v3/marketing/contacts/search/emails', 404, none.body);
    const invalid = await http(`${sim.baseUrl}/v3/marketing/contacts/search/emails`, jsonBody({ emails: 'x' }, 'POST', auth));
    expect(invalid.status).toBe(400);
    expectSpecResponse('mc_contacts.json', 'post', '/v3/marketing/contacts/search/emails', 400, invalid.body);

    const deleted = await http(`${sim.baseUrl}/v3/marketing/contacts?ids=${contact.id}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(202);
    expectSpecResponse('mc_contacts.json', 'delete', '/v3/marketing/contacts', 202, deleted.body);
    expect(typeof deleted.body.job_id).toBe('string');
    expect((await get(`/v3/marketing/contacts/${contact.id}`)).status).toBe(404);
    const gone = await http(`${sim.baseUrl}/v3/marketing/contacts/search/emails`, jsonBody({ emails: [ANNA] }, 'POST', auth));
    expect(gone.status).toBe(404);
    const jobs = await http(`${sim.baseUrl}/__sim/state/contact-deletions`);
    expect(jobs.body).toEqual([expect.objectContaining({ job_id: deleted.body.job_id, ids: [contact.id], deleted: 1 })]);

    const neither = await http(`${sim.baseUrl}/v3/marketing/contacts`, { method: 'DELETE', headers: auth });
    expect(neither.status).toBe(400);
    expectSpecResponse('mc_contacts.json', 'delete', '/v3/marketing/contacts', 400, neither.body);
  });

  it('accepts an erasure job, records the addresses and erases their email activity', async () => {
    const before = await get(messagesQuery(`to_email="${ERIK_X}"`, 100));
    expect(before.body.messages.length).toBeGreaterThan(0);
    const res = await http(`${sim.baseUrl}/v3/recipients/erasejob`, jsonBody({ email_addresses: [ERIK_X.toUpperCase(), ERIK_X] }, 'POST', auth));
    expect(res.status).toBe(202);
    expectSpecResponse('recipients_data_erasure.json', 'post', '/v3/recipients/erasejob', 202, res.body);
    const jobs = await http(`${sim.baseUrl}/__sim/state/erasejobs`);
    expect(jobs.body).toEqual([expect.objectContaining({ job_id: res.body.job_id, email_addresses: [ERIK_X], messages_erased: before.body.messages.length })]);
    expect((await get(messagesQuery(`to_email="${ERIK_X}"`, 100))).body.messages).toEqual([]);
    expect((await get(messagesQuery(`to_email="${ERIK}"`, 100))).body.messages.length).toBeGreaterThan(0);
    // The objection stays honoured: suppressions are not erased.
    expect((await get(`/v3/asm/suppressions/global/${ERIK}`)).body).toEqual({ recipient_email: ERIK });

    for (const body of [{ email_addresses: [] }, { email_addresses: ['not-an-address'] }, {}]) {
      const bad = await http(`${sim.baseUrl}/v3/recipients/erasejob`, jsonBody(body, 'POST', auth));
      expect(bad.status).toBe(400);
      expectSpecResponse('recipients_data_erasure.json', 'post', '/v3/recipients/erasejob', 400, bad.body);
    }
  });

  it('answers 401 in the documented shape without a valid Bearer key', async () => {
    const variants: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: sim.key }, { authorization: `Basic ${sim.key}` }];
    for (const headers of variants) {
      const res = await http(`${sim.baseUrl}/v3/suppression/bounces/${MARIA}`, { method: 'DELETE', headers });
      expect(res.status).toBe(401);
      expectSpecResponse('suppressions.json', 'delete', '/v3/suppression/bounces/{email}', 401, res.body);
      expect(res.body).toEqual(AUTH_REQUIRED);
    }
    const messages = await http(`${sim.baseUrl}${messagesQuery(`to_email="${ANNA}"`)}`);
    expect(messages.status).toBe(401);
    expect(messages.body).toEqual(AUTH_REQUIRED);
    const contact = await http(`${sim.baseUrl}/v3/marketing/contacts/search/emails`, jsonBody({ emails: [ANNA] }));
    expect(contact.status).toBe(401);
    expectSpecResponse('mc_contacts.json', 'post', '/v3/marketing/contacts/search/emails', 401, contact.body);
    const erase = await http(`${sim.baseUrl}/v3/recipients/erasejob`, jsonBody({ email_addresses: [ANNA] }));
    expect(erase.status).toBe(401);
    expectSpecResponse('recipients_data_erasure.json', 'post', '/v3/recipients/erasejob', 401, erase.body);
    expect(erase.body).toEqual({ errors: [{ message: 'Failed to authenticate', field: '' }] });
  });

  it('sends X-RateLimit headers on every response', async () => {
    for (const res of [await get(messagesQuery(`to_email="${ANNA}"`)), await http(`${sim.baseUrl}/v3/messages`), await get('/v3/nothing-here')]) {
      expect(Number(res.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
      expect(res.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
  });
});

describe('SendGrid simulator: rate limits, faults and restarts', () => {
  it('answers the real 429 when over the configured limit', async () => {
    const sim = await startSendGridSimulator({ dataDir: dirs.make(), world, rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      const headers = { authorization: `Bearer ${sim.key}` };
      const url = `${sim.baseUrl}${messagesQuery(`to_email="${ANNA}"`)}`;
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const ok = await http(url, { headers });
        expect(ok.status).toBe(200);
        remaining.push(ok.headers.get('x-ratelimit-remaining')!);
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const limited = await http(url, { headers });
      expect(limited.status).toBe(429);
      expectSpecResponse('email_activity.json', 'get', '/v3/messages', 429, limited.body);
      expect(limited.body).toEqual(TOO_MANY);
      expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      const reset = Number(limited.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThan(Date.now() / 1000 + 50);
      expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it('limits erasure jobs separately, with Reset in seconds as that API documents', async () => {
    const sim = await startSendGridSimulator({ dataDir: dirs.make(), world, erasejobRateLimit: { limit: 2, windowMs: 60_000 } });
    try {
      const post = () => http(`${sim.baseUrl}/v3/recipients/erasejob`, jsonBody({ email_addresses: ['someone@nowhere.example'] }, 'POST', { authorization: `Bearer ${sim.key}` }));
      expect((await post()).status).toBe(202);
      expect((await post()).status).toBe(202);
      const limited = await post();
      expect(limited.status).toBe(429);
      const reset = Number(limited.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
      const other = await http(`${sim.baseUrl}${messagesQuery(`to_email="${ANNA}"`)}`, { headers: { authorization: `Bearer ${sim.key}` } });
      expect(other.status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('injects faults: a counted 503 burst, a 429 with Retry-After, latency', async () => {
    const sim = await startSendGridSimulator({ dataDir: dirs.make(), world });
    try {
      const headers = { authorization: `Bearer ${sim.key}` };
      const url = `${sim.baseUrl}${messagesQuery(`to_email="${ANNA}"`)}`;
      await injectFault(sim.baseUrl, { pathPattern: '^/v3/messages$', status: 503, count: 2 });
      for (let i = 0; i < 2; i++) {
        const failed = await http(url, { headers });
        expect(failed.status).toBe(503);
        expect(failed.body).toEqual({ errors: [{ field: null, message: 'service unavailable' }] });
      }
      expect((await http(url, { headers })).status).toBe(200);

      await injectFault(sim.baseUrl, { pathPattern: '^/v3/messages', status: 429, count: 1, retryAfterS: 2 });
      const limited = await http(url, { headers });
      expect(limited.status).toBe(429);
      expectSpecResponse('email_activity.json', 'get', '/v3/messages', 429, limited.body);
      expect(limited.body).toEqual(TOO_MANY);
      expect(limited.headers.get('retry-after')).toBe('2');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect((await http(url, { headers })).status).toBe(200);

      await injectFault(sim.baseUrl, { pathPattern: '^/v3/asm/', latencyMs: 300 });
      const slow = await http(`${sim.baseUrl}/v3/asm/suppressions/global/${ERIK}`, { headers });
      expect(slow.status).toBe(200);
      expect(slow.ms).toBeGreaterThanOrEqual(290);
      expect((await http(`${sim.baseUrl}/__sim/faults`)).body).toHaveLength(1);
      expect((await http(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' })).status).toBe(204);
      const fast = await http(`${sim.baseUrl}/v3/asm/suppressions/global/${ERIK}`, { headers });
      expect(fast.ms).toBeLessThan(290);

      const bad = await http(`${sim.baseUrl}/__sim/faults`, jsonBody({ pathPattern: '(' }));
      expect(bad.status).toBe(400);
    } finally {
      await sim.close();
    }
  });

  it('keeps what changed across a restart on the same data dir', async () => {
    const dataDir = dirs.make();
    let sim = await startSendGridSimulator({ dataDir, world });
    const key = sim.key;
    const headers = { authorization: `Bearer ${key}` };
    await http(`${sim.baseUrl}/v3/asm/suppressions/global`, jsonBody({ recipient_emails: [ANNA] }, 'POST', headers));
    const erased = await http(`${sim.baseUrl}/v3/recipients/erasejob`, jsonBody({ email_addresses: [MARIA] }, 'POST', headers));
    await sim.close();

    sim = await startSendGridSimulator({ dataDir, users: TEST_USERS });
    try {
      expect(sim.key).toBe(key);
      expect((await http(`${sim.baseUrl}/v3/asm/suppressions/global/${ANNA}`, { headers })).body).toEqual({ recipient_email: ANNA });
      expect((await http(`${sim.baseUrl}${messagesQuery(`to_email="${MARIA}"`)}`, { headers })).body.messages).toEqual([]);
      expect((await http(`${sim.baseUrl}/__sim/state/erasejobs`)).body.map((j: { job_id: string }) => j.job_id)).toEqual([erased.body.job_id]);
    } finally {
      await sim.close();
    }
  });
});
