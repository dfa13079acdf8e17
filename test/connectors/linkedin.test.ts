import { createHash } from 'node:crypto';
import { startLinkedInSimulator, type LinkedInSimulator } from '../../simulators/linkedin';
import { adAudiences, buildWorld, sampleSubjects } from '../../simulators/world';
import { ConfigError, loadConfig, type ConnectorSettings } from '../../src/config';
import type { SubjectKey } from '../../src/connectors/connector';
import { HttpError } from '../../src/connectors/http';
import { LinkedInConnector, linkedinConnectorFactory, linkedinNormalise } from '../../src/connectors/linkedin/linkedin.connector';
import { art15Information } from '../../src/exports/art15';
import { normaliseEmail } from '../../src/services/identity';
import { http, injectFault, TempDirs, TEST_USERS } from '../simulators/helpers';
import { capturingLogger } from './http/test-server';

const world = buildWorld({ users: TEST_USERS });
const ANNA = sampleSubjects(world).find((s) => s.ref === 'app-1')!;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const dirs = new TempDirs();
const { logger, lines } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dirs.make() });
let sim: LinkedInSimulator;

function connector(settings: Record<string, unknown> = {}): LinkedInConnector {
  const all = { kind: 'linkedin', enabled: true, baseUrl: sim.baseUrl, accessToken: sim.accessToken, segments: sim.segments, retries: 2, ...settings } as ConnectorSettings;
  return linkedinConnectorFactory.create('linkedin', all, { config, logger }) as LinkedInConnector;
}

interface AudienceState {
  audiences: { id: string; members: string[] }[];
  removals: { audience: string; hash: string; at: string }[];
}
const state = async (): Promise<AudienceState> => (await http<AudienceState>(`${sim.baseUrl}/__sim/state/audiences`)).body;
const signal = () => new AbortController().signal;
const fails = (): never => {
  throw new Error('expected the call to fail');
};

beforeAll(async () => {
  sim = await startLinkedInSimulator({ dataDir: dirs.make(), users: TEST_USERS, rateLimit: { limit: 1000, windowMs: 60_000 } });
});
afterAll(async () => {
  await sim.close();
  dirs.removeAll();
});
afterEach(async () => {
  await http(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' });
});

describe('LinkedIn connector', () => {
  test('hashes as LinkedIn asks: lower case, every whitespace removed, SHA-256', () => {
    expect(linkedinNormalise(' Anna.Lindqvist@Example.SE ')).toBe('anna.lindqvist@example.se');
    expect(linkedinNormalise('a b\t@x.se')).toBe('ab@x.se');
  });

  test('collect finds nothing (LinkedIn cannot say who is in an audience); the segments are recipients in the Art. 15 information', async () => {
    const c = connector();
    const [snap] = await c.collect([{ email: [normaliseEmail(ANNA.email)] }], signal());
    expect(snap).toMatchObject({ found: false, restricted: false, datasets: [{ name: 'audience_members', records: [] }] });
    // and says that nothing found here means nothing known, not that she is in no audience
    expect(snap!.note).toBe(
      `LinkedIn cannot say whether an address is in an audience, so nothing is shown here. An erasure or an objection removes the person's hashed email from each of the ${sim.segments.length} configured audiences.`,
    );
    const info = art15Information('linkedin', c.system);
    expect(info.recipients).toEqual(['LinkedIn Ireland Unlimited Company', ...sim.segments.map((s) => expect.stringContaining(`DMP segment ${s}`))]);
    expect(info.transferSafeguard).toMatch(/Data Privacy Framework/);
    expect(c.system.capabilities).toEqual(['ACCESS', 'ERASURE', 'MARKETING_SUPPRESSION']);
  });

  test('erase removes the hashed address from every segment and reports the removals', async () => {
    const email = normaliseEmail(ANNA.email);
    const hash = sha(email);
    const before = await state();
    for (const a of before.audiences) expect(a.members).toContain(hash);
    const c = connector();
    const plan = await c.planErasure({ email: [email] });
    expect(plan).toEqual([expect.objectContaining({ dataset: 'audience_members', action: 'DELETE', records: sim.segments.length })]);

    const outcome = await c.erase({ email: [email] }, signal());
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.removals).toEqual(sim.segments.map((audience) => ({ audience, hash, removedAt: expect.any(String), state: 'SUCCESS' })));
    const after = await state();
    for (const a of after.audiences) expect(a.members).not.toContain(hash);
    expect(after.removals.filter((r) => r.hash === hash).map((r) => r.audience).sort()).toEqual([...sim.segments].sort());

    // again: idempotent, LinkedIn accepts removing what is not there
    const again = await c.erase({ email: [email] }, signal());
    expect(again.status).toBe('SUCCEEDED');
    expect((await state()).removals.filter((r) => r.hash === hash)).toHaveLength(sim.segments.length);
    expect(lines.join('\n')).not.toContain(email);
    expect(lines.join('\n')).not.toContain(hash);
    expect(lines.join('\n')).not.toContain(sim.accessToken);
  });

  test('objection removes from the audiences too; a subject without email is NOT_FOUND', async () => {
    const member = adAudiences(world)[0]!.emails.find((e) => e !== normaliseEmail(ANNA.email))!;
    const outcome = await connector().suppressMarketing({ email: [member] }, signal());
    expect(outcome.status).toBe('SUCCEEDED');
    const after = await state();
    expect(after.audiences[0]!.members).not.toContain(sha(member));
    expect((await connector().erase({ phone: ['+46701234567'] } as SubjectKey, signal())).status).toBe('NOT_FOUND');
  });

  test('a 429 is waited out; a wrong token is a 401 in LinkedIn’s envelope', async () => {
    await injectFault(sim.baseUrl, { pathPattern: '/users$', status: 429, count: 1, retryAfterS: 0 });
    expect((await connector().erase({ email: ['nobody@example.se'] }, signal())).status).toBe('SUCCEEDED');
    expect((await http(`${sim.baseUrl}/__sim/faults`)).body).toEqual([]); // the 429 was answered and retried

    const refused = await connector({ accessToken: 'wrong' }).erase({ email: ['nobody@example.se'] }, signal()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(401);
    expect((refused as HttpError).body).toEqual({ status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' });
    expect((refused as HttpError).message).not.toContain('wrong');
  });

  test('an unknown segment is a 404; an inactive version is refused', async () => {
    const missing = await connector({ segments: ['1'] }).erase({ email: ['x@example.se'] }, signal()).then(fails, (e: unknown) => e as HttpError);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, serviceErrorCode: expect.any(Number), message: expect.any(String) });
    const old = await connector({ apiVersion: '202301' }).erase({ email: ['x@example.se'] }, signal()).then(fails, (e: unknown) => e as HttpError);
    expect(old.status).toBe(426);
  });

  test('settings: segments are required and numeric; the token is never echoed', () => {
    const make = (s: Record<string, unknown>) => () => linkedinConnectorFactory.create('linkedin', { kind: 'linkedin', enabled: true, ...s } as ConnectorSettings, { config, logger });
    expect(make({ accessToken: 'secret-token', segments: [] })).toThrow(/connectors\.linkedin\.segments/);
    expect(make({ accessToken: 'secret-token', segments: ['abc'] })).toThrow(ConfigError);
    expect(make({ segments: ['1'] })).toThrow(/connectors\.linkedin\.accessToken/);
    let refused: unknown;
    try {
      make({ accessToken: 'bad token', segments: ['1'] })();
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).not.toContain('bad token');
  });
});
