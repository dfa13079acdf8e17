import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type KeyLike } from 'jose';
import { codes, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const ISSUER = 'https://login.example.test/6f1c0b1e-tenant/v2.0';
const AUDIENCE = 'api://dsr-gateway';
const NAME = 'karin.lindqvist@example.se';
const ME = '{ me { name roles } }';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  jwk: JWK;
}

async function signingKey(kid: string, alg: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The identity provider's key endpoint: serves whatever keys are published now, counts fetches. */
function jwksServer(published: () => JWK[]): Promise<{ server: Server; url: string; fetches: () => number }> {
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/discovery/v2.0/keys') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published() }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`, fetches: () => fetches })),
  );
}

const now = () => Math.floor(Date.now() / 1000);

function token(key: SigningKey, claims: Record<string, unknown> = {}, opts: { issuer?: string; audience?: string; exp?: number; sub?: string } = {}): Promise<string> {
  return new SignJWT({ preferred_username: NAME, roles: ['Dsr.Operator', 'Dsr.Approver'], ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? AUDIENCE)
    .setSubject(opts.sub ?? 'b7a4c1d2-0000-4000-8000-00000000a11c')
    .setIssuedAt(now() - 300)
    .setExpirationTime(opts.exp ?? now() + 3600)
    .sign(key.privateKey);
}

/** Access tokens of a company identity provider (Entra ID style: app roles in `roles`), real signatures. */
describe('sign-in with the identity provider (OIDC access tokens)', () => {
  let gw: TestGateway;
  let idp: Awaited<ReturnType<typeof jwksServer>>;
  let rsa: SigningKey;
  let ec: SigningKey;
  let published: JWK[];
  const used: string[] = [];
  const call = async (jwt: string, query = ME) => {
    used.push(jwt);
    return gw.gql(jwt, query);
  };

  beforeAll(async () => {
    rsa = await signingKey('rsa-2026-01', 'RS256');
    ec = await signingKey('ec-2026-01', 'ES256');
    published = [rsa.jwk, ec.jwk];
    idp = await jwksServer(() => published);
    gw = await startTestGateway({
      env: {
        DSR_OIDC_ISSUER: ISSUER,
        DSR_OIDC_AUDIENCE: AUDIENCE,
        DSR_OIDC_JWKS_URL: idp.url,
        DSR_OIDC_ROLE_MAP: 'Dsr.Viewer=VIEWER,Dsr.Operator=OPERATOR,Dsr.Approver=APPROVER,Dsr.Auditor=AUDITOR',
        DSR_OIDC_CLOCK_SKEW_S: '60',
        DSR_OIDC_JWKS_COOLDOWN_S: '0',
      },
    });
  });
  afterAll(async () => {
    await gw.close();
    await new Promise((r) => idp.server.close(r));
  });

  it('accepts a valid token, names the operator from the claim and maps its app roles', async () => {
    const res = await call(await token(rsa));
    expect(res.errors).toBeUndefined();
    expect(res.data.me).toEqual({ name: NAME, roles: expect.arrayContaining(['OPERATOR', 'APPROVER']) });
    expect(res.data.me.roles).toHaveLength(2);

    // an ES256 key of the same key set works too
    const viaEc = await call(await token(ec, { roles: ['Dsr.Auditor'] }));
    expect(viaEc.data.me).toEqual({ name: NAME, roles: ['AUDITOR'] });
  });

  it('audits what the operator does under the name from the token', async () => {
    const jwt = await token(rsa);
    const res = await call(jwt, '{ subject(input: {appUserId: "3"}) { found } }');
    expect(res.errors).toBeUndefined();
    const audit = await gw.gql(TOKENS.AUDITOR, '{ auditEvents(first: 20) { edges { node { actor action } } } }');
    const mine = audit.data.auditEvents.edges.map((e: any) => e.node).filter((n: any) => n.actor === NAME);
    expect(mine.map((n: any) => n.action)).toContain('subject.viewed');
  });

  it('still accepts the configured static operator tokens', async () => {
    const res = await gw.gql(TOKENS.OPERATOR, ME);
    expect(res.data.me).toEqual({ name: 'olivia', roles: ['OPERATOR'] });
  });

  it('falls back to sub when the token has no preferred_username', async () => {
    const res = await call(await token(rsa, { preferred_username: undefined }, { sub: 'svc-dsr-exporter' }));
    expect(res.data.me.name).toBe('svc-dsr-exporter');
  });

  const refused: [string, () => Promise<string>][] = [
    ['another audience', () => token(rsa, {}, { audience: 'api://someone-else' })],
    ['another issuer', () => token(rsa, {}, { issuer: 'https://login.example.test/other-tenant/v2.0' })],
    ['expired beyond the clock skew', () => token(rsa, {}, { exp: now() - 120 })],
    ['no expiry', () => new SignJWT({ preferred_username: NAME, roles: ['Dsr.Operator'] }).setProtectedHeader({ alg: 'RS256', kid: rsa.kid }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(rsa.privateKey)],
    ['alg none', async () => new UnsecuredJWT({ preferred_username: NAME, roles: ['Dsr.Operator'] }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(now() + 3600).encode()],
    ['signed by a key not in the key set', async () => token(await signingKey('rsa-rogue', 'RS256'))],
    ['signed by another key under a published kid', async () => token({ ...(await signingKey(rsa.kid, 'RS256')) })],
    [
      'HS256 keyed with the public key',
      async () =>
        new SignJWT({ preferred_username: NAME, roles: ['Dsr.Operator'] })
          .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime(now() + 3600)
          .sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey))),
    ],
    ['a tampered payload', async () => {
      const [h, , s] = (await token(rsa, { roles: ['Dsr.Viewer'] })).split('.');
      const forged = Buffer.from(JSON.stringify({ preferred_username: NAME, roles: ['Dsr.Auditor'], iss: ISSUER, aud: AUDIENCE, exp: now() + 3600 })).toString('base64url');
      return `${h}.${forged}.${s}`;
    }],
  ];
  for (const [what, make] of refused) {
    it(`refuses a token with ${what}: UNAUTHENTICATED, with a message that does not say why`, async () => {
      const res = await call(await make());
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.errors![0]!.message).toBe('A valid bearer token is required');
      expect(res.data).toBeNull();
    });
  }

  it('accepts a token expired within the clock skew', async () => {
    const res = await call(await token(rsa, {}, { exp: now() - 20 }));
    expect(res.errors).toBeUndefined();
    expect(res.data.me.name).toBe(NAME);
  });

  it('picks up a new signing key once the provider publishes it', async () => {
    const next = await signingKey('rsa-2026-07', 'RS256');
    const jwt = await token(next);
    expect(codes(await call(jwt))).toEqual(['UNAUTHENTICATED']); // not published yet
    const before = idp.fetches();
    published = [rsa.jwk, ec.jwk, next.jwk];
    const res = await call(jwt);
    expect(res.errors).toBeUndefined();
    expect(res.data.me.name).toBe(NAME);
    expect(idp.fetches()).toBe(before + 1);
    // the known keys are served from the cache
    await call(await token(rsa));
    expect(idp.fetches()).toBe(before + 1);
  });

  it('gives no role for an app role that is not mapped: FORBIDDEN where a role is needed', async () => {
    const jwt = await token(rsa, { roles: ['Dsr.Superuser', 'Finance.Reader'] });
    const me = await call(jwt);
    expect(me.data.me).toEqual({ name: NAME, roles: [] });
    const subject = await call(jwt, '{ subject(input: {appUserId: "3"}) { found } }');
    expect(codes(subject)).toEqual(['FORBIDDEN']);
  });

  it('never writes a token or the operator e-mail to the log', async () => {
    expect(used.length).toBeGreaterThan(10);
    const log = gw.logs.join('');
    // each refusal is logged at debug level with its reason, never the token
    const reasons = gw.logs.filter((l) => l.includes('an access token was refused')).map((l) => JSON.parse(l).reason as string);
    expect(reasons).toEqual(expect.arrayContaining(['ERR_JWT_CLAIM_VALIDATION_FAILED:aud', 'ERR_JWT_CLAIM_VALIDATION_FAILED:iss', 'ERR_JWT_EXPIRED', 'ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED']));
    for (const jwt of used) {
      expect(log).not.toContain(jwt);
      expect(log).not.toContain(jwt.split('.')[2]!.slice(0, 40) || jwt);
    }
    for (const t of Object.values(TOKENS)) expect(log).not.toContain(t);
    expect(log).not.toContain(NAME);
  });
});
