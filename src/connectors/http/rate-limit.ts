/**
 * How long a system asks its callers to wait: `Retry-After` (RFC 9110: delay-seconds or an
 * HTTP-date) and the `X-RateLimit-Reset` header SendGrid and others send, which some services
 * give as an epoch timestamp and others as seconds until the reset.
 */

/** Values at or above this are epoch seconds (2001-09-09); below, seconds until the reset. */
const EPOCH_SECONDS_FROM = 1e9;
/** Values at or above this are epoch milliseconds. */
const EPOCH_MILLIS_FROM = 1e12;

/** `Retry-After` as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * `X-RateLimit-Reset` as milliseconds from `now`. The form is decided by magnitude: at least 1e12
 * is epoch milliseconds, at least 1e9 epoch seconds, anything smaller seconds until the reset.
 */
export function parseRateLimitReset(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (!/^\d+(\.\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  if (n >= EPOCH_MILLIS_FROM) return Math.max(0, Math.round(n - now));
  if (n >= EPOCH_SECONDS_FROM) return Math.max(0, Math.round(n * 1000 - now));
  return Math.round(n * 1000);
}

/**
 * The wait a response asks for before the next call: `Retry-After` on 429 and 503, else
 * `X-RateLimit-Reset` on 429 (the headers come on every SendGrid response, but only a 429 means
 * the limit was reached). Undefined when the response asks for nothing.
 */
export function requestedWaitMs(status: number, headers: Readonly<Record<string, string>>, now = Date.now()): number | undefined {
  if (status !== 429 && status !== 503) return undefined;
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (retryAfter !== undefined) return retryAfter;
  if (status === 429) return parseRateLimitReset(headers['x-ratelimit-reset'], now);
  return undefined;
}
