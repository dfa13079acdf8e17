/**
 * Zoom's Server-to-Server OAuth as the simulator serves it: POST /oauth/token with
 * grant_type=account_credentials and account_id (in the query string, as Zoom documents it, or
 * in a form body), the client authenticated with HTTP Basic. Access tokens are signed with a key
 * in the state, so they survive a restart until they expire; a revocation (a newer generation)
 * makes every earlier token answer 401 {"code":124}.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

export interface ZoomIssuer {
  accountId: string;
  clientId: string;
  clientSecret: string;
  signingKey: string;
  generation: number;
  lifetimeS: number;
}

export const SCOPES = 'webinar:read:admin webinar:write:admin user:read:admin';

export const sign = (key: string, data: string): string => createHmac('sha256', key).update(data).digest('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function issue(issuer: ZoomIssuer): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(JSON.stringify({ aid: issuer.accountId, gen: issuer.generation, iat: now, exp: now + issuer.lifetimeS, jti: randomUUID() })).toString('base64url');
  return `${payload}.${sign(issuer.signingKey, payload)}`;
}

/** Whether a request's Authorization header carries a token this account accepts now. */
export function validBearer(issuer: ZoomIssuer, authorization: string | undefined): boolean {
  const m = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/i.exec((authorization ?? '').trim());
  if (!m || !sameText(sign(issuer.signingKey, m[1]!), m[2]!)) return false;
  try {
    const p = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as { aid?: string; gen?: number; exp?: number };
    return p.aid === issuer.accountId && p.gen === issuer.generation && typeof p.exp === 'number' && p.exp > Date.now() / 1000;
  } catch {
    return false;
  }
}

const oauthError = (res: Response, status: number, error: string, reason: string): void => {
  res.status(status).set('Cache-Control', 'no-store').json({ reason, error });
};

/** POST /oauth/token. `issued` is called for every token handed out. */
export function tokenEndpoint(issuer: () => ZoomIssuer, issued: () => void) {
  return (req: Request, res: Response): void => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const param = (name: string): string | undefined => {
      const v = req.query[name] ?? body[name];
      return typeof v === 'string' ? v : undefined;
    };
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.get('authorization') ?? '');
    const [clientId, ...rest] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [];
    const clientSecret = rest.join(':');
    const current = issuer();
    if (!basic || clientId !== current.clientId || !sameText(clientSecret, current.clientSecret)) {
      return oauthError(res, 401, 'invalid_client', 'Invalid client_id or client_secret');
    }
    const grant = param('grant_type');
    if (grant === undefined) return oauthError(res, 400, 'invalid_request', 'Missing grant_type');
    if (grant !== 'account_credentials') return oauthError(res, 400, 'unsupported_grant_type', 'unsupported grant type');
    if (param('account_id') !== current.accountId) return oauthError(res, 400, 'invalid_request', 'Invalid account_id');
    issued();
    res.set('Cache-Control', 'no-store').json({
      access_token: issue(current),
      token_type: 'bearer',
      expires_in: current.lifetimeS,
      scope: SCOPES,
      api_url: `${req.protocol}://${req.get('host')}`,
    });
  };
}
