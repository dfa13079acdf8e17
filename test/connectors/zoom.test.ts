import { startZoomSimulator, type ZoomSimulator, type ZoomSimulatorOptions } from '../../simulators/zoom';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { normalisedEmail } from '../../simulators/people';
import { ConfigError, loadConfig, type ConnectorSettings } from '../../src/config';
import type { Row, SubjectKey, SystemSnapshot } from '../../src/connectors/connector';
import { CONNECTOR_FACTORIES } from '../../src/connectors/registry';
import { ZoomConnector, zoomConnectorFactory } from '../../src/connectors/zoom/zoom.connector';
import { http, injectFault, TempDirs, TEST_USERS } from '../simulators/helpers';
import { capturingLogger, wait } from './http/test-server';

const world = buildWorld({ users: TEST_USERS });
const samples = sampleSubjects(world);
const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
const ANNA = sample('app-1');
const LOOKALIKE = sample('lookalike-anna');
const KARIN = sample('private-karin');
const UNDERSCORE = 'anna_lindqvist@northwind.example';
const allRegistrants = Object.values(world.zoom.registrants).flat();
const registrantsOf = (email: string) => allRegistrants.filter((r) => normalisedEmail(r.email) === normalisedEmail(email));

const dirs = new TempDirs();
const { logger, lines } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dirs.make() });
const started: ZoomSimulator[] = [];
/** Limits far above what the tests send, for tests that are not about them (with a connector as fast). */
const UNLIMITED = { rateLimit: { limit: 1000, windowMs: 1000 }, lightRateLimit: { limit: 1000, windowMs: 1000 } };
const FAST = { requestsPerSecond: 500 };

async function simulator(options: Partial<ZoomSimulatorOptions> = {}): Promise<ZoomSimulator> {
  const sim = await startZoomSimulator({ dataDir: dirs.make(), world, ...options });
  started.push(sim);
  return sim;
}

const settingsOf = (sim: ZoomSimulator): Record<string, unknown> => ({
  baseUrl: sim.apiBaseUrl,
  tokenUrl: sim.tokenUrl,
  accountId: sim.accountId,
  clientId: sim.clientId,
  clientSecret: sim.clientSecret,
  hostUserIds: sim.hostUserIds,
});

function connector(sim: ZoomSimulator, settings: Record<string, unknown> = {}): ZoomConnector {
  const all = { kind: 'zoom', enabled: true, ...settingsOf(sim), ...settings } as ConnectorSettings;
  return zoomConnectorFactory.create('zoom', all, { config, logger }) as ZoomConnector;
}

const signal = () => new AbortController().signal;
const collect = (c: ZoomConnector, subjects: SubjectKey[]) => c.collect(subjects, signal());
const records = (s: SystemSnapshot): Row[] => s.datasets.find((d) => d.name === 'registrants')!.records;
const ids = (rows: Row[]) => rows.map((r) => String(r.id)).sort();
const stats = async (sim: ZoomSimulator) => (await http(`${sim.baseUrl}/__sim/state/stats`)).body as { tokensIssued: number; throttled: number; apiCalls: number };
const inSimulator = async (sim: ZoomSimulator, email: string) => (await http(`${sim.baseUrl}/__sim/state/registrants?email=${encodeURIComponent(email)}`)).body as unknown[];

afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
  dirs.removeAll();
});

