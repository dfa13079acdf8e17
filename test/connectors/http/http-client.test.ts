import {
  CircuitOpenError,
  DeadlineError,
  HttpClient,
  HttpError,
  NetworkError,
  TimeoutError,
  markDeadline,
  withDeadline,
  type BreakerState,
  type HttpClientOptions,
} from '../../../src/connectors/http';
import { TestServer, capturingLogger, closedPort, json, wait } from './test-server';

let server: TestServer;

beforeEach(async () => {
  server = await new TestServer().start();
});
afterEach(async () => {
  await server.close();
});

/** Small waits so the suite stays fast; each test overrides what it exercises. */
function client(over: Partial<HttpClientOptions> = {}): HttpClient {
  return new HttpClient({
    system: 'sendgrid',
    baseUrl: server.url,
    timeoutMs: 2_000,
    retries: 3,
    backoff: { initialDelayMs: 5, maxDelayMs: 20 },
    breaker: { failureThreshold: 50, cooldownMs: 1_000 },
    ...over,
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('requests', () => {
  it('builds the URL from the template, params and query, sends JSON and parses the answer', async () => {
    server.handler = (req, res) => json(res, 200, { seen: req.url, body: JSON.parse(req.body), type: req.headers['content-type'] });
    const c = new HttpClient({ system: 'sendgrid', baseUrl: `${server.url}/prefix/`, headers: { authorization: 'Bearer k' } });
    const res = await c.request<{ seen: string; body: unknown; type: string }>({
      method: 'POST',
      path: '/v3/asm/suppressions/{email}',
      params: { email: 'a b@c.se' },
      query: { limit: 10, ids: ['x', 'y'], skip: undefined },
      json: { recipient_emails: ['a@c.se'] },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual({
      seen: '/prefix/v3/asm/suppressions/a%20b%40c.se?limit=10&ids=x&ids=y',
      body: { recipient_emails: ['a@c.se'] },
      type: 'application/json',
    });
    expect(server.requests[0].headers.authorization).toBe('Bearer k');
  });

  it('returns an expected 404 and an empty 204 as answers', async () => {
    server.handler = (req, res) => {
      if (req.url === '/gone') return json(res, 404, { errors: [{ message: 'not found' }] });
      res.writeHead(204).end();
    };
    const c = client();
    await expect(c.request({ method: 'GET', path: '/gone', expect: [200, 404] })).resolves.toMatchObject({ status: 404 });
    await expect(c.request({ method: 'DELETE', path: '/x' })).resolves.toEqual({ status: 204, headers: expect.any(Object), body: undefined });
  });

  it('rejects an unexpected 4xx at once with an HttpError whose body stays off the message and out of JSON', async () => {
    server.handler = (_req, res) => json(res, 400, { errors: [{ field: 'email', message: 'anna@example.com is invalid' }] });
    const e = await failure(client().request({ method: 'GET', path: '/v3/messages' }));
    expect(e).toBeInstanceOf(HttpError);
    const err = e as HttpError;
    expect(server.hits).toBe(1);
    expect(err.status).toBe(400);
    expect(err.system).toBe('sendgrid');
    expect(err.message).toBe('sendgrid answered HTTP 400 to GET /v3/messages');
    expect(err.body).toEqual({ errors: [{ field: 'email', message: 'anna@example.com is invalid' }] });
    expect(JSON.stringify(err)).not.toContain('anna');
    expect(Object.keys(err)).not.toContain('body');
  });
});

describe('retries', () => {
  it('retries a 503 burst with backoff and then succeeds', async () => {
    server.handler = (_req, res, n) => (n <= 3 ? json(res, 503, { errors: [] }) : json(res, 200, { ok: n }));
    const res = await client({ retries: 3 }).request({ method: 'GET', path: '/v3/messages' });
    expect(res.body).toEqual({ ok: 4 });
    expect(server.hits).toBe(4);
  });

  it('gives up after the configured attempts with the last HttpError', async () => {
    server.handler = (_req, res) => json(res, 502, {});
    const e = await failure(client({ retries: 2 }).request({ method: 'GET', path: '/x' }));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(502);
    expect(server.hits).toBe(3);
  });

  it('does not repeat a POST after a 5xx unless it is marked idempotent', async () => {
    server.handler = (_req, res, n) => (n === 1 ? json(res, 503, {}) : json(res, 201, {}));
    await expect(client().request({ method: 'POST', path: '/x', json: {} })).rejects.toBeInstanceOf(HttpError);
    expect(server.hits).toBe(1);
    server.hits = 0;
    await expect(client().request({ method: 'POST', path: '/x', json: {}, idempotent: true })).resolves.toMatchObject({ status: 201 });
    expect(server.hits).toBe(2); // 503 (hit 1 of this round), then 201
  });

  it('repeats a POST refused with 429', async () => {
    server.handler = (_req, res, n) => (n === 1 ? json(res, 429, { errors: [{ field: null, message: 'too many requests' }] }) : json(res, 202, { job_id: 'j' }));
    await expect(client().request({ method: 'POST', path: '/v3/recipients/erasejob', json: {} })).resolves.toMatchObject({ status: 202 });
    expect(server.hits).toBe(2);
  });

  it('repeats a POST whose connection was refused (never sent), and reports ECONNREFUSED at the end', async () => {
    const { logger, lines } = capturingLogger();
    const c = new HttpClient({ system: 'limego', baseUrl: `http://127.0.0.1:${await closedPort()}`, retries: 2, backoff: { initialDelayMs: 5, maxDelayMs: 10 }, logger });
    const e = await failure(c.request({ method: 'POST', path: '/v1/graphql', json: {} }));
    expect(e).toBeInstanceOf(NetworkError);
    expect((e as NetworkError).errorCode).toBe('ECONNREFUSED');
    expect((e as NetworkError).notSent).toBe(true);
    expect(lines.filter((l) => l.includes('"msg":"http retry"'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('"msg":"http call"'))).toHaveLength(3);
  });

  it('honours Retry-After in seconds', async () => {
    server.handler = (_req, res, n) => (n === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, {}));
    const t0 = Date.now();
    await client().request({ method: 'GET', path: '/x' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(server.hits).toBe(2);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const t0 = Date.now();
    const until = new Date(t0 + 2_000).toUTCString(); // whole seconds: 1-2 s from now
    server.handler = (_req, res, n) => (n === 1 ? json(res, 503, {}, { 'retry-after': until }) : json(res, 200, {}));
    await client().request({ method: 'GET', path: '/x' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(Date.parse(until) - t0 - 2);
    expect(server.hits).toBe(2);
  });

  it('honours X-RateLimit-Reset given as seconds until the reset', async () => {
    server.handler = (_req, res, n) => (n === 1 ? json(res, 429, {}, { 'x-ratelimit-reset': '1', 'x-ratelimit-remaining': '0' }) : json(res, 200, {}));
    const t0 = Date.now();
    await client().request({ method: 'GET', path: '/v3/messages' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
  });

  it('honours X-RateLimit-Reset given as an epoch timestamp', async () => {
    const t0 = Date.now();
    const reset = Math.floor(t0 / 1000) + 2; // 1-2 s from now
    server.handler = (_req, res, n) => (n === 1 ? json(res, 429, {}, { 'x-ratelimit-reset': String(reset) }) : json(res, 200, {}));
    await client().request({ method: 'GET', path: '/v3/messages' });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(reset * 1000 - t0 - 2);
    expect(elapsed).toBeLessThan(3_500); // read as epoch, not as 1.7e9 seconds
  });

  it('fails at once, without waiting, when the requested wait would pass the deadline', async () => {
    server.handler = (_req, res) => json(res, 429, {}, { 'retry-after': '10' });
    const t0 = Date.now();
    const e = await failure(client().request({ method: 'GET', path: '/x', signal: withDeadline(2_000) }));
    expect(Date.now() - t0).toBeLessThan(500);
    expect(e).toBeInstanceOf(DeadlineError);
    expect((e as DeadlineError).waitMs).toBe(10_000);
    expect((e as Error).message).toBe('sendgrid: retrying GET /x needs a wait of 10 s, past the deadline');
    expect(server.hits).toBe(1);
  });

  it('knows the deadline of a signal its owner aborts (markDeadline) or of an explicit deadline', async () => {
    server.handler = (_req, res) => json(res, 503, {}, { 'retry-after': '3' });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 1_000);
    const signal = markDeadline(controller.signal, Date.now() + 1_000);
    await expect(client().request({ method: 'GET', path: '/x', signal })).rejects.toBeInstanceOf(DeadlineError);
    await expect(client().request({ method: 'GET', path: '/x', deadline: Date.now() + 1_000 })).rejects.toBeInstanceOf(DeadlineError);
    clearTimeout(timer);
    expect(server.hits).toBe(2);
  });

  it('does not wait longer than maxRetryWaitMs even without a deadline', async () => {
    server.handler = (_req, res) => json(res, 429, {}, { 'retry-after': '120' });
    const e = await failure(client({ maxRetryWaitMs: 5_000 }).request({ method: 'GET', path: '/x' }));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).retryAfterMs).toBe(120_000);
    expect((e as Error).message).toBe('sendgrid answered HTTP 429 to GET /x; it asked to wait 120 s');
  });

  it('the caller signal cancels a backoff wait at once', async () => {
    server.handler = (_req, res) => json(res, 429, {}, { 'retry-after': '5' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const t0 = Date.now();
    await expect(client().request({ method: 'GET', path: '/x', signal: controller.signal })).rejects.toBeInstanceOf(DeadlineError);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(server.hits).toBe(1);
  });
});

describe('timeouts', () => {
  it('fails a call that exceeds the per-call timeout with TimeoutError, retrying it when idempotent', async () => {
    server.handler = async (_req, res) => {
      await wait(1_000);
      json(res, 200, {});
    };
    const t0 = Date.now();
    const e = await failure(client({ timeoutMs: 150, retries: 1 }).request({ method: 'GET', path: '/slow' }));
    const elapsed = Date.now() - t0;
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as Error).message).toBe('sendgrid did not answer GET /slow within 150 ms');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(900);
    expect(server.hits).toBe(2);
  });

  it('the caller signal aborts a call in flight with DeadlineError', async () => {
    server.handler = async (_req, res) => {
      await wait(1_000);
      json(res, 200, {});
    };
    const t0 = Date.now();
    await expect(client().request({ method: 'GET', path: '/slow', signal: withDeadline(150) })).rejects.toBeInstanceOf(DeadlineError);
    expect(Date.now() - t0).toBeLessThan(600);
    expect(server.hits).toBe(1);
  });
});

describe('concurrency', () => {
  it('never has more calls in flight than the limit and queues the rest', async () => {
    server.handler = async (_req, res) => {
      await wait(40);
      json(res, 200, {});
    };
    const c = client({ concurrency: 3 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => c.request({ method: 'GET', path: `/item/{i}`, params: { i } })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(server.hits).toBe(12);
    expect(server.maxInFlight).toBe(3);
  });

  it('a queued call leaves the queue when its deadline passes', async () => {
    server.handler = async (_req, res) => {
      await wait(400);
      json(res, 200, {});
    };
    const c = client({ concurrency: 1 });
    const first = c.request({ method: 'GET', path: '/a' });
    const t0 = Date.now();
    await expect(c.request({ method: 'GET', path: '/b', signal: withDeadline(100) })).rejects.toBeInstanceOf(DeadlineError);
    expect(Date.now() - t0).toBeLessThan(350);
    await first;
    await wait(20);
    expect(server.requests.map((r) => r.url)).toEqual(['/a']);
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, fails fast without calling, probes after the cool-down and closes on success', async () => {
    let up = false;
    server.handler = (_req, res) => (up ? json(res, 200, {}) : json(res, 503, {}));
    const changes: BreakerState[] = [];
    const c = client({ retries: 0, breaker: { failureThreshold: 3, cooldownMs: 300 }, onBreakerStateChange: (ch) => changes.push(ch.state) });
    for (let i = 0; i < 3; i++) await expect(c.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(HttpError);
    expect(c.breakerState).toBe('open');
    expect(server.hits).toBe(3);

    const t0 = Date.now();
    const e = await failure(c.request({ method: 'GET', path: '/x' }));
    expect(Date.now() - t0).toBeLessThan(100);
    expect(e).toBeInstanceOf(CircuitOpenError);
    expect((e as Error).message).toMatch(/^sendgrid is unavailable after repeated failures; it is tried again in about 1 s$/);
    expect(server.hits).toBe(3); // failed fast: the server saw nothing

    await wait(350);
    up = true;
    await expect(c.request({ method: 'GET', path: '/x' })).resolves.toMatchObject({ status: 200 });
    expect(server.hits).toBe(4);
    expect(c.breakerState).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('lets one probe through when half-open; a failed probe opens it again', async () => {
    server.handler = async (_req, res) => {
      await wait(100);
      json(res, 503, {});
    };
    const changes: BreakerState[] = [];
    const c = client({ retries: 0, breaker: { failureThreshold: 2, cooldownMs: 200 } });
    c.onBreakerStateChange((ch) => changes.push(ch.state));
    for (let i = 0; i < 2; i++) await expect(c.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(HttpError);
    await wait(250);
    const calls = Array.from({ length: 5 }, () => failure(c.request({ method: 'GET', path: '/x' })));
    await wait(20);
    expect(c.breakerState).toBe('half-open');
    const errors = await Promise.all(calls);
    expect(server.hits).toBe(3); // only the probe reached the server
    expect(errors.filter((e) => e instanceof HttpError)).toHaveLength(1);
    expect(errors.filter((e) => e instanceof CircuitOpenError)).toHaveLength(4);
    expect(c.breakerState).toBe('open');
    expect(changes).toEqual(['open', 'half-open', 'open']);
  });

  it('stops retrying once its own failures open the circuit', async () => {
    server.handler = (_req, res) => json(res, 503, {});
    const c = client({ retries: 10, breaker: { failureThreshold: 3, cooldownMs: 10_000 } });
    await expect(c.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(HttpError);
    expect(server.hits).toBe(3);
    await expect(c.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(CircuitOpenError);
    expect(server.hits).toBe(3);
  });

  it('counts timeouts and network errors as failures', async () => {
    const c = new HttpClient({ system: 'hogia', baseUrl: `http://127.0.0.1:${await closedPort()}`, retries: 0, breaker: { failureThreshold: 2, cooldownMs: 10_000 } });
    await expect(c.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(NetworkError);
    await expect(c.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(NetworkError);
    await expect(c.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(CircuitOpenError);

    server.handler = async (_req, res) => {
      await wait(500);
      json(res, 200, {});
    };
    const slow = client({ retries: 0, timeoutMs: 50, breaker: { failureThreshold: 2, cooldownMs: 10_000 } });
    await expect(slow.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(TimeoutError);
    await expect(slow.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(TimeoutError);
    expect(slow.breakerState).toBe('open');
  });

  it('a caller that gives up during the half-open probe leaves the circuit open', async () => {
    let down = true;
    server.handler = async (_req, res) => {
      if (down) return json(res, 503, {});
      await wait(300);
      json(res, 200, {});
    };
    const c = client({ retries: 0, breaker: { failureThreshold: 1, cooldownMs: 100 } });
    await expect(c.request({ method: 'GET', path: '/x' })).rejects.toBeInstanceOf(HttpError);
    down = false;
    await wait(150);
    await expect(c.request({ method: 'GET', path: '/x', signal: withDeadline(50) })).rejects.toBeInstanceOf(DeadlineError);
    await wait(20); // the aborted probe settles just after its caller was answered
    expect(c.breakerState).toBe('open');
    expect(server.hits).toBe(2);
  });

  it('an expected 404 (or any 4xx) is an answer: it never trips the breaker', async () => {
    server.handler = (req, res) => json(res, req.url === '/bad' ? 400 : 404, { errors: [{ message: 'not found' }] });
    const c = client({ retries: 0, breaker: { failureThreshold: 2, cooldownMs: 10_000 } });
    for (let i = 0; i < 5; i++) await expect(c.request({ method: 'GET', path: '/x', expect: [200, 404] })).resolves.toMatchObject({ status: 404 });
    for (let i = 0; i < 3; i++) await expect(c.request({ method: 'GET', path: '/bad' })).rejects.toBeInstanceOf(HttpError);
    expect(c.breakerState).toBe('closed');
    expect(server.hits).toBe(8);
  });

  it('a success resets the count of consecutive failures', async () => {
    server.handler = (_req, res, n) => json(res, n % 2 ? 503 : 200, {});
    const c = client({ retries: 0, breaker: { failureThreshold: 2, cooldownMs: 10_000 } });
    for (let i = 0; i < 6; i++) await c.request({ method: 'GET', path: '/x' }).catch(() => undefined);
    expect(c.breakerState).toBe('closed');
  });
});

describe('logs', () => {
  it('carry method, system, path template, status, attempt and duration, and no personal data or secrets', async () => {
    const { logger, lines } = capturingLogger();
    server.handler = (_req, res, n) => (n <= 2 ? json(res, 503, { errors: [{ message: 'anna@example.com' }] }) : json(res, 200, { email: 'anna@example.com' }));
    const c = new HttpClient({
      system: 'sendgrid',
      baseUrl: server.url,
      retries: 5,
      backoff: { initialDelayMs: 5, maxDelayMs: 10 },
      breaker: { failureThreshold: 3, cooldownMs: 10_000 },
      headers: () => ({ authorization: 'Bearer SG.secret-api-key' }),
      logger,
    });
    await c.request({
      method: 'POST',
      path: '/v3/asm/suppressions/global/{email}',
      params: { email: 'anna@example.com' },
      query: { to_email: 'anna@example.com', phone: '+46701234567' },
      json: { recipient_emails: ['anna@example.com'], phone: '+46701234567' },
      idempotent: true,
    });
    // a literal path with values in it is redacted too
    await c.request({ method: 'GET', path: '/v3/asm/suppressions/anna%40example.com/4670123?api_key=SG.secret-api-key' });
    // and the breaker opening is logged
    server.handler = (_req, res) => json(res, 500, {});
    await c.request({ method: 'GET', path: '/v3/messages/{id}', params: { id: 'msg-123abc' } }).catch(() => undefined);
    expect(c.breakerState).toBe('open');

    const text = lines.join('\n');
    for (const secret of ['anna', 'example.com', '%40', '4670', 'secret-api-key', 'Bearer', 'to_email', 'api_key', '?', 'msg-123abc']) {
      expect(text).not.toContain(secret);
    }
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const calls = entries.filter((e) => e.msg === 'http call');
    expect(calls[0]).toMatchObject({ level: 'debug', system: 'sendgrid', method: 'POST', path: '/v3/asm/suppressions/global/{email}', status: 503, attempt: 1 });
    expect(typeof calls[0].ms).toBe('number');
    expect(calls[2]).toMatchObject({ status: 200, attempt: 3 });
    expect(calls[3]).toMatchObject({ method: 'GET', path: '/v3/asm/suppressions/:email/:number', status: 200 });
    expect(entries.filter((e) => e.msg === 'http retry')[0]).toMatchObject({ level: 'warn', system: 'sendgrid', path: '/v3/asm/suppressions/global/{email}', attempt: 1, reason: 503 });
    expect(entries.find((e) => e.msg === 'http circuit open')).toMatchObject({ level: 'warn', system: 'sendgrid', breaker: 'open' });
  });
});
