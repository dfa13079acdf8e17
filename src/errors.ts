import { GraphQLError } from 'graphql';

/** The contract's error codes (extensions.code). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  FOUR_EYES_REQUIRED: 'FOUR_EYES_REQUIRED',
  DEADLINE_RULE: 'DEADLINE_RULE',
  SYSTEM_UNAVAILABLE: 'SYSTEM_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  RATE_LIMITED: 'RATE_LIMITED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const PUBLIC_CODES = new Set<string>(Object.values(ErrorCode));

/** An expected failure: its message is safe to show to the caller and must hold no personal data. */
export class DsrError extends GraphQLError {
  constructor(code: ErrorCode, message: string, http?: { status: number; headers?: Map<string, string> }) {
    super(message, { extensions: http ? { code, http } : { code } });
  }
}

export const badInput = (message: string) => new DsrError(ErrorCode.BAD_USER_INPUT, message);
export const forbidden = (message = 'Your role does not allow this operation') =>
  new DsrError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = () =>
  new DsrError(ErrorCode.UNAUTHENTICATED, 'A valid bearer token is required');

/** Over a rate limit: HTTP 429 with Retry-After (seconds). */
export const rateLimited = (retryAfterS: number, message = 'Too many requests; try again later') =>
  new DsrError(ErrorCode.RATE_LIMITED, message, { status: 429, headers: new Map([['retry-after', String(retryAfterS)]]) });

export function isPublicCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && PUBLIC_CODES.has(code);
}

/**
 * GraphQL's own input errors, without the values the caller sent: a variable's value is echoed in
 * them ("got invalid value ..."), and it may be an email or another identifier.
 */
export function safeInputMessage(message: string, original: unknown): string {
  if (/Maximum call stack/.test(message)) return 'The query is nested too deeply';
  const variable = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (!variable) return message;
  const inner = original instanceof Error && message.endsWith(`; ${original.message}`) ? original.message : '';
  const prefix = inner ? message.slice(0, message.length - inner.length - 2) : message;
  const at = / at "([\w.[\]]+)"$/.exec(prefix)?.[1];
  const reason = inner
    .replace(/^Value ".*" does not exist in "(\w+)" enum\.[\s\S]*$/, 'not a value of enum $1')
    .replace(/^DateTime cannot [\s\S]*$/, 'not a date-time with a zone, such as 2026-11-20T09:00:00Z')
    .replace(/:\s[\s\S]*$/, '')
    .replace(/\.$/, '');
  return `Variable "$${variable[1]}" got an invalid value${at ? ` at "${at}"` : ''}${reason ? `: ${reason}` : ''}`;
}
