import { untilAborted } from './deadline';
import { HttpError } from './errors';
import type { AuthProvider, HeaderMap, HttpClient } from './http-client';

export interface ClientCredentialsOptions {
  /** An HttpClient of the token endpoint's host (e.g. system "hogia-id", baseUrl https://id.hogia.se). */
  client: HttpClient;
  /** Token endpoint path under the client's baseUrl, e.g. "/connect/token". */
  tokenPath: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** Default "client_credentials"; Zoom's server-to-server OAuth uses "account_credentials". */
  grantType?: string;
  /** Further form fields (e.g. { account_id } for Zoom). */
  extraParams?: Record<string, string>;
  /** How the client authenticates: HTTP Basic (RFC 6749 2.3.1, the default) or fields in the form body. */
  clientAuth?: 'basic' | 'body';
  /** Refresh this long before the token expires. Default 60 s (at most half the token's lifetime). */
  refreshMarginMs?: number;
  /** Lifetime assumed when the server sends no expires_in. Default 300 s. */
  defaultExpiresInS?: number;
}

interface CachedToken {
  value: string;
  refreshAt: number;
}

/**
 * OAuth2 client-credentials tokens for an HttpClient's `auth` option: one token is cached until
 * shortly before `expires_in`, concurrent callers share one token request, and a 401 from the API
 * drops the token so the call is repeated once with a fresh one.
 */
export class ClientCredentialsTokenProvider implements AuthProvider {
  private cached: CachedToken | undefined;
  private pending: Promise<CachedToken> | undefined;

  constructor(private readonly options: ClientCredentialsOptions) {}

  /** A valid access token, fetched when none is cached or the cached one is about to expire. */
  async token(signal?: AbortSignal): Promise<string> {
    const now = Date.now();
    if (this.cached && now < this.cached.refreshAt) return this.cached.value;
    if (!this.pending) {
      // Shared by every caller, so no one caller's signal cancels it; each caller stops waiting on its own.
      this.pending = this.fetchToken().finally(() => {
        this.pending = undefined;
      });
    }
    const pending = this.pending;
    const token = await (signal ? untilAborted(pending, signal) : pending);
    return token.value;
  }

  async headers(signal?: AbortSignal): Promise<HeaderMap> {
    return { authorization: `Bearer ${await this.token(signal)}` };
  }

  /** Drops the cached token if it is the one that was refused (a newer one is kept). */
  invalidate(refused?: HeaderMap): void {
    if (!this.cached) return;
    const refusedAuth = refused?.authorization ?? refused?.Authorization;
    if (refusedAuth === undefined || refusedAuth === `Bearer ${this.cached.value}`) this.cached = undefined;
  }

  private async fetchToken(): Promise<CachedToken> {
    const o = this.options;
    const form: Record<string, string | undefined> = {
      grant_type: o.grantType ?? 'client_credentials',
      scope: o.scope,
      ...(o.extraParams ?? {}),
    };
    const headers: HeaderMap = {};
    if ((o.clientAuth ?? 'basic') === 'basic') {
      const creds = `${formEncode(o.clientId)}:${formEncode(o.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(creds).toString('base64')}`;
    } else {
      form.client_id = o.clientId;
      form.client_secret = o.clientSecret;
    }
    const requestedAt = Date.now();
    // Asking for a token twice does no harm, so the POST may be retried.
    const res = await o.client.request<unknown>({ method: 'POST', path: o.tokenPath, form, headers, idempotent: true });
    const body = res.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    const accessToken = body?.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new HttpError({
        system: o.client.system, status: res.status, method: 'POST', route: o.tokenPath, headers: res.headers,
        detail: 'the token response has no access_token',
      });
    }
    const expiresInS = Number(body?.expires_in ?? o.defaultExpiresInS ?? 300);
    const lifetimeMs = Number.isFinite(expiresInS) && expiresInS > 0 ? expiresInS * 1000 : 0;
    const margin = Math.min(o.refreshMarginMs ?? 60_000, lifetimeMs / 2);
    const token = { value: accessToken, refreshAt: requestedAt + lifetimeMs - margin };
    this.cached = token;
    return token;
  }
}

/** application/x-www-form-urlencoded encoding of a credential (RFC 6749 2.3.1). */
function formEncode(s: string): string {
  return new URLSearchParams({ v: s }).toString().slice(2);
}

