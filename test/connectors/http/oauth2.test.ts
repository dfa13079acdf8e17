import { ClientCredentialsTokenProvider, HttpClient, HttpError } from '../../../src/connectors/http';
import { TestServer, capturingLogger, json, wait } from './test-server';

let idServer: TestServer;
let api: TestServer;
let issued: string[];
let expiresIn: number | undefined;
let accepted: Set<string>;

beforeEach(async () => {
  idServer = await new TestServer().start();
  api = await new TestServer().start();
  issued = [];
  expiresIn = 3600;
  accepted = new Set();
  idServer.handler = async (req, res) => {
    await wait(30);
    const form = new URLSearchParams(req.body);
    if (req.headers.authorization !== `Basic ${Buffer.from('gateway:s3cr%C3%A9t').toString('base64')}` || form.get('grant_type') !== 'client_credentials') {
      return json(res, 401, { error: 'invalid_client' });
    }
    const token = `tok-${issued.length + 1}`;
    issued.push(token);
    accepted.add(token);
    json(res, 200, { access_token: token, token_type: 'Bearer', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }), scope: form.get('scope') });
  };
  // The API answers in Hogia's ProblemDetails shape when the token is missing or no longer accepted.
  api.handler = (req, res) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!accepted.has(token)) return json(res, 401, { type: 'about:blank', title: 'Unauthorized', status: 401 }, { 'content-type': 'application/problem+json' });
    json(res, 200, { token });
  };
});
afterEach(async () => {
  await idServer.close();
  await api.close();
});

function setup(logger?: ReturnType<typeof capturingLogger>['logger']) {
  const tokens = new ClientCredentialsTokenProvider({
    client: new HttpClient({ system: 'hogia-id', baseUrl: idServer.url, logger }),
    tokenPath: '/connect/token',
    clientId: 'gateway',
    clientSecret: 's3crét',
    scope: 'api',
  });
  const hogia = new HttpClient({ system: 'hogia', baseUrl: `${api.url}/org-guid`, auth: tokens, logger });
  return { tokens, hogia };
}

const get = (c: HttpClient) => c.request<{ token: string }>({ method: 'GET', path: '/contacts', query: { number: '1001' } });

describe('ClientCredentialsTokenProvider', () => {
  it('fetches one token and reuses it; concurrent first calls share one token request', async () => {
    const { hogia } = setup();
    const answers = await Promise.all([get(hogia), get(hogia), get(hogia)]);
    await get(hogia);
    expect(answers.map((a) => a.body.token)).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(idServer.hits).toBe(1);
    expect(new URLSearchParams(idServer.requests[0].body).get('scope')).toBe('api');
    expect(idServer.requests[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('refreshes shortly before expires_in', async () => {
    expiresIn = 1; // margin: min(60 s, half the lifetime) = 500 ms
    const { hogia } = setup();
    expect((await get(hogia)).body.token).toBe('tok-1');
    await wait(200);
    expect((await get(hogia)).body.token).toBe('tok-1');
    await wait(400);
    expect((await get(hogia)).body.token).toBe('tok-2');
    expect(idServer.hits).toBe(2);
  });

  it('on a 401 drops the token, gets a new one and repeats the call once', async () => {
    const { hogia } = setup();
    await get(hogia);
    accepted.delete('tok-1'); // revoked upstream before it expired
    expect((await get(hogia)).body.token).toBe('tok-2');
    expect(idServer.hits).toBe(2);
    expect(api.hits).toBe(3);
  });

  it('repeats only once: a second 401 is an HttpError', async () => {
    const { hogia } = setup();
    api.handler = (_req, res) => json(res, 401, { title: 'Unauthorized', status: 401 });
    const e = await get(hogia).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(401);
    expect(api.hits).toBe(2);
    expect(idServer.hits).toBe(2);
  });

  it('a refused client fails with the token endpoint error, and no secret or token reaches the log', async () => {
    const { logger, lines } = capturingLogger();
    const tokens = new ClientCredentialsTokenProvider({
      client: new HttpClient({ system: 'hogia-id', baseUrl: idServer.url, logger }),
      tokenPath: '/connect/token',
      clientId: 'gateway',
      clientSecret: 'wrong-secret',
    });
    const hogia = new HttpClient({ system: 'hogia', baseUrl: api.url, auth: tokens, logger });
    const e = await get(hogia).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HttpError);
    expect((e as Error).message).toBe('hogia-id answered HTTP 401 to POST /connect/token');
    expect(api.hits).toBe(0);

    const good = setup(logger);
    await get(good.hogia);
    const text = lines.join('\n');
    for (const secret of ['wrong-secret', 's3cr', 'tok-1', 'Basic', 'Bearer', 'number=', '1001', 'org-guid']) expect(text).not.toContain(secret);
    expect(text).toContain('"path":"/connect/token"');
    expect(text).toContain('"path":"/contacts"');
  });

  it('sends the credentials in the body when asked, and a caller deadline stops waiting for a token', async () => {
    idServer.handler = async (req, res) => {
      await wait(300);
      const form = new URLSearchParams(req.body);
      json(res, 200, { access_token: `body-${form.get('client_id')}-${form.get('client_secret')}`, expires_in: 60 });
    };
    const tokens = new ClientCredentialsTokenProvider({
      client: new HttpClient({ system: 'hogia-id', baseUrl: idServer.url }),
      tokenPath: '/connect/token',
      clientId: 'gateway',
      clientSecret: 'x',
      clientAuth: 'body',
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(tokens.token(controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(await tokens.token()).toBe('body-gateway-x');
    expect(idServer.hits).toBe(1); // the shared request went on for the next caller
  });
});