describe('zoom connector', () => {
  it('is a known connector kind whose data map names Zoom as processor and every field with its provenance', () => {
    expect(CONNECTOR_FACTORIES.map((f) => f.kind)).toContain('zoom');
    const system = zoomConnectorFactory.create('zoom', { kind: 'zoom', enabled: true, accountId: 'a', clientId: 'c', clientSecret: 's' } as ConnectorSettings, { config, logger }).system;
    expect(system.processor).toBe('Zoom Video Communications, Inc.');
    expect(system.transferSafeguard).toMatch(/Data Privacy Framework/);
    expect(system.capabilities).toEqual(['ACCESS', 'ERASURE']);
    const [registrants] = system.datasets;
    expect(registrants!.name).toBe('registrants');
    expect(registrants!.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['email', 'first_name', 'last_name', 'phone', 'status', 'create_time', 'webinar_topic']));
    expect(registrants!.fields.every((f) => ['PROVIDED', 'OBSERVED', 'DERIVED'].includes(f.provenance) && f.category !== '')).toBe(true);
  });

  it('refuses bad settings naming the setting, never the secret', () => {
    const make = (s: Record<string, unknown>) => () => zoomConnectorFactory.create('zoom', { kind: 'zoom', enabled: true, ...s } as ConnectorSettings, { config, logger });
    expect(make({ clientId: 'c', clientSecret: 's' })).toThrow(new ConfigError('connectors.zoom.accountId: required'));
    expect(make({ accountId: 'a', clientId: 'c', clientSecret: 's', hostUserIds: [] })).toThrow(/connectors\.zoom\.hostUserIds: name at least one webinar host/);
    expect(make({ accountId: 'a', clientId: 'c' })).toThrow(/connectors\.zoom\.clientSecret: required/);
    expect(make({ accountId: 'a', clientId: 'c', clientSecret: 'top-secret', tokenUrl: 'not a url' })).toThrow(ConfigError);
    try {
      make({ accountId: 'a', clientId: 'c', clientSecret: 'top-secret', pageSize: 301 })();
    } catch (e) {
      expect((e as Error).message).toMatch(/connectors\.zoom\.pageSize/);
      expect((e as Error).message).not.toContain('top-secret');
    }
  });

  it('finds each subject of a batch by exact, normalised email with one scan for the whole batch', async () => {
    const sim = await simulator();
    const c = connector(sim);
    const [anna, lookalike, underscore, nobody] = await collect(c, [
      { email: [ANNA.email] }, { email: [LOOKALIKE.email] }, { email: [UNDERSCORE] }, { email: ['nobody@nowhere.example'] },
    ]);
    const batchCalls = (await stats(sim)).apiCalls;

    // Anna: three registrations, one typed in mixed case; none of her look-alikes'
    expect(anna!.found).toBe(true);
    expect(ids(records(anna!))).toEqual([...ANNA.ids.zoomRegistrantIds!].sort());
    expect(records(anna!)).toHaveLength(3);
    expect(new Set(records(anna!).map((r) => r.status))).toEqual(new Set(['approved', 'pending']));
    expect(records(anna!).some((r) => r.email === 'Anna.Lindqvist@NORTHWIND.example')).toBe(true);
    expect(new Set(records(anna!).map((r) => r.webinar_id)).size).toBe(3);
    expect(records(anna!).every((r) => typeof r.webinar_topic === 'string' && typeof r.webinar_start_time === 'string')).toBe(true);
    expect(ids(records(lookalike!))).toEqual(ids(registrantsOf(LOOKALIKE.email) as unknown as Row[]));
    expect(records(lookalike!)).toHaveLength(1);
    expect(records(underscore!).map((r) => r.status)).toEqual(['denied']);
    expect(nobody).toEqual({ found: false, restricted: false, datasets: [{ name: 'registrants', records: [] }] });

    // one subject costs the same calls as four: the scan is shared
    await collect(c, [{ email: [ANNA.email] }]);
    expect((await stats(sim)).apiCalls - batchCalls).toBe(batchCalls);
    // no subject with an email: no call at all
    const before = (await stats(sim)).apiCalls;
    expect(await collect(c, [{ phone: ['+46701234567'] }])).toEqual([{ found: false, restricted: false, datasets: [{ name: 'registrants', records: [] }] }]);
    expect((await stats(sim)).apiCalls).toBe(before);
    expect(lines.join('\n')).not.toContain(ANNA.email);
  });

  it('shares scans between collects running at once, and never one that started before a caller asked', async () => {
    const sim = await simulator(UNLIMITED);
    const c = connector(sim, { requestsPerSecond: 100 });
    const first = collect(c, [{ email: [ANNA.email] }]);
    expect(c.scans.scans).toBe(1);
    // while the first scan runs, one of Anna's registrations is deleted: the callers who ask now must not see it
    const [gone] = (await inSimulator(sim, ANNA.email)) as { webinar_id: number; registrant: { id: string } }[];
    const token = (await http(`${sim.tokenUrl}?grant_type=account_credentials&account_id=${sim.accountId}`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64')}` } })).body.access_token;
    expect((await http(`${sim.apiBaseUrl}/webinars/${gone!.webinar_id}/registrants/${gone!.registrant.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
    const later = await Promise.all([
      collect(c, [{ email: [ANNA.email] }]),
      collect(c, [{ email: [KARIN.email] }]),
      collect(c, [{ email: [LOOKALIKE.email] }, { email: [ANNA.email] }]),
    ]);
    await first;
    expect(c.scans.scans).toBe(2);
    expect(ids(records(later[0]![0]!))).toEqual([...ANNA.ids.zoomRegistrantIds!].filter((id) => id !== gone!.registrant.id).sort());
    expect(ids(records(later[2]![1]!))).toEqual(ids(records(later[0]![0]!)));
    expect(records(later[1]![0]!)).toHaveLength(1);
    expect(ids(records(later[2]![0]!))).toEqual(ids(registrantsOf(LOOKALIKE.email) as unknown as Row[]));
    // a caller that gives up stops waiting with a deadline error; the others are still answered
    const { withDeadline, DeadlineError } = await import('../../src/connectors/http');
    const quitter = c.collect([{ email: [ANNA.email] }], withDeadline(1));
    const stayer = collect(c, [{ email: [ANNA.email] }]);
    await expect(quitter).rejects.toBeInstanceOf(DeadlineError);
    expect(records((await stayer)[0]!)).toHaveLength(2);
  });

  it("answers an operator's live view from the last scan's index, reading only the person's registrants; everything else scans", async () => {
    const sim = await simulator(UNLIMITED);
    const c = connector(sim, FAST);
    const view = (emails: string[]) => c.collect([{ email: emails }], signal(), { view: true });
    const calls = async () => (await stats(sim)).apiCalls;
    const anna = registrantsOf(ANNA.email).map((r) => r.id).sort();

    let before = await calls();
    const [first] = await view([ANNA.email]); // no index yet: a full scan
    const scan = (await calls()) - before;
    expect(scan).toBeGreaterThan(anna.length);
    expect(ids(records(first!))).toEqual(anna);

    before = await calls();
    const [second] = await view([ANNA.email]);
    expect((await calls()) - before).toBe(anna.length); // one call per registration, no lists
    const byId = (rows: Row[]) => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(byId(records(second!))).toEqual(byId(records(first!)));
    const [lookalike] = await view([LOOKALIKE.email]);
    expect(ids(records(lookalike!))).toEqual(registrantsOf(LOOKALIKE.email).map((r) => r.id).sort());

    // an erasure always scans (fresh), and the live view then finds nothing left at the indexed places
    before = await calls();
    await c.erase({ email: [ANNA.email] }, signal());
    expect((await calls()) - before).toBeGreaterThanOrEqual(scan);
    const [after] = await view([ANNA.email]);
    expect(records(after!)).toEqual([]);
    expect(after!.found).toBe(false);

    // a collect that is not a live view scans every time; with the index off, so does the view
    before = await calls();
    await collect(c, [{ email: [KARIN.email] }]);
    expect((await calls()) - before).toBe(scan);
    const off = connector(sim, { ...FAST, viewIndexMaxAgeMs: 0 });
    await off.collect([{ email: [KARIN.email] }], signal(), { view: true });
    before = await calls();
    await off.collect([{ email: [KARIN.email] }], signal(), { view: true });
    expect((await calls()) - before).toBe(scan);
  });

  it('renews the index in the background while people keep looking, so a view never waits for the scan; past its age a view scans', async () => {
    const sim = await simulator(UNLIMITED);
    const c = connector(sim, { ...FAST, viewIndexMaxAgeMs: 1500, retries: 0 });
    const view = async () => ids(records((await c.collect([{ email: [ANNA.email] }], signal(), { view: true }))[0]!));
    const anna = registrantsOf(ANNA.email).map((r) => r.id).sort();
    expect(await view()).toEqual(anna); // the first scan
    const t0 = Date.now();
    expect(c.scans.scans).toBe(1);
    await wait(t0 + 850 - Date.now());
    expect(await view()).toEqual(anna); // from the index, past half its age: a scan starts behind it
    expect(c.scans.scans).toBe(2);
    await wait(t0 + 1700 - Date.now());
    // the first index has expired, the renewed one has not: the view reads no list (they now fail)
    await injectFault(sim.baseUrl, { pathPattern: '^/v2/users/', status: 500, count: 1000 });
    expect(await view()).toEqual(anna);
    // renewals now fail: once the index is past its age it is not used, and a view scans (and fails)
    let failedAt: number | undefined;
    while (failedAt === undefined && Date.now() < t0 + 6000) {
      await wait(100);
      if (await view().then(() => false, () => true)) failedAt = Date.now();
    }
    expect(failedAt! - t0).toBeGreaterThan(1500);
    await c.close();
  });

  it('pages through webinars and registrants with next_page_token (the same answer at any page size)', async () => {
    const sim = await simulator(UNLIMITED);
    const big = connector(sim, FAST);
    const [withBig] = await collect(big, [{ email: [ANNA.email, KARIN.email] }]);
    const bigCalls = (await stats(sim)).apiCalls;
    const small = connector(sim, { ...FAST, pageSize: 7 });
    const [withSmall] = await collect(small, [{ email: [ANNA.email, KARIN.email] }]);
    const smallCalls = (await stats(sim)).apiCalls - bigCalls;
    expect(ids(records(withSmall!))).toEqual(ids(records(withBig!)));
    expect(records(withBig!)).toHaveLength(4);
    // page_size 300: the Summit's approved list takes two pages; page_size 7: many more
    const webinars = world.zoom.webinars.length;
    expect(bigCalls).toBe(world.zoom.users.length + webinars * 3 + 1);
    const pages = (n: number) => Math.max(1, Math.ceil(n / 7));
    const expected =
      world.zoom.users.reduce((n, u) => n + pages(world.zoom.webinars.filter((w) => w.host_id === u.id).length), 0) +
      world.zoom.webinars.reduce((n, w) => n + (['pending', 'approved', 'denied'] as const).reduce((m, s) => m + pages(world.zoom.registrants[String(w.id)]!.filter((r) => r.status === s).length), 0), 0);
    expect(smallCalls).toBe(expected);
  });

  it('keeps under the per-second limit by pacing its calls', async () => {
    const sim = await simulator({ rateLimit: { limit: 8, windowMs: 1000 } });
    const [anna] = await collect(connector(sim, { requestsPerSecond: 6 }), [{ email: [ANNA.email] }]);
    expect(ids(records(anna!))).toEqual([...ANNA.ids.zoomRegistrantIds!].sort());
    expect((await stats(sim)).throttled).toBe(0);
  });

  it('waits as long as a 429 asks (Retry-After) and still answers in full', async () => {
    const sim = await simulator();
    await injectFault(sim.baseUrl, { pathPattern: '^/v2/webinars/', status: 429, retryAfterS: 1, count: 3 });
    const [anna] = await collect(connector(sim, { retries: 3 }), [{ email: [ANNA.email] }]);
    expect(ids(records(anna!))).toEqual([...ANNA.ids.zoomRegistrantIds!].sort());
    expect((await stats(sim)).throttled).toBe(3);
    expect(lines.some((l) => l.includes('"http retry"') && l.includes('"reason":429') && l.includes('"waitMs":1000'))).toBe(true);
    // a wait past the deadline is not waited for
    await injectFault(sim.baseUrl, { pathPattern: '^/v2/webinars/', status: 429, retryAfterS: 5, count: 1 });
    const { withDeadline, DeadlineError } = await import('../../src/connectors/http');
    await expect(connector(sim).collect([{ email: [ANNA.email] }], withDeadline(2000))).rejects.toBeInstanceOf(DeadlineError);
  });

  it('fetches a new token when Zoom refuses the old one (401, code 124) and before it expires', async () => {
    const sim = await simulator({ tokenLifetimeS: 4, ...UNLIMITED });
    const c = connector(sim, FAST);
    await collect(c, [{ email: [ANNA.email] }]);
    expect((await stats(sim)).tokensIssued).toBe(1);
    await collect(c, [{ email: [ANNA.email] }]);
    expect((await stats(sim)).tokensIssued).toBe(1); // cached

    await http(`${sim.baseUrl}/__sim/tokens/revoke`, { method: 'POST' });
    const [afterRevoke] = await collect(c, [{ email: [ANNA.email] }]);
    expect(records(afterRevoke!)).toHaveLength(3);
    expect((await stats(sim)).tokensIssued).toBe(2);

    await wait(2100); // past half the lifetime: the provider refreshes before Zoom would refuse it
    const throttledBefore = (await stats(sim)).throttled;
    await collect(c, [{ email: [ANNA.email] }]);
    expect((await stats(sim)).tokensIssued).toBe(3);
    expect((await stats(sim)).throttled).toBe(throttledBefore);
  });

  it('reveals a registrant’s phone number for enrichment', async () => {
    const sim = await simulator();
    const [karin] = await collect(connector(sim), [{ email: [KARIN.email] }]);
    const phone = world.cast.people.find((p) => p.ref === 'private-karin')!.phone!;
    expect(connector(sim).discover(karin!)).toEqual([{ kind: 'phone', value: phone }]);
  });

  it('plans and erases every registration of the subject, idempotently, and nothing of the look-alikes', async () => {
    const sim = await simulator(UNLIMITED);
    const c = connector(sim, FAST);
    const anna = { email: [ANNA.email] };
    expect(await c.planErasure(anna, signal())).toEqual([{ dataset: 'registrants', action: 'DELETE', records: 3, note: '3 registration(s) for 3 webinar(s) deleted in Zoom, whatever their status' }]);
    expect(await inSimulator(sim, ANNA.email)).toHaveLength(3); // the plan changed nothing

    expect(await c.erase(anna, signal())).toMatchObject({ status: 'SUCCEEDED', recordsDeleted: 3 });
    expect(await inSimulator(sim, ANNA.email)).toEqual([]);
    const [after] = await collect(c, [anna]);
    expect(after!.found).toBe(false);
    expect(await c.planErasure(anna, signal())).toEqual([]);
    expect(await c.erase(anna, signal())).toMatchObject({ status: 'NOT_FOUND', recordsDeleted: 0 });
    expect(await inSimulator(sim, LOOKALIKE.email)).toHaveLength(1);
    expect(await inSimulator(sim, UNDERSCORE)).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(ANNA.email);
  });

  it('counts a registrant Zoom no longer has (404) as deleted', async () => {
    const sim = await simulator();
    const c = connector(sim);
    const [karin] = await collect(c, [{ email: [KARIN.email] }]);
    const [reg] = records(karin!);
    const api = (c as unknown as { api: { deleteRegistrant(w: string, r: string, s: AbortSignal): Promise<string> } }).api;
    expect(await api.deleteRegistrant(String(reg!.webinar_id), String(reg!.id), signal())).toBe('deleted');
    expect(await api.deleteRegistrant(String(reg!.webinar_id), String(reg!.id), signal())).toBe('gone');
  });
});
