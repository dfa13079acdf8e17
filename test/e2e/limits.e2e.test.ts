import { getIntrospectionQuery } from 'graphql';
import { codes, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const ADMIN_ORIGIN = 'https://dsr-admin.example.se';

/** Limits on what one request, one operator and one client may ask for, and HTTP hygiene. */
describe('GraphQL and HTTP limits', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        DSR_GRAPHQL_MAX_DEPTH: '4',
        DSR_GRAPHQL_MAX_ALIASES: '5',
        DSR_GRAPHQL_MAX_COST: '5000',
        DSR_GRAPHQL_MAX_TOKENS: '400',
        DSR_BODY_LIMIT_KB: '16',
        DSR_RATE_LIMIT_SUBJECTS: '5',
        DSR_RATE_LIMIT_DOWNLOADS: '2',
        DSR_CORS_ORIGINS: ADMIN_ORIGIN,
      },
    });
  });
  afterAll(() => gw.close());

  const post = (body: string, token: string | null = TOKENS.OPERATOR, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body,
    });

  describe('depth, aliases, cost and size of one operation', () => {
    it('runs an operation at the depth limit and refuses one deeper, also through fragments', async () => {
      expect((await gw.gql(TOKENS.OPERATOR, '{ subject(input: {appUserId: "2"}) { systems { datasets { name } } } }')).errors).toBeUndefined(); // depth 4
      const deep = await gw.gql(TOKENS.VIEWER, '{ requests(first: 1) { edges { node { tasks { system } } } } }');
      expect(codes(deep)).toEqual(['BAD_USER_INPUT']);
      expect(deep.errors![0]!.message).toBe('The operation is nested 5 levels deep; at most 4 are allowed');
      expect(deep.data).toBeUndefined();
      const viaFragments = await gw.gql(TOKENS.VIEWER, '{ requests(first: 1) { ...Page } } fragment Page on DsrRequestConnection { edges { node { ...Node } } } fragment Node on DsrRequest { tasks { system } }');
      expect(codes(viaFragments)).toEqual(['BAD_USER_INPUT']);
      expect(viaFragments.errors![0]!.message).toBe('The operation is nested 5 levels deep; at most 4 are allowed');
    });

    it('lets the standard introspection query through outside production, but no deeper introspection', async () => {
      const standard = await gw.gql(TOKENS.VIEWER, getIntrospectionQuery());
      expect(standard.errors).toBeUndefined();
      expect(standard.data.__schema.queryType.name).toBe('Query');
      const nested = `{ __type(name: "Query") { fields { type ${'{ ofType '.repeat(13)}{ name }${' }'.repeat(13)} } } }`;
      const deeper = await gw.gql(TOKENS.VIEWER, nested);
      expect(codes(deeper)).toEqual(['BAD_USER_INPUT']);
      expect(deeper.errors![0]!.message).toBe('The operation is nested 17 levels deep; at most 15 are allowed for introspection');
    });

    it('refuses more aliases than allowed', async () => {
      const five = Array.from({ length: 5 }, (_, i) => `a${i}: me { name }`).join(' ');
      expect((await gw.gql(TOKENS.VIEWER, `{ ${five} }`)).data.a4.name).toBe('vera');
      const six = await gw.gql(TOKENS.VIEWER, `{ ${five} a5: me { name } }`);
      expect(codes(six)).toEqual(['BAD_USER_INPUT']);
      expect(six.errors![0]!.message).toBe('The operation has 6 aliases; at most 5 are allowed');
    });

    it('weighs a list by its `first` and a batch by its inputs, also when given as variables', async () => {
      const records = 'systems { datasets { records(first: $n) } }';
      const one = await gw.gql(TOKENS.OPERATOR, `query($n: Int) { subject(input: {appUserId: "5"}) { ${records} } }`, { n: 1000 });
      expect(one.errors).toBeUndefined(); // 1 * (1 + 1 + 1 + 1000)
      const ten = await gw.gql(TOKENS.OPERATOR, `query($n: Int, $in: [SubjectInput!]!) { subjects(inputs: $in) { ${records} } }`, {
        n: 1000,
        in: Array.from({ length: 10 }, (_, i) => ({ appUserId: String(i + 1) })),
      });
      expect(codes(ten)).toEqual(['BAD_USER_INPUT']);
      expect(ten.errors![0]!.message).toBe('The operation costs 10030; at most 5000 is allowed (ask for fewer items with first, or fewer subjects)');
      expect(ten.data).toBeUndefined();
      const page = await gw.gql(TOKENS.VIEWER, 'query($n: Int) { requests(first: $n) { edges { node { id } } } }', { n: 5000 });
      expect(codes(page)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses a document with too many tokens', async () => {
      const res = await gw.gql(TOKENS.VIEWER, `{ ${'me { name } '.repeat(120)} }`);
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.message).toMatch(/Document contains more tha[nt] 400 tokens/);
    });

    it('runs one operation per HTTP request: a batch is refused', async () => {
      const res = await post(JSON.stringify([{ query: '{ me { name } }' }, { query: '{ me { roles } }' }]));
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/batching disabled/i);
    });

    it('answers 413 with a JSON error for a body above the limit, 400 for a body that is not JSON', async () => {
      const big = await post(JSON.stringify({ query: '{ me { name } }', variables: { pad: 'x'.repeat(17 * 1024) } }));
      expect(big.status).toBe(413);
      expect(await big.json()).toEqual({ errors: [{ message: 'The request body is larger than 16 KB', extensions: { code: 'BAD_USER_INPUT' } }] });
      const broken = await post('{"query": "{ me { name } }"');
      expect(broken.status).toBe(400);
      expect(await broken.json()).toEqual({ errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_USER_INPUT' } }] });
    });
  });

  describe('rate limits', () => {
    it('limits subject look-ups per operator (a batch counts its subjects): 429, Retry-After, RATE_LIMITED', async () => {
      const subjects = (n: number) =>
        post(JSON.stringify({ query: 'query($in: [SubjectInput!]!) { subjects(inputs: $in) { found } }', variables: { in: Array.from({ length: n }, (_, i) => ({ appUserId: String(i + 1) })) } }), TOKENS.OPERATOR2);
      expect((await subjects(3)).status).toBe(200);
      expect((await subjects(2)).status).toBe(200);
      const over = await subjects(1);
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await over.json()) as { data: unknown; errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors.map((e) => e.extensions)).toEqual([{ code: 'RATE_LIMITED' }]);
      expect(body.data).toBeNull();

      // another operator has a count of their own; other operations are not limited
      const other = await gw.gql(TOKENS.OPERATOR_APPROVER, '{ subject(input: {appUserId: "1"}) { found } }');
      expect(other.errors).toBeUndefined();
      expect((await gw.gql(TOKENS.OPERATOR2, '{ me { name } }')).data.me.name).toBe('otto');
    });

    it('limits downloads per client: 429 with Retry-After', async () => {
      const download = () => fetch(`${gw.url}/exports/00000000-0000-4000-8000-000000000000/download?token=nope`);
      expect((await download()).status).toBe(404);
      expect((await download()).status).toBe(404);
      const over = await download();
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await over.json()) as { errors: { extensions: { code: string } }[] }).errors.map((e) => e.extensions.code)).toEqual(['RATE_LIMITED']);
    });
  });

  describe('HTTP hygiene', () => {
    it('sends security headers on API answers, no HSTS over plain http', async () => {
      for (const res of [await post('{"query":"{ me { name } }"}'), await fetch(`${gw.url}/healthz`)]) {
        expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(res.headers.get('strict-transport-security')).toBeNull();
        expect(res.headers.get('x-powered-by')).toBeNull();
      }
      expect((await post('{"query":"{ me { name } }"}')).headers.get('cache-control')).toBe('no-store');
    });

    it('allows cross-origin calls from the configured origins only', async () => {
      const preflight = (origin: string) =>
        fetch(`${gw.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
      const listed = await preflight(ADMIN_ORIGIN);
      expect(listed.headers.get('access-control-allow-origin')).toBe(ADMIN_ORIGIN);
      expect(listed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
      const other = await preflight('https://evil.example.com');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const call = await post('{"query":"{ me { name } }"}', TOKENS.VIEWER, { origin: 'https://evil.example.com' });
      expect(call.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
