import { Writable } from 'node:stream';
import { loadConfig, type ConnectorSettings } from '../../src/config';
import type { ActionOutcome, ConnectorEnvironment, ErasurePlanStep, FieldChange, Row, SubjectKey } from '../../src/connectors/connector';
import { HttpError } from '../../src/connectors/http';
import { SendGridConnector, sendgridConnectorFactory } from '../../src/connectors/sendgrid/sendgrid.connector';
import { eraseJobBatches, ERASEJOB_MAX_ADDRESSES, ERASEJOB_MAX_BYTES } from '../../src/connectors/sendgrid/sendgrid.client';
import { createLogger } from '../../src/logger';
import { normaliseEmail } from '../../src/services/identity';
import { startSendGridSimulator, type SendGridSimulator } from '../../simulators/sendgrid';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { http, injectFault, jsonBody, TempDirs, TEST_USERS } from '../simulators/helpers';
import { expectSpecResponse } from '../simulators/openapi';

const world = buildWorld({ users: TEST_USERS });
const samples = sampleSubjects(world);
const emailOf = (ref: string) => normaliseEmail(samples.find((s) => s.ref === ref)!.email);
const ANNA = emailOf('app-1');
const ERIK = emailOf('app-2');
const ERIK_X = emailOf('app-3');
const JONS = emailOf('app-5');
const MARIA = emailOf('app-7');
const KARIN = emailOf('private-karin');
const NOBODY = 'nobody@northwind.example';
const SAMPLE_EMAILS = new Set(samples.map((s) => normaliseEmail(s.email)));
/**
 * One address per list that erasure deletes, none of them a sample subject. The small test world
 * lacks some lists: an entry is then added for an address that received email, as SendGrid would.
 */
const recipients = [...new Set(world.sendgrid.messages.map((m) => normaliseEmail(m.to_email)))].filter((e) => !SAMPLE_EMAILS.has(e));
const listed = (list: { email: string; created: number }[], entry: (email: string) => { email: string; created: number }): string => {
  const existing = list.find((r) => !SAMPLE_EMAILS.has(r.email));
  if (existing) return existing.email;
  const all = [world.sendgrid.bounces, world.sendgrid.blocks, world.sendgrid.spamReports, world.sendgrid.invalidEmails].flat().map((r) => r.email);
  const email = recipients.find((e) => !all.includes(e))!;
  list.push(entry(email));
  return email;
};
const CREATED = Math.floor(Date.parse('2026-11-20T10:00:00Z') / 1000);
const LISTED = {
  bounces: listed(world.sendgrid.bounces, (email) => ({ created: CREATED, email, reason: '550 5.1.1 unknown user', status: '5.1.1' })),
  blocks: listed(world.sendgrid.blocks, (email) => ({ created: CREATED, email, reason: 'no route to host', status: '4.0.0' })),
  spam_reports: listed(world.sendgrid.spamReports, (email) => ({ created: CREATED, email, ip: '149.72.123.24' })),
  invalid_emails: listed(world.sendgrid.invalidEmails, (email) => ({ created: CREATED, email, reason: 'Mail domain mentioned in email address is unknown' })),
};
/** A marketing contact for the rectification tests, not a sample subject nor one of the above. */
const RECTIFIED = world.sendgrid.contacts.find((c) => !SAMPLE_EMAILS.has(c.email) && !Object.values(LISTED).includes(c.email))!;
/** A marketing contact who also received email, for the failure test. */
const CONTACT_PERSON = world.sendgrid.contacts.find(
  (c) => recipients.includes(c.email) && c.email !== RECTIFIED.email && !Object.values(LISTED).includes(c.email),
)!;

const dirs = new TempDirs();
const logLines: string[] = [];
const logger = createLogger('debug', new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } }));
const notes: string[] = [];
let sim: SendGridSimulator;
let env: ConnectorEnvironment;
let connector: SendGridConnector;

