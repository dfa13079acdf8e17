/**
 * OAuth2 client credentials as Hogia's identity server (id.hogia.se) offers them, served by the
 * simulator at POST /connect/token, and the Bearer check of the API. Access tokens are HS256 JWTs
 * signed with a key kept in the state, so they stay valid across a restart until they expire.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

export interface TokenIssuer {
  clientId: string;
  clientSecret: string;
  organizationGuid: string;
  signingKey: string;
  lifetimeS: number;
}

export const SCOPE = 'hogia.api';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (key: string, data: string): string => createHmac('sha256', key).update(data).digest('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function issue(issuer: TokenIssuer, audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64({ alg: 'HS256', typ: 'at+jwt' });
  const payload = b64({ iss: audience, client_id: issuer.clientId, org: issuer.organizationGuid, scope: SCOPE, iat: now, exp: now + issuer.lifetimeS, jti: randomUUID() });
  return `${header}.${payload}.${sign(issuer.signingKey, `${header}.${payload}`)}`;
}

export type TokenCheck = 'valid' | 'missing' | 'invalid' | 'expired';

export function checkBearer(issuer: TokenIssuer, authorization: string | undefined): TokenCheck {
  const m = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/i.exec((authorization ?? '').trim());
  if (!authorization) return 'missing';
  if (!m) return 'invalid';
  if (!sameText(sign(issuer.signingKey, `${m[1]}.${m[2]}`), m[3])) return 'invalid';
  try {
    const payload = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8')) as { exp?: number; client_id?: string };
    if (payload.client_id !== issuer.clientId) return 'invalid';
    return typeof payload.exp === 'number' && payload.exp > Date.now() / 1000 ? 'valid' : 'expired';
  } catch {
    return 'invalid';
  }
}

const oauthError = (res: Response, status: number, error: string): void => {
  res.status(status).set('Cache-Control', 'no-store').json({ error });
};

/** POST /connect/token (application/x-www-form-urlencoded), RFC 6749 section 4.4. */
export function tokenEndpoint(issuer: () => TokenIssuer) {
  return (req: Request, res: Response): void => {
    if (!req.is('application/x-www-form-urlencoded')) return oauthError(res, 400, 'invalid_request');
    const body = (req.body ?? {}) as Record<string, unknown>;
    let clientId = typeof body.client_id === 'string' ? body.client_id : undefined;
    let clientSecret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
    const basic = /^Basic\s+(.+)$/i.exec(req.get('authorization') ?? '');
    if (basic) {
      const [id, ...rest] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id);
      clientSecret = decodeURIComponent(rest.join(':'));
    }
    if (body.grant_type === undefined) return oauthError(res, 400, 'invalid_request');
    if (body.grant_type !== 'client_credentials') return oauthError(res, 400, 'unsupported_grant_type');
    const current = issuer();
    if (clientId !== current.clientId || clientSecret === undefined || !sameText(clientSecret, current.clientSecret)) {
      return oauthError(res, 400, 'invalid_client');
    }
    if (typeof body.scope === 'string' && body.scope.split(' ').some((s) => s !== '' && s !== SCOPE)) return oauthError(res, 400, 'invalid_scope');
    res.set('Cache-Control', 'no-store').json({
      access_token: issue(current, `${req.protocol}://${req.get('host')}`),
      expires_in: current.lifetimeS,
      token_type: 'Bearer',
      scope: SCOPE,
    });
  };
}
