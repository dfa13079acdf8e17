/**
 * Typed failures of the HTTP client. Every message names the system, the method and the redacted
 * route only, so it can be shown as `SystemData.error` or logged as it is: no query strings,
 * bodies, identifiers or credentials. What an upstream answered stays on non-enumerable fields,
 * out of messages and out of pino's error serialiser.
 */

export type HttpClientErrorCode = 'HTTP_STATUS' | 'NETWORK' | 'TIMEOUT' | 'CIRCUIT_OPEN' | 'DEADLINE';

export abstract class HttpClientError extends Error {
  abstract readonly code: HttpClientErrorCode;

  protected constructor(
    /** Id of the system the client talks to, e.g. "sendgrid". */
    readonly system: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Attaches a value that must not be enumerated (logged, serialised) with the error. */
function hidden<T extends object>(target: T, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false, writable: false, configurable: true });
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The system answered with a status the caller did not expect. */
export class HttpError extends HttpClientError {
  readonly code = 'HTTP_STATUS' as const;
  readonly status: number;
  readonly method: string;
  readonly route: string;
  /** How long the system asked us to wait (Retry-After / X-RateLimit-Reset), when it said so. */
  readonly retryAfterMs?: number;
  /** The parsed response body (JSON or text). Kept off the message: it may hold personal data. */
  declare readonly body: unknown;
  /** The response headers, lower-case names. */
  declare readonly headers: Readonly<Record<string, string>>;

  constructor(init: {
    system: string;
    status: number;
    method: string;
    route: string;
    body?: unknown;
    headers?: Record<string, string>;
    retryAfterMs?: number;
    /** A fixed, data-free explanation (e.g. "the body is not valid JSON"). */
    detail?: string;
  }) {
    const wait = init.retryAfterMs !== undefined ? `; it asked to wait ${seconds(init.retryAfterMs)} s` : '';
    const detail = init.detail ? `: ${init.detail}` : '';
    super(init.system, `${init.system} answered HTTP ${init.status} to ${init.method} ${init.route}${detail}${wait}`);
    this.status = init.status;
    this.method = init.method;
    this.route = init.route;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    hidden(this, 'body', init.body);
    hidden(this, 'headers', init.headers ?? {});
  }
}

/** The system could not be reached or the connection broke (DNS, refused, reset). */
export class NetworkError extends HttpClientError {
  readonly code = 'NETWORK' as const;

  constructor(
    system: string,
    readonly method: string,
    readonly route: string,
    /** The socket error code, e.g. ECONNREFUSED; "UNKNOWN" when there was none. */
    readonly errorCode: string,
    /** True when the request certainly never reached the server (so it is safe to send again). */
    readonly notSent: boolean,
    cause?: unknown,
  ) {
    super(system, `${system} could not be reached for ${method} ${route} (${errorCode})`);
    if (cause !== undefined) hidden(this, 'cause', cause);
  }
}

/** One call took longer than the per-call timeout. */
export class TimeoutError extends HttpClientError {
  readonly code = 'TIMEOUT' as const;

  constructor(system: string, readonly method: string, readonly route: string, readonly timeoutMs: number) {
    super(system, `${system} did not answer ${method} ${route} within ${timeoutMs} ms`);
  }
}

/** The circuit breaker is open: the system failed repeatedly and is not called until it cools down. */
export class CircuitOpenError extends HttpClientError {
  readonly code = 'CIRCUIT_OPEN' as const;

  constructor(system: string, readonly retryInMs: number) {
    super(system, `${system} is unavailable after repeated failures; it is tried again in about ${seconds(retryInMs)} s`);
  }
}

/**
 * The caller's deadline passed (its signal aborted), or the wait the system asked for before a
 * retry would end after the deadline, so the call failed at once instead of waiting in vain.
 */
export class DeadlineError extends HttpClientError {
  readonly code = 'DEADLINE' as const;

  constructor(
    system: string,
    readonly method: string,
    readonly route: string,
    /** Set when the call gave up because the required wait would pass the deadline. */
    readonly waitMs?: number,
    cause?: unknown,
  ) {
    super(
      system,
      waitMs === undefined
        ? `${system}: the deadline passed before ${method} ${route} finished`
        : `${system}: retrying ${method} ${route} needs a wait of ${seconds(waitMs)} s, past the deadline`,
    );
    if (cause !== undefined) hidden(this, 'cause', cause);
  }
}

export function isHttpClientError(e: unknown): e is HttpClientError {
  return e instanceof HttpClientError;
}