const settingsFor = (s: SendGridSimulator, over: Record<string, unknown> = {}): ConnectorSettings =>
  ({ kind: 'sendgrid', enabled: true, baseUrl: s.baseUrl, apiKey: s.key, ...over }) as ConnectorSettings;
const build = (s: SendGridSimulator, over: Record<string, unknown> = {}) =>
  sendgridConnectorFactory.create('sendgrid', settingsFor(s, over), env) as SendGridConnector;
const signal = () => AbortSignal.timeout(60_000);
const key = (...emails: string[]): SubjectKey => ({ email: emails });

/** Runs an action and keeps its note and the notes of its steps for the check that they hold no identifier. */
const noted = <T extends ActionOutcome | ErasurePlanStep[]>(result: T): T => {
  for (const r of Array.isArray(result) ? result : [result]) if (r.note) notes.push(r.note);
  return result;
};
const plan = async (k: SubjectKey, c = connector) => noted(await c.planErasure(k, signal()));
const erase = async (k: SubjectKey, c = connector) => noted(await c.erase(k, signal()));
const restrict = async (k: SubjectKey, on: boolean) => noted(await connector.restrict(k, on, signal()));
const suppress = async (k: SubjectKey) => noted(await connector.suppressMarketing(k, signal()));
const rectify = async (k: SubjectKey, changes: FieldChange[]) => noted(await connector.rectify(k, changes, signal()));

beforeAll(async () => {
  const dataDir = dirs.make();
  sim = await startSendGridSimulator({ dataDir, world });
  env = { config: loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dataDir }), logger };
  connector = build(sim);
});
afterAll(async () => {
  await sim.close();
  dirs.removeAll();
});
afterEach(async () => {
  await http(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' });
});

const auth = (s: SendGridSimulator) => ({ authorization: `Bearer ${s.key}` });

/** What SendGrid's own API returns for one address, fetched straight from the simulator. */
async function fromSendGrid(email: string, s = sim): Promise<{ messages: Row[]; global: Row; groups: Row[]; lists: Record<string, Row[]>; contact: Row | null }> {
  const get = async (path: string) => (await http(`${s.baseUrl}${path}`, { headers: auth(s) })).body;
  const e = encodeURIComponent(email);
  const lists: Record<string, Row[]> = {};
  for (const list of Object.keys(LISTED)) lists[list] = (await get(`/v3/suppression/${list}/${e}`)) as Row[];
  const search = await http(`${s.baseUrl}/v3/marketing/contacts/search/emails`, jsonBody({ emails: [email] }, 'POST', auth(s)));
  return {
    messages: (await get(`/v3/messages?query=${encodeURIComponent(`to_email="${email}"`)}&limit=1000`)).messages as Row[],
    global: (await get(`/v3/asm/suppressions/global/${e}`)) as Row,
    groups: ((await get(`/v3/asm/suppressions/${e}`)).suppressions as Row[]).filter((g) => g.suppressed === true),
    lists,
    contact: search.status === 200 ? ((search.body.result[email]?.contact as Row | undefined) ?? null) : null,
  };
}

interface EraseJob { job_id: string; email_addresses: string[]; messages_erased: number }
interface ContactDeletion { job_id: string; ids: string[]; deleted: number }
const eraseJobs = async (s = sim) => (await http<EraseJob[]>(`${s.baseUrl}/__sim/state/erasejobs`)).body;
const contactDeletions = async (s = sim) => (await http<ContactDeletion[]>(`${s.baseUrl}/__sim/state/contact-deletions`)).body;

/** Counts the upstream calls made while `work` runs, as "METHOD /path" (no query string). */
async function countingCalls<T>(work: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  const original = globalThis.fetch;
  const calls: string[] = [];
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    calls.push(`${init?.method ?? 'GET'} ${decodeURIComponent(url.pathname)}`);
    return original(input, init);
  };
  try {
    return { result: await work(), calls };
  } finally {
    globalThis.fetch = original;
  }
}
const READS = /^(GET |POST \/v3\/marketing\/contacts\/search\/emails$)/;
const writesOf = (calls: string[]) => calls.filter((c) => !READS.test(c));

