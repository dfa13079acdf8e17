import cors from 'cors';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import helmet from 'helmet';
import { ErrorCode } from './errors';
import type { Logger } from './logger';

/**
 * Security headers on every response: nothing may be loaded or framed from an API answer
 * (CSP default-src 'none'), no referrer, no MIME sniffing, HSTS when served over https. Outside
 * production the GraphQL page a browser gets at GET /graphql keeps working (it loads its scripts).
 */
export function securityHeaders(opts: { production: boolean; https: boolean }): RequestHandler {
  const common = {
    referrerPolicy: { policy: 'no-referrer' as const },
    strictTransportSecurity: opts.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' as const },
  };
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
  });
  if (opts.production) return api;
  const page = helmet({ ...common, contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  return (req, res, next) => {
    const landingPage = req.method === 'GET' && req.path === '/graphql' && req.accepts(['json', 'html']) === 'html';
    return (landingPage ? page : api)(req, res, next);
  };
}

/** CORS for the listed origins only; undefined (no cross-origin access) when none are listed. */
export function corsPolicy(origins: string[]): RequestHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: origins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'apollo-require-preflight'],
    maxAge: 600,
  });
}

/** A body too large is 413, one that is not JSON 400, each as a JSON error with a contract code. */
export function bodyErrors(limitKb: number, logger: Logger): ErrorRequestHandler {
  return (err: { type?: string; status?: number; name?: string }, _req, res, next) => {
    if (res.headersSent) return next(err);
    const error = (status: number, message: string, code: string) => res.status(status).json({ errors: [{ message, extensions: { code } }] });
    if (err?.type === 'entity.too.large') return error(413, `The request body is larger than ${limitKb} KB`, ErrorCode.BAD_USER_INPUT);
    if (err?.status && err.status >= 400 && err.status < 500) return error(err.status, 'The request body is not valid JSON', ErrorCode.BAD_USER_INPUT);
    logger.error({ errorName: err?.name }, 'unexpected error in an HTTP request');
    return error(500, 'Internal server error', ErrorCode.INTERNAL_SERVER_ERROR);
  };
}
