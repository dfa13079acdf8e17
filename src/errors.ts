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