const newestPlus30Days = (messages: Row[]) =>
  new Date(Math.max(...messages.map((m) => Date.parse(String(m.last_event_time)))) + 30 * 86_400_000);

describe('SendGrid erasure plan', () => {
  it('plans per dataset with counts, retains the email activity until it expires, and changes nothing', async () => {
    const before = await Promise.all([ANNA, ERIK, MARIA].map((e) => fromSendGrid(e)));
    const [anna, erik, maria] = before;
    const { result, calls } = await countingCalls(() => Promise.all([plan(key(ANNA)), plan(key(ERIK)), plan(key(MARIA))]));
    const [annaPlan, erikPlan, mariaPlan] = result;

    expect(annaPlan).toEqual([
      { dataset: 'marketing_contacts', action: 'DELETE', records: 1, note: expect.any(String) },
      {
        dataset: 'messages', action: 'RETAIN', records: anna!.messages.length, retainedUntil: newestPlus30Days(anna!.messages),
        legalBasis: expect.stringMatching(/SendGrid keeps email activity for 30 days; only its recipient erasure job, which reports no result, erases it earlier/), note: expect.stringMatching(/erasure job/),
      },
      { dataset: 'suppressions', action: 'SUPPRESS', records: 1, note: expect.stringMatching(/^Global unsubscribe: 0 to keep, 1 to add; 0 group unsubscribes to keep\./) },
    ]);
    expect(anna!.messages.length).toBeGreaterThan(10);
    // Erik unsubscribed himself: his global and group unsubscribes are kept, nothing is added
    expect(erikPlan.map((s) => [s.dataset, s.action, s.records])).toEqual([
      ['messages', 'RETAIN', erik!.messages.length],
      ['suppressions', 'SUPPRESS', 2],
    ]);
    expect(erikPlan[1]!.note).toMatch(/^Global unsubscribe: 1 to keep, 0 to add; 1 group unsubscribe to keep\./);
    expect(mariaPlan.map((s) => [s.dataset, s.action, s.records])).toEqual([
      ['messages', 'RETAIN', maria!.messages.length],
      ['suppressions', 'SUPPRESS', 1],
      ['suppressions', 'DELETE', 1],
    ]);
    expect(mariaPlan[0]!.retainedUntil).toEqual(newestPlus30Days(maria!.messages));

    // nothing but reads, and SendGrid reads back as before
    expect(writesOf(calls)).toEqual([]);
    expect(await Promise.all([ANNA, ERIK, MARIA].map((e) => fromSendGrid(e)))).toEqual(before);
    expect(await eraseJobs()).toEqual([]);
    expect(await contactDeletions()).toEqual([]);
  });

  it('plans nothing for an address SendGrid does not hold, a look-alike prefix or a subject without email', async () => {
    expect(await plan(key(NOBODY))).toEqual([]);
    expect(await plan(key(ERIK.slice(0, -1)))).toEqual([]);
    expect(await plan(key(JONS))).toEqual([]);
    const { result, calls } = await countingCalls(() => plan({ phone: ['+46701234567'] }));
    expect(result).toEqual([]);
    expect(calls).toEqual([]);
  });
});

