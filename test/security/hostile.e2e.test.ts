import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { normalisedEmail } from '../../simulators/people';
import { sampleSubjects } from '../../simulators/world';
import { startTestGateway, TOKENS, type TestGateway } from '../support/gateway';
import { buildCorpus, GROUPS, type Fixtures, type HostileCase, type Probe, type Who } from './corpus';

/**
 * Plays the hostile input corpus against one gateway with the simulators. Every answer must carry
 * the expected contract code or HTTP status, never a 500 or INTERNAL_SERVER_ERROR, no stack trace,
 * SQL or upstream text, and no sample subject's data other than the one asked for; afterwards the
 * process must still be healthy and the audit chain intact.
 */

const ISSUER = 'https://login.example.test/tenant/v2.0';
const AUDIENCE = 'api://dsr-gateway';

const TOKEN: Record<Who, string | null> = { VIEWER: TOKENS.VIEWER, OPERATOR: TOKENS.OPERATOR, APPROVER: TOKENS.APPROVER, AUDITOR: TOKENS.AUDITOR, none: null };

/** Text that must never reach a client: stack frames, source paths, SQL and driver errors, upstream failures. */
const LEAKS = [
  /\bat [\w.$<>]+ \(/,
  /node_modules|\/src\/|\.ts:\d+|\.js:\d+/,
  /SQLITE_|\bER_[A-Z_]{3,}|QueryFailedError|EntityNotFound|sqlMessage/,
  /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b.*\b(FROM|VALUES|SET|WHERE)\b/,
  /TypeError|ReferenceError|RangeError|SyntaxError: Unexpected|Maximum call stack/,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up/,
  /PayloadTooLargeError|stream encoding|UnsupportedMediaTypeError/,
];

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json?: any;
}

