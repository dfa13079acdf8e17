import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  type IBackoff,
} from 'cockatiel';
import { deadlineOf, untilAborted } from './deadline';
import { FairSlots } from './fair-slots';
import {
  CircuitOpenError,
  DeadlineError,
  HttpClientError,
  HttpError,
  NetworkError,
  TimeoutError,
} from './errors';
import { requestedWaitMs } from './rate-limit';
import { redactUrl } from './redact';

/**
 * The one HTTP client of the HTTP connectors (one instance per system). Each call:
 *
 *   caller signal (the system's deadline) ─┬─ retries with exponential backoff + jitter,
 *                                          │  honouring Retry-After / X-RateLimit-Reset
 *                                          └─ per attempt: circuit breaker -> concurrency slot ->
 *                                             fetch under the per-call timeout
 *
 * Built on Node's fetch (undici) and cockatiel's circuit breaker and backoff; the concurrency slots
 * are shared fairly between operators (fair-slots.ts). The retry
 * loop is this file's own because it must do what cockatiel 3's retry cannot: abort its waits
 * with the caller's signal, wait as long as the server asks, and fail at once when that wait would
 * end after the deadline.
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];
export type HeaderMap = Record<string, string>;
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerStateChange {
  system: string;
  state: BreakerState;
  previous: BreakerState;
}

/** The log methods the client uses; a pino logger fits. */
export interface HttpLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Supplies authentication headers per attempt and drops them after a 401 (see oauth2.ts). */
export interface AuthProvider {
  headers(signal?: AbortSignal): Promise<HeaderMap>;
  /** Called once per request on a 401 with the headers that were refused; the call is then repeated once. */
  invalidate?(refused: HeaderMap): void;
}

export interface HttpClientOptions {
  /** The system id, used in logs, errors and metrics ("sendgrid"). */
  system: string;
  /** Base URL; may include a path prefix (`https://api.hogia.se/<org>`). */
  baseUrl: string;
  /** Per-attempt timeout, headers and body included. Default 10 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** Exponential backoff with decorrelated jitter between retries. Default 200 ms .. 5 000 ms. */
  backoff?: { initialDelayMs?: number; maxDelayMs?: number };
  /** A server-requested wait longer than this is not waited for: the call fails. Default 30 000 ms. */
  maxRetryWaitMs?: number;
  /** Concurrent calls to this system; the rest wait, the caller holding the fewest slots first. Default 4. */
  concurrency?: number;
  /** Opens after `failureThreshold` consecutive failed calls, probes again after `cooldownMs`. Default 5 / 30 000 ms. */
  breaker?: { failureThreshold?: number; cooldownMs?: number };
  /** Headers sent with every call (API keys): a map or a function called per attempt. */
  headers?: HeaderMap | (() => HeaderMap | Promise<HeaderMap>);
  /** Bearer tokens that may expire (OAuth2); refreshed once on a 401. */
  auth?: AuthProvider;
  logger?: HttpLogger;
  onBreakerStateChange?: (change: BreakerStateChange) => void;
  /** Called after every HTTP exchange (for metrics): the status, or what failed before an answer. */
  onExchange?: (exchange: HttpExchange) => void;
}

export interface HttpExchange {
  system: string;
  status?: number;
  failure?: 'network' | 'timeout' | 'deadline';
  seconds: number;
}

export interface HttpRequest {
  method: HttpMethod;
  /** Path under baseUrl, as a template: `/v3/messages/{id}`. Only the template is ever logged. */
  path: string;
  /** Values for the `{name}` placeholders of `path` (URL-encoded here). */
  params?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  /** JSON body (sets content-type). */
  json?: unknown;
  /** application/x-www-form-urlencoded body. */
  form?: Record<string, string | undefined> | URLSearchParams;
  headers?: HeaderMap;
  /** The caller's deadline (e.g. the connector's collect signal): aborts queueing, calls and waits. */
  signal?: AbortSignal;
  /** When `signal` will abort (epoch ms), if known and not carried by the signal itself (deadline.ts). */
  deadline?: number;
  /** The call may be repeated safely (set for POSTs that are idempotent by design). */
  idempotent?: boolean;
  /** Statuses that are answers rather than failures, besides 2xx (e.g. [404]). */
  expect?: readonly number[];
  timeoutMs?: number;
  retries?: number;
}

export interface HttpResponse<T> {
  status: number;
  /** Lower-case header names. */
  headers: HeaderMap;
  /** Parsed JSON (content-type *json), text otherwise, undefined when empty. Not validated: check it. */
  body: T;
}