describe('SendGrid erasure', () => {
  it('deletes the contact, starts an erasure job, adds the global unsubscribe and retains the email activity', async () => {
    const before = await fromSendGrid(ANNA);
    const phone = String(before.contact!.phone_number);
    const planned = await plan(key(ANNA));
    const erikX = await fromSendGrid(ERIK_X);
    const { result: outcome, calls } = await countingCalls(() => erase(key(ANNA)));

    expect(outcome).toEqual({
      status: 'RETAINED',
      recordsDeleted: 1,
      recordsRetained: before.messages.length,
      retainedUntil: planned.find((s) => s.action === 'RETAIN')!.retainedUntil,
      legalBasis: planned.find((s) => s.action === 'RETAIN')!.legalBasis,
      note: expect.stringMatching(/Deleted: 1 marketing contact, 0 bounce.*added for 1 address.*erasure job started for 1 address.*\d+ email activity records stay with SendGrid until the erasure job erases them, or they expire by \d{4}-\d\d-\d\d at the latest\.$/),
    });
    // the calls: 8 reads (activity, 6 suppression lookups, contact search) and 3 writes, in this order
    expect(calls.filter((c) => READS.test(c))).toHaveLength(8);
    expect(writesOf(calls)).toEqual(['POST /v3/asm/suppressions/global', 'DELETE /v3/marketing/contacts', 'POST /v3/recipients/erasejob']);

    // what SendGrid was asked, from its own records
    expect(await eraseJobs()).toEqual([expect.objectContaining({ email_addresses: [ANNA], messages_erased: before.messages.length })]);
    expect(await contactDeletions()).toEqual([expect.objectContaining({ ids: [before.contact!.id], deleted: 1 })]);

    // read back by every identifier SendGrid knows: the email (the phone is no key in SendGrid)
    const [after] = await connector.collect([{ email: [ANNA], phone: [phone] }], signal());
    expect(after!.datasets).toEqual([
      { name: 'messages', records: [] },
      { name: 'suppressions', records: [{ source: 'global_unsubscribes', recipient_email: ANNA }] },
      { name: 'marketing_contacts', records: [] },
    ]);
    const [byPhone] = await connector.collect([{ phone: [phone] }], signal());
    expect(byPhone!.found).toBe(false);
    // only what honours the objection is left, and the look-alike is untouched
    expect(await plan(key(ANNA))).toEqual([
      { dataset: 'suppressions', action: 'SUPPRESS', records: 1, note: expect.stringMatching(/^Global unsubscribe: 1 to keep, 0 to add/) },
    ]);
    expect(await fromSendGrid(ERIK_X)).toEqual(erikX);
  });

  it('reports truthfully when run again: nothing more to delete, the unsubscribe kept', async () => {
    const { result: again, calls } = await countingCalls(() => erase(key(ANNA)));
    expect(again).toEqual({
      status: 'SUCCEEDED', recordsDeleted: 0, recordsRetained: 0,
      note: expect.stringMatching(/Deleted: 0 marketing contacts.*kept for 1 address, added for 0 addresses/),
    });
    // the erasure job is asked again (harmless); no contact deletion, no suppression added
    expect(writesOf(calls)).toEqual(['POST /v3/recipients/erasejob']);
    expect((await eraseJobs()).map((j) => [j.email_addresses, j.messages_erased])).toEqual([[[ANNA], expect.any(Number)], [[ANNA], 0]]);
    expect(await contactDeletions()).toHaveLength(1);
    expect((await fromSendGrid(ANNA)).global).toEqual({ recipient_email: ANNA });
  });

  it('keeps a person’s own unsubscribes (global and group) and leaves the look-alike address alone', async () => {
    const before = await fromSendGrid(ERIK);
    const lookalike = await fromSendGrid(ERIK_X);
    const { result: outcome, calls } = await countingCalls(() => erase(key(ERIK)));
    expect(outcome).toMatchObject({ status: 'RETAINED', recordsDeleted: 0, recordsRetained: before.messages.length, retainedUntil: newestPlus30Days(before.messages) });
    expect(outcome.note).toMatch(/kept for 1 address, added for 0 addresses; 1 group unsubscribe kept/);
    expect(writesOf(calls)).toEqual(['POST /v3/recipients/erasejob']);
    const after = await fromSendGrid(ERIK);
    expect(after).toEqual({ ...before, messages: [] });
    expect((await eraseJobs()).at(-1)!.email_addresses).toEqual([ERIK]);
    expect(await fromSendGrid(ERIK_X)).toEqual(lookalike);
    expect(lookalike.messages.length).toBeGreaterThan(0);
  });

  it('deletes bounces, blocks, spam reports and invalid address entries of every address of a subject, in one erasure job', async () => {
    const emails = [MARIA, ...Object.values(LISTED)];
    const before = await Promise.all(emails.map((e) => fromSendGrid(e)));
    for (const [list, email] of Object.entries(LISTED)) expect({ list, n: before[emails.indexOf(email)]!.lists[list]!.length }).toEqual({ list, n: 1 });
    const entries = before.reduce((n, b) => n + Object.values(b.lists).flat().length, 0);
    const contacts = before.filter((b) => b.contact !== null).length;
    const jobsBefore = (await eraseJobs()).length;

    const outcome = await erase(key(...emails));
    expect(outcome).toMatchObject({ recordsDeleted: contacts + entries });
    const jobs = (await eraseJobs()).slice(jobsBefore);
    expect(jobs).toHaveLength(1);
    expect(new Set(jobs[0]!.email_addresses)).toEqual(new Set(emails));
    for (const email of emails) {
      const after = await fromSendGrid(email);
      expect({ email, lists: after.lists, contact: after.contact, messages: after.messages, global: after.global }).toEqual({
        email, lists: { bounces: [], blocks: [], spam_reports: [], invalid_emails: [] }, contact: null, messages: [], global: { recipient_email: email },
      });
    }
    const again = await erase(key(...emails));
    expect(again).toMatchObject({ status: 'SUCCEEDED', recordsDeleted: 0 });
  });

  it('does nothing for a subject SendGrid holds nothing about', async () => {
    const jobs = (await eraseJobs()).length;
    const { result, calls } = await countingCalls(() => erase(key(NOBODY, JONS)));
    expect(result).toEqual({ status: 'NOT_FOUND', recordsDeleted: 0, note: expect.any(String) });
    expect(writesOf(calls)).toEqual([]);
    expect((await eraseJobs()).length).toBe(jobs);
    expect((await fromSendGrid(NOBODY)).global).toEqual({});
  });

  it('fails without an identifier in the error when a call fails, and a retry completes the erasure', async () => {
    const email = CONTACT_PERSON.email;
    const before = await fromSendGrid(email);
    expect(before.contact).not.toBeNull();
    await injectFault(sim.baseUrl, { pathPattern: '^/v3/recipients/erasejob$', status: 403, count: 1 });
    const err = await erase(key(email)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as Error).message).toBe('sendgrid answered HTTP 403 to POST /v3/recipients/erasejob');
    // what was done before the failure stays done; the retry does the rest and reports the activity
    const between = await fromSendGrid(email);
    expect(between.contact).toBeNull();
    expect(between.global).toEqual({ recipient_email: email });
    const outcome = await erase(key(email));
    expect(outcome).toMatchObject({ recordsDeleted: 0, note: expect.stringMatching(/erasure job started for 1 address/) });
    expect(before.messages.length).toBeGreaterThan(0);
    expect(outcome).toMatchObject({ status: 'RETAINED', recordsRetained: before.messages.length, retainedUntil: newestPlus30Days(before.messages) });
    expect((await eraseJobs()).at(-1)!.email_addresses).toEqual([email]);
    expect((await fromSendGrid(email)).messages).toEqual([]);
  });
});

