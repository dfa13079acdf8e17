import { seedAppDatabase } from '../../simulators/app-db/seed';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { startChildGateway, type ChildGateway } from '../support/child-gateway';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/databases';
import { HMAC_KEY, OPERATORS, TOKENS } from '../support/gateway';

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  text: string;
}

/** The compiled gateway as it runs in production (NODE_ENV=production): nothing about its inside leaks. */
describe('the gateway in production mode', () => {
  const tmp = tempDir('prod');
  let store: TestDatabase;
  let app: TestDatabase;
  let gw: ChildGateway;
  let url: string;
  let stdout = '';

  beforeAll(async () => {
    store = await createTestDatabase('prod_store', tmp.dir);
    app = await createTestDatabase('prod_app', tmp.dir);
    const ds = createSqlDataSource(parseDatabaseUrl(app.url));
    await ds.initialize();
    await seedAppDatabase(ds, parseDatabaseUrl(app.url).kind, { users: 20, events: 200 });
    await ds.destroy();
    gw = startChildGateway({
      NODE_ENV: 'production',
      DSR_DATA_DIR: tmp.dir,
      DSR_PORT: '0',
      DSR_DATABASE_URL: store.url,
      DSR_APP_DATABASE_URL: app.url,
      DSR_OPERATORS: OPERATORS,
      DSR_HMAC_KEY: HMAC_KEY,
      DSR_PUBLIC_URL: 'https://dsr.example.se',
      DSR_LOG_LEVEL: 'info',
    });
    gw.proc.stdout.on('data', (d) => (stdout += d));
    url = await gw.url;
  });
  afterAll(async () => {
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    await store.drop();
    await app.drop();
    tmp.remove();
  });

  const call = async (query: string, token: string = TOKENS.AUDITOR, variables?: Record<string, unknown>): Promise<Answer> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
  };

  it('refuses introspection', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Query") { fields { name } } }']) {
      const res = await call(query);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors!.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT' }]);
      expect(res.body.errors![0]!.message).toMatch(/introspection is not allowed/);
      expect(res.text).not.toMatch(/"(Query|Mutation|Subject|fields)"/);
    }
    expect((await call('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
  });

  it('suggests no field names for a misspelt field', async () => {
    const res = await call('{ me { nmae } }');
    expect(res.body.errors!.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT' }]);
    expect(res.text).not.toMatch(/Did you mean/i);
    expect(res.text).not.toContain('"name"');
    const arg = await call('{ auditEvents(frist: 1) { edges { node { id } } } }');
    expect(arg.text).not.toMatch(/Did you mean|first/);
    // nor for a misspelt input field in a variable
    const variable = await call('query($i: SubjectInput!) { subject(input: $i) { found } }', TOKENS.OPERATOR, { i: { emial: 'a@b.se' } });
    expect(variable.body.errors!.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT' }]);
    expect(variable.text).toMatch(/emial/);
    expect(variable.text).not.toMatch(/Did you mean|"email"/);
  });

  it('masks an internal error: INTERNAL_SERVER_ERROR, no stack, no database text', async () => {
    // the store loses a table under the running gateway: a real failure deep inside a query
    const ds = createSqlDataSource(parseDatabaseUrl(store.url));
    await ds.initialize();
    await ds.query('ALTER TABLE dsr_requests RENAME TO dsr_requests_gone');
    await ds.destroy();
    const res = await call('{ requests(first: 5) { totalCount } }', TOKENS.VIEWER);
    expect(res.body.errors).toEqual([{ message: 'Internal server error', locations: [{ line: 1, column: 3 }], path: ['requests'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(res.text).not.toMatch(/dsr_requests|SELECT|no such table|doesn't exist|stack|\.ts:|\.js:/i);
    // the log names the error's kind only (the line may reach the pipe after the answer)
    const logged = () => stdout.split('\n').filter((l) => l.includes('unexpected error in a GraphQL operation'));
    for (const until = Date.now() + 10_000; logged().length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    expect(logged()).toHaveLength(1);
    expect(logged()[0]).toContain('"errorName":"QueryFailedError"');
    expect(logged()[0]).not.toMatch(/dsr_requests|SELECT/);
  });

  it('sends security headers, HSTS behind https, and no landing page', async () => {
    const res = await call('{ me { name } }');
    expect(res.body.data).toEqual({ me: { name: 'astrid' } });
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toMatch(/html/);
    expect(await page.text()).not.toMatch(/<script/i);
  });

  it('answers no CORS preflight (no origins configured)', async () => {
    const res = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://intranet.example.se', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('keeps tokens out of its log', () => {
    for (const t of Object.values(TOKENS)) expect(stdout).not.toContain(t);
    expect(stdout).not.toContain(HMAC_KEY);
  });
});
