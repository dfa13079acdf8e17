import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-config-sec-'));
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};
const PROD = { NODE_ENV: 'production', DSR_DATABASE_URL: 'mysql://u:p@db:3306/dsr', DSR_APP_DATABASE_URL: 'mysql://u:p@db:3306/app', DSR_HMAC_KEY: 'k'.repeat(32), DSR_DATA_DIR: dir };
const OIDC = { DSR_OIDC_ISSUER: 'https://login.microsoftonline.com/tenant-id/v2.0', DSR_OIDC_AUDIENCE: 'api://dsr-gateway' };

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('configuration: identity provider, limits, secrets, CORS, shutdown', () => {
  it('has safe defaults', () => {
    const c = loadConfig({ DSR_DATA_DIR: dir });
    expect(c.oidc).toBeUndefined();
    expect(c.limits).toEqual({ maxDepth: 12, maxCost: 250_000, maxAliases: 30, maxTokens: 10_000, bodyLimitKb: 256, subjectsPerMinute: 6000, downloadsPerMinute: 120, subjectCallsAtOnce: 32 });
    expect(c.http).toEqual({ corsOrigins: [], trustProxy: 0, shutdownGraceMs: 10_000 });
  });

  it('reads the identity provider settings and maps roles', () => {
    const c = loadConfig({
      ...OIDC,
      DSR_OIDC_AUDIENCE: 'api://dsr-gateway, 7d2c4f0e-client-id',
      DSR_OIDC_ROLE_MAP: 'Dsr.Operator=OPERATOR, Dsr.Lead=OPERATOR+APPROVER,Dsr.Audit=AUDITOR',
      DSR_OIDC_NAME_CLAIM: 'upn',
      DSR_OIDC_CLOCK_SKEW_S: '30',
      DSR_DATA_DIR: dir,
    });
    expect(c.oidc).toMatchObject({
      issuer: OIDC.DSR_OIDC_ISSUER,
      audiences: ['api://dsr-gateway', '7d2c4f0e-client-id'],
      jwksUrl: undefined,
      rolesClaim: 'roles',
      roleMap: { 'Dsr.Operator': ['OPERATOR'], 'Dsr.Lead': ['OPERATOR', 'APPROVER'], 'Dsr.Audit': ['AUDITOR'] },
      nameClaims: ['upn'],
      clockSkewS: 30,
    });
    // with an identity provider there are no demo operators
    expect(c.operators).toEqual([]);
    expect(loadConfig({ ...OIDC, DSR_DATA_DIR: dir }).oidc!.nameClaims).toEqual(['preferred_username', 'sub']);
  });

  it('refuses incomplete or wrong identity provider settings with one line', () => {
    expect(errorOf({ DSR_OIDC_ISSUER: OIDC.DSR_OIDC_ISSUER })).toBe('DSR_OIDC_AUDIENCE is required with DSR_OIDC_ISSUER: the audience (application ID URI or client id) of the access tokens');
    expect(errorOf({ DSR_OIDC_AUDIENCE: 'api://x' })).toBe('DSR_OIDC_ISSUER is required when other DSR_OIDC_ settings are given');
    expect(errorOf({ DSR_OIDC_ISSUER: 'login.example' })).toBe('DSR_OIDC_ISSUER must be an http(s) URL such as https://login.microsoftonline.com/<tenant>/v2.0');
    expect(errorOf({ ...OIDC, DSR_OIDC_ROLE_MAP: 'Dsr.Operator=ADMIN' })).toBe(
      'DSR_OIDC_ROLE_MAP entries must be claimValue=ROLE[+ROLE] with roles from VIEWER, OPERATOR, APPROVER, AUDITOR (got "Dsr.Operator=ADMIN")',
    );
    expect(errorOf({ ...OIDC, DSR_OIDC_CLOCK_SKEW_S: '3600' })).toBe('DSR_OIDC_CLOCK_SKEW_S must be an integer from 0 to 600 (got "3600")');
  });

  it('in production accepts an identity provider instead of DSR_OPERATORS', () => {
    expect(errorOf(PROD)).toMatch(/^DSR_OPERATORS \(or DSR_OPERATORS_FILE or DSR_OIDC_ISSUER\) is required when NODE_ENV=production/);
    expect(loadConfig({ ...PROD, ...OIDC }).operators).toEqual([]);
    // the signing keys only over TLS in production (fine for a local identity provider in development)
    expect(errorOf({ ...PROD, ...OIDC, DSR_OIDC_JWKS_URL: 'http://127.0.0.1:4173/jwks.json' })).toBe('DSR_OIDC_JWKS_URL must be an https:// URL when NODE_ENV=production');
    expect(errorOf({ ...PROD, ...OIDC, DSR_OIDC_ISSUER: 'http://idp.example/realm' })).toBe('DSR_OIDC_ISSUER must be an https:// URL when NODE_ENV=production');
    expect(loadConfig({ ...OIDC, DSR_DATA_DIR: dir, DSR_OIDC_JWKS_URL: 'http://127.0.0.1:4173/jwks.json' }).oidc!.jwksUrl).toBe('http://127.0.0.1:4173/jwks.json');
  });

  it('reads DSR_OPERATORS and DSR_HMAC_KEY from files, never echoing their content', () => {
    const ops = file('operators', 'ann:OPERATOR:file-token-1-0123456789abcdef\n');
    const key = file('hmac', `${'h'.repeat(40)}\n`);
    const c = loadConfig({ ...PROD, DSR_HMAC_KEY: '', DSR_OPERATORS_FILE: ops, DSR_HMAC_KEY_FILE: key });
    expect(c.operators).toEqual([{ name: 'ann', roles: ['OPERATOR'], token: 'file-token-1-0123456789abcdef' }]);
    expect(c.hmacKey!.toString()).toBe('h'.repeat(40));
    expect(errorOf({ ...PROD, DSR_OPERATORS_FILE: path.join(dir, 'missing') })).toBe('DSR_OPERATORS_FILE: the file cannot be read');
    const bad = file('bad-operators', 'ann:ADMIN:secret-token-xyz');
    const message = errorOf({ ...PROD, DSR_OPERATORS_FILE: bad });
    expect(message).toMatch(/^DSR_OPERATORS entry 1 \("ann"\): role must be one of/);
    expect(message).not.toContain('secret-token-xyz');
  });

  it('reads limits, CORS origins and the shutdown grace period', () => {
    const c = loadConfig({
      DSR_DATA_DIR: dir,
      DSR_GRAPHQL_MAX_DEPTH: '6',
      DSR_GRAPHQL_MAX_COST: '1000',
      DSR_BODY_LIMIT_KB: '64',
      DSR_RATE_LIMIT_SUBJECTS: '100',
      DSR_CORS_ORIGINS: 'https://admin.example.se, http://localhost:5173',
      DSR_TRUST_PROXY: '1',
      DSR_SHUTDOWN_GRACE_MS: '2000',
    });
    expect(c.limits).toMatchObject({ maxDepth: 6, maxCost: 1000, bodyLimitKb: 64, subjectsPerMinute: 100 });
    expect(c.http).toEqual({ corsOrigins: ['https://admin.example.se', 'http://localhost:5173'], trustProxy: 1, shutdownGraceMs: 2000 });
    expect(errorOf({ DSR_CORS_ORIGINS: 'https://admin.example.se/app' })).toBe(
      'DSR_CORS_ORIGINS must list origins such as https://admin.example.se, comma-separated, without paths',
    );
    expect(errorOf({ DSR_GRAPHQL_MAX_DEPTH: '1' })).toBe('DSR_GRAPHQL_MAX_DEPTH must be an integer from 2 to 100 (got "1")');
  });
});
