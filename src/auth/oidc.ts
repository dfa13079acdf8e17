import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcSettings, RoleName } from '../config';
import type { Logger } from '../logger';
import type { Operator } from './operators';

/** Asymmetric algorithms only: never `none`, never an HMAC keyed with something public. */
export const OIDC_ALGORITHMS = ['RS256', 'ES256', 'PS256'];

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * Verifies access tokens of the company's identity provider (OIDC / OAuth 2 JWTs) against its
 * published keys: signature, issuer, audience, expiry and not-before (with a clock skew). The key
 * set is cached and fetched again when a token names a key it does not hold (key rotation), at
 * most once per cool-down. The operator's roles come from one claim, mapped by configuration.
 */
export class OidcVerifier {
  private keys: Promise<KeySet> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly logger: Logger,
  ) {}

  /** True for a value shaped like a JWT (three base64url parts). */
  static looksLikeJwt(token: string): boolean {
    return JWT_SHAPE.test(token);
  }

  /** The operator for a verified token; undefined (and a debug line without the token) otherwise. */
  async authenticate(token: string): Promise<Operator | undefined> {
    let payload: JWTPayload;
    try {
      const keys = await this.keySet();
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audiences,
        algorithms: OIDC_ALGORITHMS,
        clockTolerance: this.settings.clockSkewS,
        requiredClaims: ['exp'],
      }));
    } catch (e) {
      if (isProviderFailure(e)) this.logger.warn({ reason: reasonOf(e) }, "the identity provider's keys could not be fetched");
      else this.logger.debug({ reason: reasonOf(e) }, 'an access token was refused');
      return undefined;
    }
    const name = this.nameOf(payload);
    if (!name) {
      this.logger.debug({ reason: 'no operator name claim' }, 'an access token was refused');
      return undefined;
    }
    return { name, roles: this.rolesOf(payload) };
  }

  private nameOf(payload: JWTPayload): string | undefined {
    for (const claim of this.settings.nameClaims) {
      const v = payload[claim];
      if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 200);
    }
    return undefined;
  }

  private rolesOf(payload: JWTPayload): RoleName[] {
    const raw = payload[this.settings.rolesClaim];
    const values = Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : typeof raw === 'string' ? raw.split(' ') : [];
    const roles = new Set<RoleName>();
    for (const v of values) for (const r of this.settings.roleMap[v] ?? []) roles.add(r);
    return [...roles];
  }

  private keySet(): Promise<KeySet> {
    this.keys ??= this.locateKeys().then(
      (url) =>
        createRemoteJWKSet(url, {
          cooldownDuration: this.settings.jwksCooldownS * 1000,
          cacheMaxAge: this.settings.jwksMaxAgeS * 1000,
          timeoutDuration: 5000,
        }),
      (e: unknown) => {
        this.keys = undefined; // the provider may be back on the next call
        throw e;
      },
    );
    return this.keys;
  }

  /** DSR_OIDC_JWKS_URL, or the jwks_uri of the issuer's discovery document. */
  private async locateKeys(): Promise<URL> {
    if (this.settings.jwksUrl) return new URL(this.settings.jwksUrl);
    const res = await fetch(`${this.settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new DiscoveryError(`discovery answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== this.settings.issuer) throw new DiscoveryError('discovery names another issuer');
    if (typeof doc.jwks_uri !== 'string') throw new DiscoveryError('discovery has no jwks_uri');
    return new URL(doc.jwks_uri);
  }
}

class DiscoveryError extends Error {
  override name = 'DiscoveryError';
}

/** The provider's keys could not be had (as opposed to a token that is wrong). */
function isProviderFailure(e: unknown): boolean {
  if (e instanceof DiscoveryError || e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid) return true;
  return !(e instanceof joseErrors.JOSEError);
}

/** Why a token was refused, as a fixed code (never the token or its claims). */
function reasonOf(e: unknown): string {
  if (e instanceof joseErrors.JOSEError) {
    const claim = e instanceof joseErrors.JWTClaimValidationFailed ? `:${e.claim}` : '';
    return `${e.code}${claim}`;
  }
  if (e instanceof DiscoveryError) return `discovery: ${e.message}`;
  return (e as Error)?.name ?? 'error';
}
