import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startLimeGoSimulator, type LimeGoSimulator } from '../../simulators/limego';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { loadConfig, type ConnectorSettings } from '../../src/config';
import type { Connector, Row, SubjectKey, SystemSnapshot } from '../../src/connectors/connector';
import { limeGoConnectorFactory } from '../../src/connectors/limego/limego.connector';
import { LIFT_RESTRICTION_INSTRUCTIONS, MANUAL_INSTRUCTIONS } from '../../src/connectors/limego/limego.manual';
import { DsrError } from '../../src/errors';
import { normaliseEmail } from '../../src/services/identity';
import { http, TempDirs, TEST_USERS } from '../simulators/helpers';
import { capturingLogger } from './http/test-server';

const world = buildWorld({ users: TEST_USERS });
const samples = sampleSubjects(world);
const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
const ANNA = sample('app-1');
const LOOKALIKE = sample('lookalike-anna');
const KARIN = sample('private-karin');
const ANNA_EMAIL = 'anna.lindqvist@northwind.example';
const ANNA_PHONE = '+46701234501';
const ANNA_KEY: SubjectKey = { email: [ANNA_EMAIL], phone: [ANNA_PHONE], crmPersonId: [ANNA.ids.crmPersonId!] };
const NOBODY: SubjectKey = { email: ['nobody.here@nowhere.example'], crmPersonId: ['pase0'] };
const TYPES = ['ERASURE', 'RESTRICTION', 'OBJECTION', 'RECTIFICATION'] as const;

const dirs = new TempDirs();
const dataDir = dirs.make();
const { logger, lines } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dirs.make() });
const signal = () => new AbortController().signal;

let sim: LimeGoSimulator;
let limego: Connector;

/** Everything the simulator holds, as it wrote it to its state file after the last change. */
const state = (): unknown => JSON.parse(readFileSync(path.join(dataDir, 'simulators', 'limego.json'), 'utf8')).data;
const persons = (s: SystemSnapshot): Row[] => s.datasets.find((d) => d.name === 'persons')!.records;

/** Counts the requests that reach the simulator (every upstream call goes through fetch). */
function countCalls(): { readonly count: number; restore(): void } {
  const original = globalThis.fetch;
  let count = 0;
  const spy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    if (String(input instanceof Request ? input.url : input).startsWith(sim.baseUrl)) count += 1;
    return original(input, init);
  });
  return { get count() { return count; }, restore: () => spy.mockRestore() };
}

beforeAll(async () => {
  sim = await startLimeGoSimulator({ dataDir, world });
  limego = limeGoConnectorFactory.create('limego', { kind: 'limego', enabled: true, baseUrl: sim.baseUrl, apiKey: sim.key } as ConnectorSettings, { config, logger });
});
afterAll(async () => {
  await sim.close();
  dirs.removeAll();
});

