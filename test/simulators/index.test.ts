import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startSimulators, writeDemoCredentials } from '../../simulators';
import { startSendGridSimulator } from '../../simulators/sendgrid';
import { http, jsonBody, TempDirs, TEST_USERS } from './helpers';

const SECRETS = new Set(['apiKey', 'clientSecret', 'signingKey', 'organizationGuid', 'accessToken', 'developerToken', 'clientId', 'refreshToken', 'accessTokens']);
const stateWithoutSecrets = (dataDir: string, name: string) =>
  JSON.parse(readFileSync(path.join(dataDir, 'simulators', `${name}.json`), 'utf8'), (k, v) => (SECRETS.has(k) ? undefined : v));

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

describe('startSimulators', () => {
  it('starts the three simulators on one data dir and writes demo-credentials.json', async () => {
    const dataDir = dirs.make();
    const sims = await startSimulators({ dataDir, users: TEST_USERS, rateLimits: { limego: { limit: 100, windowMs: 1000 } } });
    try {
      const urls = [sims.sendgrid.baseUrl, sims.limego.baseUrl, sims.hogia.baseUrl];
      expect(new Set(urls).size).toBe(3);
      for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      for (const name of ['sendgrid', 'limego', 'hogia', 'linkedin', 'googleads']) expect(existsSync(path.join(dataDir, 'simulators', `${name}.json`))).toBe(true);

      const file = writeDemoCredentials(dataDir, sims.credentials());
      const creds = JSON.parse(readFileSync(file, 'utf8'));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(creds.sendgrid).toEqual({ baseUrl: sims.sendgrid.baseUrl, key: sims.sendgrid.key });
      expect(creds.hogia).toMatchObject({ baseUrl: sims.hogia.baseUrl, key: sims.hogia.clientSecret, clientId: sims.hogia.clientId, tokenUrl: `${sims.hogia.baseUrl}/connect/token` });
      expect(creds.zoom).toMatchObject({ baseUrl: sims.zoom.baseUrl, key: sims.zoom.clientSecret, apiBaseUrl: `${sims.zoom.baseUrl}/v2`, tokenUrl: `${sims.zoom.baseUrl}/oauth/token`, accountId: sims.zoom.accountId });
      expect(existsSync(path.join(dataDir, 'simulators', 'zoom.json'))).toBe(true);

      const sg = await http(`${creds.sendgrid.baseUrl}/v3/asm/suppressions/global/erik_nilsson@contoso.example`, { headers: { authorization: `Bearer ${creds.sendgrid.key}` } });
      expect(sg.body).toEqual({ recipient_email: 'erik_nilsson@contoso.example' });
      const lg = await http(`${creds.limego.baseUrl}/v1/graphql`, { method: 'POST', headers: { authorization: creds.limego.key, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ person(id: "pase1578159") { name } }' }) });
      expect(lg.body).toEqual({ data: { person: { name: 'Anna Lindqvist' } } });
      expect(sims.world().users).toBe(TEST_USERS);
    } finally {
      await sims.close();
    }
    await expect(fetch(`${sims.sendgrid.baseUrl}/__sim/faults`)).rejects.toThrow();
  });

  it('generates the same state on any data dir, and regenerates it for another world', async () => {
    const [a, b] = [dirs.make(), dirs.make()];
    for (const dataDir of [a, b]) await (await startSimulators({ dataDir, users: TEST_USERS })).close();
    for (const name of ['sendgrid', 'limego', 'hogia', 'linkedin', 'googleads']) expect(stateWithoutSecrets(b, name)).toEqual(stateWithoutSecrets(a, name));

    let sg = await startSendGridSimulator({ dataDir: a, users: TEST_USERS });
    await http(`${sg.baseUrl}/v3/asm/suppressions/global`, jsonBody({ recipient_emails: ['anna.lindqvist@northwind.example'] }, 'POST', { authorization: `Bearer ${sg.key}` }));
    await sg.close();
    sg = await startSendGridSimulator({ dataDir: a, users: TEST_USERS + 1 });
    try {
      const res = await http(`${sg.baseUrl}/v3/asm/suppressions/global/anna.lindqvist@northwind.example`, { headers: { authorization: `Bearer ${sg.key}` } });
      expect(res.body).toEqual({});
    } finally {
      await sg.close();
    }
  });
});