interface Attempt {
  method: HttpMethod;
  url: string;
  route: string;
  headers: HeaderMap;
  body: string | undefined;
  expect: readonly number[] | undefined;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  attempt: number;
}

interface Answer {
  status: number;
  headers: HeaderMap;
  body: unknown;
  sentHeaders: HeaderMap;
}

const IDEMPOTENT_METHODS: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
/** Socket errors that happen before a request is written: safe to send again whatever the method. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

const silent: HttpLogger = { debug() {}, info() {}, warn() {} };

export class HttpClient {
  readonly system: string;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoff: ExponentialBackoff<unknown>;
  private readonly maxRetryWaitMs: number;
  private readonly cooldownMs: number;
  private readonly failureThreshold: number;
  private readonly staticHeaders: HttpClientOptions['headers'];
  private readonly auth: AuthProvider | undefined;
  private readonly log: HttpLogger;
  private readonly slots: FairSlots;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly listeners = new Set<(change: BreakerStateChange) => void>();
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private readonly onExchange: ((exchange: HttpExchange) => void) | undefined;

  constructor(options: HttpClientOptions) {
    this.system = options.system;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 3;
    this.backoff = new ExponentialBackoff({
      initialDelay: options.backoff?.initialDelayMs ?? 200,
      maxDelay: options.backoff?.maxDelayMs ?? 5_000,
    });
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 30_000;
    this.failureThreshold = options.breaker?.failureThreshold ?? 5;
    this.cooldownMs = options.breaker?.cooldownMs ?? 30_000;
    this.staticHeaders = options.headers;
    this.auth = options.auth;
    this.log = options.logger ?? silent;
    if (options.onBreakerStateChange) this.listeners.add(options.onBreakerStateChange);
    this.onExchange = options.onExchange;

    this.slots = new FairSlots(Math.max(1, options.concurrency ?? 4));
    // Failures that count: 5xx, network errors, timeouts. A caller giving up during the half-open
    // probe counts too (the probe proved nothing, so the circuit stays open rather than closing).
    this.breaker = circuitBreaker(
      handleWhen((e) => isSystemFailure(e) || (e instanceof DeadlineError && this.breaker.state === CircuitState.HalfOpen)),
      { halfOpenAfter: this.cooldownMs, breaker: new ConsecutiveBreaker(this.failureThreshold) },
    );
    this.breaker.onStateChange((s) => this.breakerChanged(STATE_NAMES[s]));
  }

  /** closed: calls pass; open: calls fail fast with CircuitOpenError; half-open: one probe call is out. */
  get breakerState(): BreakerState {
    return this.state;
  }

  /** Subscribes to breaker state changes (for metrics); returns the unsubscribe function. */
  onBreakerStateChange(listener: (change: BreakerStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sends one request with retries. Resolves for 2xx and the `expect`ed statuses; rejects with
   * HttpError, NetworkError, TimeoutError, CircuitOpenError or DeadlineError.
   */
  async request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    const method = req.method;
    const route = redactUrl(req.path);
    const url = this.url(req);
    const body = requestBody(req);
    const signal = req.signal;
    const deadline = req.deadline ?? deadlineOf(signal);
    const maxAttempts = 1 + Math.max(0, req.retries ?? this.retries);
    const idempotent = req.idempotent ?? IDEMPOTENT_METHODS.has(method);
    let backoff: IBackoff<unknown> | undefined;
    let authRetried = false;

    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new DeadlineError(this.system, method, route);
      let failure: HttpClientError;
      // Credentials come first and outside the breaker: a token endpoint's failure is its own
      // (its client has retried it already) and is passed on as it is.
      const headers = await this.headersFor(req, body.headers, signal).catch((e: unknown) => {
        throw e instanceof Error && e.name === 'AbortError' ? new DeadlineError(this.system, method, route) : e;
      });
      try {
        const answer = await this.attempt({
          method, url, route, body: body.text, expect: req.expect, signal, attempt, headers,
          timeoutMs: req.timeoutMs ?? this.timeoutMs,
        });
        if (isSuccess(answer.status, req.expect)) {
          return { status: answer.status, headers: answer.headers, body: answer.body as T };
        }
        if (answer.status === 401 && this.auth?.invalidate && !authRetried) {
          authRetried = true;
          this.auth.invalidate(answer.sentHeaders);
          attempt--; // a refreshed credential is not a retry
          continue;
        }
        failure = new HttpError({
          system: this.system, status: answer.status, method, route, body: answer.body, headers: answer.headers,
          retryAfterMs: requestedWaitMs(answer.status, answer.headers),
        });
      } catch (e) {
        if (!(e instanceof HttpClientError)) throw e;
        failure = e;
      }

      if (!isRetryable(failure, idempotent) || attempt >= maxAttempts || this.state === 'open') throw failure;
      const asked = failure instanceof HttpError ? failure.retryAfterMs : undefined;
      if (asked !== undefined && asked > this.maxRetryWaitMs) throw failure;
      backoff = backoff ? backoff.next(undefined) : this.backoff.next();
      const waitMs = asked ?? Math.round(backoff.duration);
      if (deadline !== undefined && Date.now() + waitMs >= deadline) {
        this.log.warn({ system: this.system, method, path: route, attempt, waitMs, reason: reasonOf(failure) }, 'http retry would pass the deadline');
        throw new DeadlineError(this.system, method, route, waitMs, failure);
      }
      this.log.warn({ system: this.system, method, path: route, attempt, waitMs, reason: reasonOf(failure) }, 'http retry');
      try {
        await sleep(waitMs, undefined, signal ? { signal } : undefined);
      } catch {
        throw new DeadlineError(this.system, method, route, undefined, failure);
      }
    }
  }

  /** One attempt: circuit breaker, then a concurrency slot, then the call itself. */
  private async attempt(a: Attempt): Promise<Answer> {
    if (this.state === 'open' && Date.now() - this.openedAt < this.cooldownMs) {
      throw new CircuitOpenError(this.system, this.openedAt + this.cooldownMs - Date.now());
    }
    const queued = this.slots.run(() => this.breaker.execute(() => this.send(a)), a.signal);
    try {
      return await untilAborted(queued, a.signal);
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        throw new CircuitOpenError(this.system, Math.max(0, this.openedAt + this.cooldownMs - Date.now()));
      }
      if (e instanceof Error && e.name === 'AbortError') {
        throw new DeadlineError(this.system, a.method, a.route);
      }
      throw e;
    }
  }

  /** The HTTP exchange under the per-call timeout. Throws (for the breaker) on 5xx and transport failures. */
  private async send(a: Attempt): Promise<Answer> {
    if (a.signal?.aborted) throw new DeadlineError(this.system, a.method, a.route);
    const headers = a.headers;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), a.timeoutMs);
    const linked = linkSignals(timeout.signal, a.signal);
    const started = performance.now();
    const logFields = { system: this.system, method: a.method, path: a.route, attempt: a.attempt };
    try {
      const res = await fetch(a.url, { method: a.method, headers, body: a.body, signal: linked.signal });
      const text = await res.text();
      const resHeaders = Object.fromEntries(res.headers.entries());
      const ms = Math.round(performance.now() - started);
      this.onExchange?.({ system: this.system, status: res.status, seconds: ms / 1000 });
      this.log.debug({ ...logFields, status: res.status, ms }, 'http call');
      const parsed = parseBody(text, resHeaders['content-type'], a.method);
      if (!parsed.ok && isSuccess(res.status, a.expect)) {
        throw new HttpError({ system: this.system, status: res.status, method: a.method, route: a.route, body: text, headers: resHeaders, detail: 'the body is not valid JSON' });
      }
      const body = parsed.ok ? parsed.value : text;
      if (res.status >= 500 && !isSuccess(res.status, a.expect)) {
        throw new HttpError({
          system: this.system, status: res.status, method: a.method, route: a.route, body, headers: resHeaders,
          retryAfterMs: requestedWaitMs(res.status, resHeaders),
        });
      }
      return { status: res.status, headers: resHeaders, body, sentHeaders: headers };
    } catch (e) {
      if (e instanceof HttpClientError) throw e;
      const ms = Math.round(performance.now() - started);
      const failure = a.signal?.aborted ? 'deadline' : timeout.signal.aborted ? 'timeout' : 'network';
      this.onExchange?.({ system: this.system, failure, seconds: ms / 1000 });
      if (a.signal?.aborted) {
        this.log.debug({ ...logFields, ms, error: 'DEADLINE' }, 'http call');
        throw new DeadlineError(this.system, a.method, a.route);
      }
      if (timeout.signal.aborted) {
        this.log.debug({ ...logFields, ms, error: 'TIMEOUT' }, 'http call');
        throw new TimeoutError(this.system, a.method, a.route, a.timeoutMs);
      }
      const code = socketErrorCode(e);
      this.log.debug({ ...logFields, ms, error: code }, 'http call');
      throw new NetworkError(this.system, a.method, a.route, code, NOT_SENT_CODES.has(code), e);
    } finally {
      clearTimeout(timer);
      linked.dispose();
    }
  }

  private async headersFor(req: HttpRequest, bodyHeaders: HeaderMap, signal: AbortSignal | undefined): Promise<HeaderMap> {
    const h = this.staticHeaders;
    return {
      accept: 'application/json',
      'user-agent': 'dsr-gateway',
      ...(typeof h === 'function' ? await h() : (h ?? {})),
      ...(this.auth ? await this.auth.headers(signal) : {}),
      ...bodyHeaders,
      ...(req.headers ?? {}),
    };
  }

  private url(req: HttpRequest): string {
    const filled = req.path.replace(/\{([\w.-]+)\}/g, (_, name: string) => {
      const v = req.params?.[name];
      if (v === undefined) throw new Error(`HttpClient(${this.system}): no value for path parameter {${name}}`);
      return encodeURIComponent(String(v));
    });
    let url = this.baseUrl + (filled.startsWith('/') ? filled : `/${filled}`);
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) qs.append(k, String(item));
      else qs.append(k, String(v));
    }
    const q = qs.toString();
    if (q) url += (url.includes('?') ? '&' : '?') + q;
    return url;
  }

  private breakerChanged(next: BreakerState): void {
    const previous = this.state;
    if (next === previous) return;
    this.state = next;
    if (next === 'open') {
      this.openedAt = Date.now();
      this.log.warn({ system: this.system, breaker: next, failures: this.failureThreshold, cooldownMs: this.cooldownMs }, 'http circuit open');
    } else {
      this.log.info({ system: this.system, breaker: next }, `http circuit ${next}`);
    }
    for (const listener of this.listeners) {
      try {
        listener({ system: this.system, state: next, previous });
      } catch {
        // a metrics listener never breaks a call
      }
    }
  }
}