describe('limego manual steps', () => {
  it('gives an administrator instructions per request type, naming no one', () => {
    const texts = TYPES.map((t) => limego.manualInstructions!(t)!);
    expect(new Set(texts).size).toBe(4);
    expect(texts[0]).toMatch(/delete the person .* with their history/);
    expect(texts[1]).toMatch(/restricted/);
    expect(texts[2]).toMatch(/no marketing/);
    expect(texts[3]).toMatch(/correct the fields named in the request/);
    for (const t of [...texts, LIFT_RESTRICTION_INSTRUCTIONS]) {
      expect(t).not.toMatch(/@|\+?\d{5,}|pase|lindqvist/i);
    }
    expect(limego.system.capabilities).toEqual(['ACCESS', 'MANUAL_STEPS']);
  });

  it('plans the erasure as MANUAL with the count of matching persons, changing nothing', async () => {
    const before = state();
    const calls = countCalls();
    try {
      expect(await limego.planErasure!(ANNA_KEY, signal())).toEqual([
        { dataset: 'persons', action: 'MANUAL', records: 1, note: MANUAL_INSTRUCTIONS.ERASURE },
      ]);
      expect(calls.count).toBe(1); // one GraphQL request: the email search and the id lookup as aliases
    } finally {
      calls.restore();
    }
    expect(await limego.planErasure!(NOBODY, signal())).toEqual([]);
    expect(state()).toEqual(before);
  });

  it('answers erase, restrict, suppressMarketing and rectify with WAITING_FOR_OPERATOR and changes nothing', async () => {
    const before = state();
    const waiting = (note: string) => ({ status: 'WAITING_FOR_OPERATOR', note: `1 person record(s). ${note}` });
    expect(await limego.erase!(ANNA_KEY, signal())).toEqual(waiting(MANUAL_INSTRUCTIONS.ERASURE));
    expect(await limego.erase!(ANNA_KEY, signal())).toEqual(waiting(MANUAL_INSTRUCTIONS.ERASURE)); // again: the same, no harm
    expect(await limego.restrict!(ANNA_KEY, true, signal())).toEqual(waiting(MANUAL_INSTRUCTIONS.RESTRICTION));
    expect(await limego.restrict!(ANNA_KEY, false, signal())).toEqual(waiting(LIFT_RESTRICTION_INSTRUCTIONS));
    expect(await limego.suppressMarketing!({ email: [normaliseEmail(KARIN.email)] }, signal())).toEqual(waiting(MANUAL_INSTRUCTIONS.OBJECTION));
    const rectified = await limego.rectify!(ANNA_KEY, [{ field: 'name', value: 'Anna Lindqvist-Berg' }, { field: 'phone', value: '070-123 45 99' }], signal());
    expect(rectified).toEqual(waiting(`${MANUAL_INSTRUCTIONS.RECTIFICATION} Fields: name, phone (the new values are the request's changes).`));
    expect(JSON.stringify(rectified)).not.toMatch(/Berg|1234599/);
    for (const outcome of [
      await limego.erase!(NOBODY, signal()),
      await limego.restrict!(NOBODY, true, signal()),
      await limego.suppressMarketing!(NOBODY, signal()),
      await limego.rectify!(NOBODY, [{ field: 'title', value: 'CFO' }], signal()),
    ]) {
      expect(outcome).toEqual({ status: 'NOT_FOUND', note: 'No person of the subject in Lime Go' });
    }
    expect(state()).toEqual(before);
  });

  it('refuses unknown fields and invalid values before any call', async () => {
    const calls = countCalls();
    try {
      for (const changes of [
        [{ field: 'employer', value: 'Contoso' }],
        [{ field: 'email', value: 'anna@' }],
        [{ field: 'phone', value: 'not a phone' }],
        [{ field: 'name', value: 'A' }, { field: 'name', value: 'B' }],
        [{ field: 'name', value: '  ' }],
        [],
      ]) {
        const e = await limego.rectify!(ANNA_KEY, changes, signal()).then(() => null, (err: unknown) => err);
        expect(e).toBeInstanceOf(DsrError);
        expect((e as DsrError).extensions.code).toBe('BAD_USER_INPUT');
        expect((e as Error).message).not.toMatch(/Contoso|anna@|not a phone/);
      }
      expect(calls.count).toBe(0);
    } finally {
      calls.restore();
    }
  });

  it("is verified by reading again: after the administrator's deletion nothing of Anna is found, her look-alike untouched", async () => {
    const [lookalikeBefore] = await limego.collect([{ email: [normaliseEmail(LOOKALIKE.email)] }], signal());
    expect(persons(lookalikeBefore!).map((p) => p.id)).toEqual([LOOKALIKE.ids.crmPersonId]);
    const [annaBefore] = await limego.collect([ANNA_KEY], signal());
    expect(persons(annaBefore!).map((p) => p.id)).toEqual([ANNA.ids.crmPersonId]);

    // the manual step, done by hand in Lime Go
    expect((await http(`${sim.baseUrl}/__sim/persons/${ANNA.ids.crmPersonId}`, { method: 'DELETE' })).status).toBe(204);

    const [all, byEmail, byPhone, byId, lookalike] = await limego.collect(
      [ANNA_KEY, { email: [ANNA_EMAIL] }, { phone: [ANNA_PHONE] }, { crmPersonId: [ANNA.ids.crmPersonId!] }, { email: [normaliseEmail(LOOKALIKE.email)] }],
      signal(),
    );
    // (the simulator's search, like possibly Lime Go's, ignores phone numbers: a phone alone never found her)
    for (const s of [all, byEmail, byPhone, byId]) {
      expect(s!.found).toBe(false);
      expect(persons(s!)).toEqual([]);
    }
    expect(lookalike).toEqual(lookalikeBefore);
    // the steps now report that there is nothing left, and the plan is empty
    expect(await limego.erase!(ANNA_KEY, signal())).toEqual({ status: 'NOT_FOUND', note: 'No person of the subject in Lime Go' });
    expect(await limego.planErasure!(ANNA_KEY, signal())).toEqual([]);
    expect((await http(`${sim.baseUrl}/__sim/persons/${ANNA.ids.crmPersonId}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('keeps identifiers out of its logs', () => {
    const text = lines.join('\n').toLowerCase();
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [ANNA_EMAIL, KARIN.email, LOOKALIKE.email, 'lindqvist', '46701234501', 'pase1578159', sim.key]) {
      expect(text).not.toContain(secret.toLowerCase());
    }
  });
});