describe('SendGrid erasure jobs', () => {
  it('shares one erasure job between erasures that run at the same time', async () => {
    const fresh = build(sim);
    const people = recipients.filter((e) => !Object.values(LISTED).includes(e) && e !== CONTACT_PERSON.email && e !== RECTIFIED.email).slice(0, 12);
    const before = (await eraseJobs()).length;
    const outcomes = await Promise.all(people.map((email) => fresh.erase({ email: [email] }, new AbortController().signal)));
    expect(outcomes.every((o) => o.status === 'RETAINED' || o.status === 'SUCCEEDED')).toBe(true);
    const after = await eraseJobs();
    expect(after.length - before).toBe(1);
    expect(fresh.eraseJobs.jobsSent).toBe(1);
    expect(JSON.stringify(after.slice(before))).toContain(people[11]!);
  });

  it('batches addresses within 5,000 a job and 256 KB of payload', () => {
    const short = Array.from({ length: 12_001 }, (_, i) => `user${i}@example.com`);
    expect(eraseJobBatches(short).map((b) => b.length)).toEqual([5000, 5000, 2001]);
    const long = Array.from({ length: 3000 }, (_, i) => `${'x'.repeat(180)}${i}@example.com`);
    const batches = eraseJobBatches(long);
    expect(batches.flat()).toEqual(long);
    expect(batches.length).toBe(3);
    for (const b of batches) {
      expect(Buffer.byteLength(JSON.stringify({ email_addresses: b }))).toBeLessThanOrEqual(ERASEJOB_MAX_BYTES);
      expect(b.length).toBeLessThanOrEqual(ERASEJOB_MAX_ADDRESSES);
    }
    expect(Buffer.byteLength(JSON.stringify({ email_addresses: [...batches[0]!, batches[1]![0]] }))).toBeGreaterThan(ERASEJOB_MAX_BYTES);
    expect(eraseJobBatches(['a@example.com', 'a@example.com'])).toEqual([['a@example.com']]);
    expect(eraseJobBatches([])).toEqual([]);
  });

  it('waits out SendGrid’s erasure job rate limit (Reset in seconds) instead of failing', async () => {
    const dataDir = dirs.make();
    const limited = await startSendGridSimulator({ dataDir, world, erasejobRateLimit: { limit: 2, windowMs: 2000 } });
    try {
      const c = build(limited, { eraseJobLingerMs: 0 });
      const subjects = [ERIK_X, MARIA, KARIN];
      const started = Date.now();
      const outcomes = [];
      for (const email of subjects) outcomes.push(await erase(key(email), c));
      expect(outcomes.map((o) => o.status)).toEqual(['RETAINED', 'RETAINED', 'RETAINED']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect((await eraseJobs(limited)).map((j) => j.email_addresses)).toEqual(subjects.map((e) => [e]));
      expect(logLines.some((l) => l.includes('"http retry"') && l.includes('/v3/recipients/erasejob'))).toBe(true);
    } finally {
      await limited.close();
    }
  });
});

describe('SendGrid restriction', () => {
  it('adds the global unsubscribe on, keeps it when lifted, and reports each run truthfully', async () => {
    const before = await fromSendGrid(ERIK_X);
    expect(before.global).toEqual({});
    const on = await restrict(key(ERIK_X), true);
    expect(on).toEqual({ status: 'SUCCEEDED', note: expect.stringMatching(/^Global unsubscribe added for 1 address, already present for 0 addresses/) });
    expect((await fromSendGrid(ERIK_X)).global).toEqual({ recipient_email: ERIK_X });
    const [snapshot] = await connector.collect([key(ERIK_X)], signal());
    expect(snapshot!.datasets[1]!.records).toEqual([{ source: 'global_unsubscribes', recipient_email: ERIK_X }]);

    const { result: onAgain, calls } = await countingCalls(() => restrict(key(ERIK_X), true));
    expect(onAgain.note).toMatch(/^Global unsubscribe added for 0 addresses, already present for 1 address/);
    expect(writesOf(calls)).toEqual([]);

    const { result: off, calls: offCalls } = await countingCalls(() => restrict(key(ERIK_X), false));
    expect(off).toEqual({ status: 'SUCCEEDED', note: expect.stringMatching(/^Nothing changed in SendGrid.*not recorded here/) });
    expect(writesOf(offCalls)).toEqual([]);
    expect(await fromSendGrid(ERIK_X)).toEqual({ ...before, global: { recipient_email: ERIK_X } });
  });

  it('never lifts an unsubscribe the person set, and finds nothing to restrict for an unknown address', async () => {
    const before = await fromSendGrid(ERIK);
    expect(before.global).toEqual({ recipient_email: ERIK });
    const { calls } = await countingCalls(() => restrict(key(ERIK), false));
    expect(writesOf(calls)).toEqual([]);
    expect(await fromSendGrid(ERIK)).toEqual(before);
    const { result, calls: unknownCalls } = await countingCalls(() => restrict(key(NOBODY), true));
    expect(result).toMatchObject({ status: 'NOT_FOUND' });
    expect(writesOf(unknownCalls)).toEqual([]);
    expect((await fromSendGrid(NOBODY)).global).toEqual({});
  });
});

describe('SendGrid objection to marketing', () => {
  it('adds the global unsubscribe and deletes the marketing contact; the email activity stays', async () => {
    const before = await fromSendGrid(KARIN);
    expect(before.contact).not.toBeNull();
    expect(before.global).toEqual({});
    const deletions = (await contactDeletions()).length;
    const { result, calls } = await countingCalls(() => suppress(key(KARIN)));
    expect(result).toEqual({ status: 'SUCCEEDED', recordsDeleted: 1, note: expect.stringMatching(/^Global unsubscribe added for 1 address, already present for 0 addresses; 1 marketing contact deleted/) });
    expect([...calls].sort()).toEqual(
      [`GET /v3/asm/suppressions/global/${KARIN}`, 'POST /v3/marketing/contacts/search/emails', 'POST /v3/asm/suppressions/global', 'DELETE /v3/marketing/contacts'].sort(),
    );
    expect((await contactDeletions()).slice(deletions)).toEqual([expect.objectContaining({ ids: [before.contact!.id], deleted: 1 })]);
    const after = await fromSendGrid(KARIN);
    expect(after).toEqual({ ...before, global: { recipient_email: KARIN }, contact: null });

    const again = await suppress(key(KARIN));
    expect(again).toEqual({ status: 'SUCCEEDED', recordsDeleted: 0, note: expect.stringMatching(/^Global unsubscribe added for 0 addresses, already present for 1 address; 0 marketing contacts deleted/) });
    expect(await contactDeletions()).toHaveLength(deletions + 1);
  });

  it('suppresses an address SendGrid does not hold yet, so a later import is never emailed; none for an address it cannot hold', async () => {
    const fresh = 'ingen.reklam@northwind.example';
    expect(await suppress(key(fresh))).toMatchObject({ status: 'SUCCEEDED', recordsDeleted: 0 });
    expect((await fromSendGrid(fresh)).global).toEqual({ recipient_email: fresh });
    const { result, calls } = await countingCalls(() => suppress(key(JONS)));
    expect(result).toMatchObject({ status: 'NOT_FOUND' });
    expect(writesOf(calls)).toEqual([]);
  });
});

describe('SendGrid rectification', () => {
  const email = RECTIFIED.email;
  const fields = (c: Row | null) => {
    const { first_name, last_name, updated_at, ...rest } = c ?? {};
    return { names: [first_name, last_name], updated_at, rest };
  };

  it('refuses unknown, read-only or invalid fields before reading or changing anything', async () => {
    const before = await fromSendGrid(email);
    const refused: FieldChange[][] = [
      [{ field: 'first_name', value: 'Ok' }, { field: 'email', value: 'other@example.com' }],
      [{ field: 'phone_number', value: '+46700000000' }],
      [{ field: 'custom_fields', value: '{}' }],
      [{ field: 'first_name', value: 'x'.repeat(51) }],
      [{ field: 'last_name', value: '   ' }],
      [{ field: 'last_name', value: 'A\u0000B' }],
      [{ field: 'first_name', value: 'A' }, { field: 'first_name', value: 'B' }],
      [],
    ];
    for (const changes of refused) {
      const { result, calls } = await countingCalls(() => rectify(key(email), changes).catch((e: unknown) => e));
      expect({ changes, code: (result as { extensions?: { code?: string } }).extensions?.code }).toEqual({ changes, code: 'BAD_USER_INPUT' });
      expect((result as Error).message).not.toMatch(/other@example|\+4670|x{10}/);
      expect(calls).toEqual([]);
    }
    expect(await fromSendGrid(email)).toEqual(before);
  });

  it('corrects first and last name with an upsert by the contact’s identifiers, and leaves every other field as it was', async () => {
    const before = await fromSendGrid(email);
    const { result, calls } = await countingCalls(() => rectify(key(email), [{ field: 'first_name', value: ' Ebba ' }, { field: 'last_name', value: 'Åström-Lind' }]));
    expect(result).toEqual({ status: 'SUCCEEDED', note: '1 marketing contact updated (first_name, last_name); SendGrid applies the update asynchronously.' });
    expect(calls).toEqual(['POST /v3/marketing/contacts/search/emails', 'PUT /v3/marketing/contacts']);
    const after = await fromSendGrid(email);
    expect(fields(after.contact).names).toEqual(['Ebba', 'Åström-Lind']);
    expect(fields(after.contact).rest).toEqual(fields(before.contact).rest);
    expect({ ...after, contact: null }).toEqual({ ...before, contact: null });

    const { result: again, calls: againCalls } = await countingCalls(() => rectify(key(email), [{ field: 'last_name', value: 'Åström-Lind' }]));
    expect(again).toEqual({ status: 'SUCCEEDED', note: expect.stringMatching(/already has the last_name asked for; nothing sent/) });
    expect(againCalls).toEqual(['POST /v3/marketing/contacts/search/emails']);
    expect((await fromSendGrid(email)).contact).toEqual(after.contact);
  });

  it('answers NOT_FOUND for a subject without a marketing contact, and changes nothing', async () => {
    const before = await fromSendGrid(ERIK);
    const { result, calls } = await countingCalls(() => rectify(key(ERIK, NOBODY), [{ field: 'first_name', value: 'Erik' }]));
    expect(result).toEqual({ status: 'NOT_FOUND', note: expect.any(String) });
    expect(writesOf(calls)).toEqual([]);
    expect(await fromSendGrid(ERIK)).toEqual(before);
  });

  it('the simulator’s upsert answers as SendGrid’s spec documents', async () => {
    const put = (body: unknown) => http(`${sim.baseUrl}/v3/marketing/contacts`, jsonBody(body, 'PUT', auth(sim)));
    const ok = await put({ contacts: [{ email: 'new.contact@example.com', first_name: 'Ny' }] });
    expect(ok.status).toBe(202);
    expectSpecResponse('mc_contacts.json', 'put', '/v3/marketing/contacts', 202, ok.body);
    expect((await fromSendGrid('new.contact@example.com')).contact).toMatchObject({ email: 'new.contact@example.com', first_name: 'Ny', last_name: '' });
    for (const bad of [{}, { contacts: [] }, { contacts: [{ first_name: 'No email' }] }, { contacts: [{ email: 'a@example.com', first_name: 'x'.repeat(51) }] }]) {
      const res = await put(bad);
      expect(res.status).toBe(400);
      expectSpecResponse('mc_contacts.json', 'put', '/v3/marketing/contacts', 400, res.body);
    }
    expect((await http(`${sim.baseUrl}/v3/marketing/contacts`, jsonBody({ contacts: [{ email: 'a@example.com' }] }, 'PUT'))).status).toBe(401);
  });
});

describe('SendGrid actions: logs and notes', () => {
  it('never writes an identifier, a name or the key to the logs or to a note', () => {
    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    expect(notes.length).toBeGreaterThan(10);
    const secrets = [ANNA, ERIK, ERIK_X, MARIA, KARIN, NOBODY, JONS, RECTIFIED.email, ...Object.values(LISTED), 'Ebba', 'Åström', sim.key, encodeURIComponent(ANNA)];
    for (const secret of secrets) {
      expect({ secret, inLogs: all.includes(secret) }).toEqual({ secret, inLogs: false });
      expect({ secret, inNotes: notes.some((n) => n.includes(secret)) }).toEqual({ secret, inNotes: false });
    }
    expect(notes.some((n) => n.includes('@'))).toBe(false);
  });
});
