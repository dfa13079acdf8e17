/**
 * ASP.NET Core ProblemDetails, the error shape of Hogia's API:
 * {"type","title","status","detail"?,"errors"?:{"field":["message"]},"traceId"}.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import type { ServiceErrors } from '../common/app';

const RFC9110 = 'https://tools.ietf.org/html/rfc9110';
const TYPES: Record<number, string> = {
  400: `${RFC9110}#section-15.5.1`,
  401: `${RFC9110}#section-15.5.2`,
  403: `${RFC9110}#section-15.5.4`,
  404: `${RFC9110}#section-15.5.5`,
  409: `${RFC9110}#section-15.5.10`,
  415: `${RFC9110}#section-15.5.16`,
  429: 'https://tools.ietf.org/html/rfc6585#section-4',
  500: `${RFC9110}#section-15.6.1`,
  502: `${RFC9110}#section-15.6.3`,
  503: `${RFC9110}#section-15.6.4`,
  504: `${RFC9110}#section-15.6.5`,
};

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Record<string, string[]>;
  traceId: string;
}

const traceId = (): string => `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;

export function problem(status: number, extra: Partial<Omit<ProblemDetails, 'status'>> = {}): ProblemDetails {
  return {
    type: extra.type ?? TYPES[status] ?? `${RFC9110}#section-15`,
    title: extra.title ?? (status === 500 ? 'An error occurred while processing your request.' : STATUS_CODES[status] ?? 'Error'),
    status,
    ...(extra.detail !== undefined ? { detail: extra.detail } : {}),
    ...(extra.errors !== undefined ? { errors: extra.errors } : {}),
    traceId: traceId(),
  };
}

export function sendProblem(res: Response, details: ProblemDetails): void {
  res.status(details.status).type('application/problem+json').send(JSON.stringify(details));
}

/** 400 "One or more validation errors occurred." with the fields' messages. */
export function sendValidationProblem(res: Response, errors: Record<string, string[]>): void {
  sendProblem(res, problem(400, { type: TYPES[400], title: 'One or more validation errors occurred.', errors }));
}

export const hogiaErrors: ServiceErrors = {
  contentType: 'application/problem+json',
  body(_req: Request, status: number, message: string) {
    return problem(status, message === STATUS_CODES[status] ? {} : { detail: message });
  },
};