describe('security: the hostile input corpus', () => {
  let gw: TestGateway;
  let fx: Fixtures;
  const corpus = buildCorpus();
  const gql = async (who: Who, query: string, variables?: Record<string, unknown>) => {
    const res = await gw.gql(TOKEN[who], query, variables);
    expect(res.errors).toBeUndefined();
    return res.data;
  };

  /** The sample subjects' identifying text, by ref, to find any of them in an answer. */
  let markers: Map<string, string[]>;

  const settled = async (id: string) => {
    let last: unknown;
    for (const until = Date.now() + 240_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      const { request } = await gql('OPERATOR', 'query($id: ID!) { request(id: $id) { status tasks { system status attempts lastError } } }', { id });
      if (['COMPLETED', 'PARTIALLY_COMPLETED'].includes(request.status)) return request.status as string;
      last = request;
    }
    throw new Error(`request did not finish: ${JSON.stringify(last)}`);
  };
  const exportWithLink = async (email: string) => {
    const { submitRequest } = await gql('OPERATOR', 'mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id } }', {
      input: { type: 'ACCESS', subject: { email }, verification: 'logged-in app session' },
    });
    expect(await settled(submitRequest.id)).toBe('COMPLETED');
    const { createDownloadLink } = await gql('OPERATOR', 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id: submitRequest.id });
    const token = new URL(createDownloadLink.url).searchParams.get('token')!;
    // the link works before it is attacked
    const res = await fetch(`${gw.url}/exports/${submitRequest.id}/download?token=${token}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return { id: submitRequest.id as string, token };
  };

  let jwks: Server;

  /** A stand-in for the company's identity provider: one published RSA key, and one it never published. */
  async function identityProvider(): Promise<{ url: string; idp: Fixtures['idp'] }> {
    const published = await generateKeyPair('RS256', { extractable: true });
    const foreign = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(published.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const now = () => Math.floor(Date.now() / 1000);
    return {
      url: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys`,
      idp: {
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKeyPem: await exportSPKI(published.publicKey),
        sign: (opts = {}) => {
          const token = new SignJWT({ preferred_username: 'mallory@example.se', roles: ['Dsr.Operator'], ...opts.claims })
            .setProtectedHeader({ alg: 'RS256', kid: 'idp-1', typ: 'JWT', ...opts.header })
            .setIssuer(opts.issuer ?? ISSUER)
            .setAudience(opts.audience ?? AUDIENCE)
            .setSubject('0b1c2d3e-mallory')
            .setIssuedAt(now() - 60);
          if (opts.exp !== null) token.setExpirationTime(opts.exp ?? now() + 3600);
          return token.sign(opts.foreignKey ? foreign.privateKey : published.privateKey);
        },
      },
    };
  }

  beforeAll(async () => {
    const { url: jwksUrl, idp } = await identityProvider();
    gw = await startTestGateway({
      simulators: true,
      env: { DSR_OIDC_ISSUER: ISSUER, DSR_OIDC_AUDIENCE: AUDIENCE, DSR_OIDC_JWKS_URL: jwksUrl, DSR_OIDC_ROLE_MAP: 'Dsr.Operator=OPERATOR,Dsr.Viewer=VIEWER' },
    });
    const world = gw.simulators!.world();
    const samples = sampleSubjects(world);
    const phones = new Map(world.cast.people.map((p) => [p.ref, p.phone]));
    markers = new Map(samples.map((s) => [s.ref, [normalisedEmail(s.email), s.name, s.ids.crmPersonId, phones.get(s.ref)].filter((m): m is string => !!m)]));
    const bySample = (ref: string) => {
      const s = samples.find((x) => x.ref === ref)!;
      return { email: s.email, ...s.ids };
    };
    const anna = await exportWithLink(bySample('app-1').email);
    const erik = await exportWithLink(bySample('app-2').email);
    const erasure = await gql('OPERATOR', 'mutation { submitRequest(input: {type: ERASURE, subject: {email: "nobody@nowhere.example"}, verification: "signed letter"}) { id } }');
    const requestsCursor = (await gql('VIEWER', '{ requests(first: 1) { edges { cursor } } }')).requests.edges[0].cursor;
    const auditCursor = (await gql('AUDITOR', '{ auditEvents(first: 1) { edges { cursor } } }')).auditEvents.edges[0].cursor;
    const activityCursor = (await gql('OPERATOR', '{ subject(input: {appUserId: "1"}) { activity(first: 1) { edges { cursor } } } }')).subject.activity.edges[0].cursor;
    fx = {
      annaRequest: anna.id,
      annaToken: anna.token,
      erikRequest: erik.id,
      erikToken: erik.token,
      pendingErasure: erasure.submitRequest.id,
      baseUrl: gw.url,
      tokens: { VIEWER: TOKENS.VIEWER, OPERATOR: TOKENS.OPERATOR, APPROVER: TOKENS.APPROVER, AUDITOR: TOKENS.AUDITOR },
      idp,
      requestsCursor,
      auditCursor,
      activityCursor,
      sample: bySample,
      expireLinks: async (requestId) => {
        await gw.gateway.store.query('UPDATE download_links SET expires_at = ? WHERE request_id = ?', [new Date(Date.now() - 1000).toISOString(), requestId]);
      },
    };
  }, 600_000);
  afterAll(async () => {
    await gw?.close();
    jwks?.close();
  });

  async function send(probe: Probe): Promise<Answer> {
    if (probe.kind === 'raw') return sendRaw(probe.bytes);
    const init: RequestInit =
      probe.kind === 'gql'
        ? {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(TOKEN[probe.as ?? 'OPERATOR'] ? { authorization: `Bearer ${TOKEN[probe.as ?? 'OPERATOR']}` } : {}) },
            body: JSON.stringify({ query: probe.query, variables: probe.variables, operationName: probe.operationName }),
          }
        : { method: probe.method ?? 'GET', headers: probe.headers, body: probe.body };
    const res = await fetch(`${gw.url}${probe.kind === 'gql' ? '/graphql' : probe.path}`, { ...init, redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, headers: Object.fromEntries(res.headers), text, json: parseJson(text) };
  }

  function sendRaw(bytes: string): Promise<Answer> {
    const { hostname, port } = new URL(gw.url);
    const [first, ...rest] = bytes.split('\r\n');
    const wire = [first, `Host: ${hostname}:${port}`, 'Connection: close', ...rest].join('\r\n');
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(Number(port), hostname, () => socket.end(Buffer.from(wire, 'latin1')));
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const all = Buffer.concat(chunks).toString('utf8');
        const [head = '', ...body] = all.split('\r\n\r\n');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
        const headers = Object.fromEntries(head.split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const text = body.join('\r\n\r\n');
        resolve({ status, headers, text, json: parseJson(text) });
      });
    });
  }

  /** The answer without the identifiers the caller gave (echoed back with source "input"). */
  function withoutEcho(json: unknown): string {
    return JSON.stringify(json, (_k, v) => (v && typeof v === 'object' && v.source === 'input' && 'kind' in v ? undefined : v));
  }

  function assertNoForeignSubject(answer: Answer, allowed?: string) {
    const text = answer.json === undefined ? answer.text : withoutEcho(answer.json);
    const own = new Set(allowed ? markers.get(allowed) : []);
    for (const [ref, list] of markers) {
      if (ref === allowed) continue;
      for (const m of list) if (!own.has(m)) expect({ leaked: ref, found: text.toLowerCase().includes(m.toLowerCase()) }).toEqual({ leaked: ref, found: false });
    }
  }

  /** An answer that finds nobody: null, found: false, no steps with records, no edges. */
  function isEmpty(value: any): boolean {
    if (value === null) return true;
    if (Array.isArray(value)) return value.every(isEmpty);
    if (typeof value !== 'object') return false;
    if ('found' in value) return value.found === false && (value.systems ?? []).every((s: any) => s.recordCount === 0);
    if ('edges' in value) return value.edges.length === 0;
    if ('steps' in value) return value.steps.every((s: any) => s.records === 0);
    return false;
  }

  async function play(c: HostileCase) {
    const answer = await send(await c.probe(fx));
    const body = answer.json;
    const codes: string[] = (body?.errors ?? []).map((e: any) => e.extensions?.code);

    expect(answer.status).not.toBe(0);
    expect(answer.status).toBeLessThan(500);
    expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
    for (const leak of LEAKS) expect({ leak: String(leak), match: leak.exec(answer.text)?.[0] }).toEqual({ leak: String(leak), match: undefined });
    // a JSON route always answers JSON, never an HTML error page
    if (!c.surface.startsWith('HTTP request line') && !c.surface.startsWith('GET /nowhere') && answer.status !== 400 && answer.status !== 404) {
      expect(answer.headers['content-type'] ?? '').toMatch(/json|zip/);
    }

    const expected = c.expect;
    if ('code' in expected) {
      expect(codes.length).toBeGreaterThan(0);
      expect(new Set(codes)).toEqual(new Set([expected.code]));
      expect(body.data === undefined || body.data === null || Object.values(body.data).every((v) => v === null)).toBe(true);
      if (expected.status) expect(answer.status).toBe(expected.status);
      for (const e of body.errors) {
        // short, and without the hostile value sent back
        expect(e.message.length).toBeLessThan(300);
        expect(e.message).not.toMatch(/OR 1=1|DROP TABLE|yesterday|\.\.\/|\u0000|<script/i);
      }
      assertNoForeignSubject(answer);
    } else if ('status' in expected) {
      expect(answer.status).toBe(expected.status);
      if (expected.status !== 200) expect(answer.headers['content-type'] ?? '').not.toMatch(/zip/);
      assertNoForeignSubject(answer);
    } else if ('noMatch' in expected) {
      expect(body.errors).toBeUndefined();
      expect(Object.values(body.data).every(isEmpty)).toBe(true);
      assertNoForeignSubject(answer);
    } else if ('finds' in expected) {
      expect(body.errors).toBeUndefined();
      const s = body.data.subject;
      expect(s.found).toBe(true);
      const person = fx.sample(expected.finds);
      const ids = s.identifiers.map((i: any) => `${i.kind}:${i.value}`);
      expect(ids).toContain(`email:${normalisedEmail(person.email)}`);
      if (person.appUserId) expect(ids).toContain(`appUserId:${person.appUserId}`);
      if (person.crmPersonId) expect(ids).toContain(`crmPersonId:${person.crmPersonId}`);
      assertNoForeignSubject(answer, expected.finds);
    } else {
      expect(body.errors).toBeUndefined();
      assertNoForeignSubject(answer);
    }
    await c.check?.(body ?? answer.text, fx, answer);
  }

  it(`holds at least 80 cases (${corpus.length}) over every group`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(80);
    expect(new Set(corpus.map((c) => c.group))).toEqual(new Set(GROUPS));
  });

  for (const [i, c] of corpus.entries()) {
    const name = `#${i + 1} [${c.group}] ${c.surface} <- ${c.attack}: ${Object.entries(c.expect).map(([k, v]) => (v === true ? k : `${k} ${v}`)).join(', ')}`;
    it(name, () => play(c), 60_000);
  }

  it('is still healthy afterwards: health, readiness, a normal subject query, an intact audit chain', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    const anna = fx.sample('app-1');
    const { subject } = await gql('OPERATOR', 'query($e: String!) { subject(input: {email: $e}) { found systems { system status } } }', { e: anna.email });
    expect(subject.found).toBe(true);
    // every system answers: the ones that hold Anna show her, the ad audiences cannot tell
    expect(Object.fromEntries(subject.systems.map((s: any) => [s.system, s.status]))).toEqual({ app: 'OK', hogia: 'OK', limego: 'OK', sendgrid: 'OK', zoom: 'OK', linkedin: 'NOT_FOUND', googleads: 'NOT_FOUND' });
    const { verifyAuditChain } = await gql('AUDITOR', '{ verifyAuditChain { ok events firstBrokenEventId } }');
    expect(verifyAuditChain).toMatchObject({ ok: true, firstBrokenEventId: null });
    // nothing reached the unexpected-error path
    expect(gw.logs.filter((l) => l.includes('unexpected error'))).toEqual([]);
  });
});

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