function isSuccess(status: number, expect: readonly number[] | undefined): boolean {
  return (status >= 200 && status < 300) || (expect?.includes(status) ?? false);
}

/** What the circuit breaker counts as the system failing. 4xx (429 included) are answers, not failures. */
function isSystemFailure(e: unknown): boolean {
  return (e instanceof HttpError && e.status >= 500) || e instanceof NetworkError || e instanceof TimeoutError;
}

function isRetryable(e: HttpClientError, idempotent: boolean): boolean {
  if (e instanceof HttpError) {
    if (e.status === 429) return true; // the server refused it: nothing happened
    return e.status >= 500 && e.status !== 501 && e.status !== 505 && idempotent;
  }
  if (e instanceof NetworkError) return e.notSent || idempotent;
  if (e instanceof TimeoutError) return idempotent;
  return false;
}

function reasonOf(e: HttpClientError): string | number {
  if (e instanceof HttpError) return e.status;
  if (e instanceof NetworkError) return e.errorCode;
  return e.code;
}

function requestBody(req: HttpRequest): { text: string | undefined; headers: HeaderMap } {
  if (req.json !== undefined) return { text: JSON.stringify(req.json), headers: { 'content-type': 'application/json' } };
  if (req.form !== undefined) {
    const form = req.form instanceof URLSearchParams ? req.form : new URLSearchParams();
    if (!(req.form instanceof URLSearchParams)) {
      for (const [k, v] of Object.entries(req.form)) if (v !== undefined) form.append(k, v);
    }
    return { text: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  return { text: undefined, headers: {} };
}

function parseBody(text: string, contentType: string | undefined, method: HttpMethod): { ok: true; value: unknown } | { ok: false } {
  if (method === 'HEAD' || text === '') return { ok: true, value: undefined };
  if (!contentType || !/[/+]json\b/i.test(contentType)) return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The socket error code of a failed fetch (undici puts it on `cause`, sometimes an AggregateError). */
function socketErrorCode(e: unknown): string {
  const pick = (x: unknown): string | undefined => {
    const code = (x as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : undefined;
  };
  const cause = (e as { cause?: unknown } | null)?.cause;
  const inner = (cause as { errors?: unknown[] } | null)?.errors;
  return pick(cause) ?? (Array.isArray(inner) ? inner.map(pick).find(Boolean) : undefined) ?? pick(e) ?? 'UNKNOWN';
}

/** A signal that aborts when any of the given ones does; dispose() detaches it. */
function linkSignals(...signals: (AbortSignal | undefined)[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  const abort = () => controller.abort();
  for (const s of present) {
    if (s.aborted) controller.abort();
    else {
      // one caller signal (a collect's deadline) is shared by all of its concurrent calls
      setMaxListeners(0, s);
      s.addEventListener('abort', abort, { once: true });
    }
  }
  return { signal: controller.signal, dispose: () => present.forEach((s) => s.removeEventListener('abort', abort)) };
}

