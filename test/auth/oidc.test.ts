import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { OidcVerifier } from '../../src/auth/oidc';
import type { OidcSettings } from '../../src/config';
import { createLogger } from '../../src/logger';

/** The key set found through the issuer's discovery document, as with Entra ID or Keycloak. */
describe('OidcVerifier with discovery', () => {
  let server: Server;
  let base: string;
  let discovery: () => { status: number; body: unknown };
  const logs: string[] = [];
  const logger = createLogger('debug', new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  let sign: (claims: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('PS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'PS256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === '/realms/staff/.well-known/openid-configuration') {
        const d = discovery();
        res.writeHead(d.status, { 'content-type': 'application/json' }).end(JSON.stringify(d.body));
      } else if (req.url === '/realms/staff/certs') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/staff`;
    sign = (claims) =>
      new SignJWT({ preferred_username: 'ops-lead', realm_roles: 'dsr-operator offline_access', ...claims })
        .setProtectedHeader({ alg: 'PS256', kid: 'k1' })
        .setIssuer(base)
        .setAudience('dsr-gateway')
        .setExpirationTime('10m')
        .sign(privateKey);
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const verifier = () => {
    const settings: OidcSettings = {
      issuer: base,
      audiences: ['dsr-gateway'],
      rolesClaim: 'realm_roles',
      roleMap: { 'dsr-operator': ['OPERATOR'] },
      nameClaims: ['preferred_username', 'sub'],
      clockSkewS: 0,
      jwksCooldownS: 30,
      jwksMaxAgeS: 600,
    };
    return new OidcVerifier(settings, logger);
  };

  it('finds the keys through the discovery document and reads space-separated roles', async () => {
    discovery = () => ({ status: 200, body: { issuer: base, jwks_uri: `${base}/certs` } });
    expect(await verifier().authenticate(await sign({}))).toEqual({ name: 'ops-lead', roles: ['OPERATOR'] });
  });

  it('refuses every token while discovery fails or names another issuer, and recovers when it is back', async () => {
    const v = verifier();
    const jwt = await sign({});
    discovery = () => ({ status: 503, body: {} });
    expect(await v.authenticate(jwt)).toBeUndefined();
    discovery = () => ({ status: 200, body: { issuer: 'https://evil.example.com', jwks_uri: `${base}/certs` } });
    expect(await v.authenticate(jwt)).toBeUndefined();
    const warnings = logs.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.reason)).toEqual(['discovery: discovery answered 503', 'discovery: discovery names another issuer']);
    discovery = () => ({ status: 200, body: { issuer: base, jwks_uri: `${base}/certs` } });
    expect((await v.authenticate(jwt))?.name).toBe('ops-lead');
  });

  it('tells a JWT from an opaque token', () => {
    expect(OidcVerifier.looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toBe(true);
    expect(OidcVerifier.looksLikeJwt('operator-token-0123456789abcd')).toBe(false);
  });
});
