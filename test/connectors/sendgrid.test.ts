import { Writable } from 'node:stream';
import { printSchema } from 'graphql';
import { ConfigError, loadConfig, type ConnectorSettings } from '../../src/config';
import type { GatewayContext } from '../../src/context';
import type { ConnectorEnvironment, Row, SubjectKey, SystemSnapshot } from '../../src/connectors/connector';
import { HttpClientError, HttpError, createHttpClient } from '../../src/connectors/http';
import { ConnectorRegistry } from '../../src/connectors/registry';
import { SendGridConnector, sendgridConnectorFactory } from '../../src/connectors/sendgrid/sendgrid.connector';
import { sendgridDescriptor } from '../../src/connectors/sendgrid/sendgrid.descriptor';
import { EmailMessageResolver, SendGridSubjectResolver } from '../../src/connectors/sendgrid/sendgrid.resolver';
import { parseSendGridSettings } from '../../src/connectors/sendgrid/sendgrid.settings';
import { EmailSuppressionKind } from '../../src/connectors/sendgrid/sendgrid.types';
import { createLogger } from '../../src/logger';
import { Subject } from '../../src/resolvers/subject.types';
import { buildGatewaySchema } from '../../src/schema';
import { normaliseEmail } from '../../src/services/identity';
import { startSendGridSimulator, type SendGridSimulator } from '../../simulators/sendgrid';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { http, injectFault, jsonBody, TempDirs, TEST_USERS } from '../simulators/helpers';

const world = buildWorld({ users: TEST_USERS });
const samples = sampleSubjects(world);
const emailOf = (ref: string) => normaliseEmail(samples.find((s) => s.ref === ref)!.email);
const ANNA = emailOf('app-1');
const ERIK = emailOf('app-2');
const ERIK_X = emailOf('app-3');
const MARIA = emailOf('app-7');
const KARIN = emailOf('private-karin');
const SUPPRESSION_LISTS = ['bounces', 'blocks', 'spam_reports', 'invalid_emails'] as const;

const dirs = new TempDirs();
const logLines: string[] = [];
const logger = createLogger('debug', new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } }));
let sim: SendGridSimulator;
let env: ConnectorEnvironment;
let connector: SendGridConnector;

const settingsFor = (over: Record<string, unknown> = {}): ConnectorSettings =>
  ({ kind: 'sendgrid', enabled: true, baseUrl: sim.baseUrl, apiKey: sim.key, ...over }) as ConnectorSettings;
const build = (over: Record<string, unknown> = {}) => sendgridConnectorFactory.create('sendgrid', settingsFor(over), env) as SendGridConnector;
const collect = (c: SendGridConnector, keys: SubjectKey[]) => c.collect(keys, AbortSignal.timeout(30_000));
const records = (snapshot: SystemSnapshot, dataset: string) => snapshot.datasets.find((d) => d.name === dataset)!.records;

beforeAll(async () => {
  const dataDir = dirs.make();
  sim = await startSendGridSimulator({ dataDir, world });
  env = { config: loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dataDir }), logger };
  connector = build();
});
afterAll(async () => {
  await sim.close();
  dirs.removeAll();
});
afterEach(async () => {
  await http(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' });
});

/** What SendGrid's own API returns for one address, fetched straight from the simulator. */
async function fromSendGrid(email: string): Promise<Record<'messages' | 'suppressions' | 'marketing_contacts', Row[]>> {
  const get = async (path: string) => (await http(`${sim.baseUrl}${path}`, { headers: { authorization: `Bearer ${sim.key}` } })).body;
  const e = encodeURIComponent(email);
  const messages = (await get(`/v3/messages?query=${encodeURIComponent(`to_email="${email}"`)}&limit=1000`)).messages as Row[];
  const global = (await get(`/v3/asm/suppressions/global/${e}`)) as Row;
  const groups = ((await get(`/v3/asm/suppressions/${e}`)).suppressions as Row[]).filter((g) => g.suppressed === true);
  const lists = await Promise.all(SUPPRESSION_LISTS.map(async (list) => ((await get(`/v3/suppression/${list}/${e}`)) as Row[]).map((r) => ({ source: list, ...r }))));
  const search = await http(`${sim.baseUrl}/v3/marketing/contacts/search/emails`, jsonBody({ emails: [email] }, 'POST', { authorization: `Bearer ${sim.key}` }));
  return {
    messages,
    suppressions: [
      ...(global.recipient_email ? [{ source: 'global_unsubscribes', ...global }] : []),
      ...groups.map((g) => ({ source: 'group_unsubscribes', ...g })),
      ...lists.flat(),
    ],
    marketing_contacts: search.status === 404 ? [] : [search.body.result[email].contact],
  };
}

/** Counts the upstream calls made while `work` runs, by method and path (no query string). */
async function countingCalls<T>(work: () => Promise<T>): Promise<{ result: T; calls: string[]; queries: string[]; headers: Headers[] }> {
  const original = globalThis.fetch;
  const calls: string[] = [];
  const queries: string[] = [];
  const headers: Headers[] = [];
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    calls.push(`${init?.method ?? 'GET'} ${decodeURIComponent(url.pathname)}`);
    if (url.searchParams.has('query')) queries.push(url.searchParams.get('query')!);
    headers.push(new Headers(init?.headers));
    return original(input, init);
  };
  try {
    return { result: await work(), calls, queries, headers };
  } finally {
    globalThis.fetch = original;
  }
}

describe('SendGrid connector: what it collects', () => {
  it('returns, per dataset, what SendGrid itself returns for each sample subject, in one batched collect', async () => {
    const emails = samples.map((s) => normaliseEmail(s.email));
    const snapshots = await collect(connector, emails.map((email) => ({ email: [email] })));
    expect(snapshots).toHaveLength(emails.length);
    for (const [i, email] of emails.entries()) {
      const expected = await fromSendGrid(email);
      for (const dataset of ['messages', 'suppressions', 'marketing_contacts'] as const) {
        expect({ email, dataset, records: records(snapshots[i]!, dataset) }).toEqual({ email, dataset, records: expected[dataset] });
      }
      const inSendGrid = samples[i]!.systems.includes('sendgrid');
      expect({ email, found: snapshots[i]!.found }).toEqual({ email, found: inSendGrid });
      expect(snapshots[i]!.restricted).toBe(false);
    }

    const byEmail = new Map(emails.map((e, i) => [e, snapshots[i]!]));
    expect(records(byEmail.get(ANNA)!, 'messages').length).toBeGreaterThan(10);
    expect(records(byEmail.get(ANNA)!, 'marketing_contacts')).toHaveLength(1);
    expect(records(byEmail.get(ERIK)!, 'suppressions').map((r) => [r.source, r.name ?? null])).toEqual([
      ['global_unsubscribes', null],
      ['group_unsubscribes', 'Newsletter'],
    ]);
    expect(records(byEmail.get(MARIA)!, 'suppressions').map((r) => r.source)).toEqual(['bounces']);
    expect(records(byEmail.get(KARIN)!, 'marketing_contacts')[0]).toMatchObject({ email: KARIN });
  });

  it('matches addresses exactly: a look-alike address and a prefix find nothing of another person', async () => {
    const [erik, erikX, prefix, nobody] = await collect(connector, [
      { email: [ERIK] },
      { email: [ERIK_X] },
      { email: [ERIK.slice(0, -1)] },
      { email: ['nobody@northwind.example'] },
    ]);
    const erikIds = records(erik!, 'messages').map((m) => m.msg_id);
    expect(erikIds.length).toBeGreaterThan(0);
    expect(records(erik!, 'messages').every((m) => normaliseEmail(String(m.to_email)) === ERIK)).toBe(true);
    expect(records(erikX!, 'messages').every((m) => normaliseEmail(String(m.to_email)) === ERIK_X)).toBe(true);
    expect(records(erikX!, 'messages').some((m) => erikIds.includes(m.msg_id))).toBe(false);
    expect(records(erikX!, 'suppressions')).toEqual([]);
    for (const s of [prefix!, nobody!]) {
      expect(s.found).toBe(false);
      expect(s.datasets.map((d) => d.records.length)).toEqual([0, 0, 0]);
    }
  });

  it('merges the records of a subject known by several addresses, and answers an empty key without calls', async () => {
    const { result, calls } = await countingCalls(() => collect(connector, [{ email: [ANNA, ERIK] }, { phone: ['+46701234567'] }]));
    const [both, none] = result;
    const [anna, erik] = await Promise.all([fromSendGrid(ANNA), fromSendGrid(ERIK)]);
    expect(new Set(records(both!, 'messages').map((m) => m.msg_id))).toEqual(new Set([...anna.messages, ...erik.messages].map((m) => m.msg_id)));
    expect(records(both!, 'suppressions')).toEqual([...anna.suppressions, ...erik.suppressions]);
    expect(none!.found).toBe(false);
    expect(calls.filter((c) => c.startsWith('GET /v3/messages'))).toHaveLength(1);
  });
});

describe('SendGrid connector: upstream calls', () => {
  const recipients = [...new Set(world.sendgrid.messages.map((m) => normaliseEmail(m.to_email)))].slice(0, 60);

  it('asks for 60 subjects with 2 activity queries, 1 contact search and 6 suppression lookups per address', async () => {
    expect(recipients).toHaveLength(60);
    const { result, calls } = await countingCalls(() => collect(connector, recipients.map((email) => ({ email: [email] }))));
    expect(calls.filter((c) => c === 'GET /v3/messages')).toHaveLength(2);
    expect(calls.filter((c) => c === 'POST /v3/marketing/contacts/search/emails')).toHaveLength(1);
    expect(calls.filter((c) => c.includes('/suppression'))).toHaveLength(6 * 60);
    expect(calls).toHaveLength(2 + 1 + 6 * 60);
    for (const [i, email] of recipients.entries()) {
      const expected = await fromSendGrid(email);
      expect({ email, messages: records(result[i]!, 'messages') }).toEqual({ email, messages: expected.messages });
      expect({ email, contacts: records(result[i]!, 'marketing_contacts') }).toEqual({ email, contacts: expected.marketing_contacts });
    }
  });

  it('asks again address by address, then in time windows, when an answer reaches the limit', async () => {
    const settings = parseSendGridSettings('sendgrid', settingsFor());
    const client = createHttpClient('sendgrid', settings, env, { headers: { authorization: `Bearer ${settings.apiKey}` } });
    const small = new SendGridConnector('sendgrid', client, sendgridDescriptor('US'), { messagesLimit: 5 });
    const emails = [ANNA, ERIK, MARIA];
    const { result, queries } = await countingCalls(() => collect(small, emails.map((email) => ({ email: [email] }))));
    for (const [i, email] of emails.entries()) {
      const expected = (await fromSendGrid(email)).messages;
      expect({ email, messages: records(result[i]!, 'messages') }).toEqual({ email, messages: expected });
    }
    expect((await fromSendGrid(ANNA)).messages.length).toBeGreaterThan(5);
    // one batched query, then one per address, then time windows for those with 5 or more messages
    expect(queries[0]).toBe(`to_email IN ("${ANNA}","${ERIK}","${MARIA}")`);
    expect(queries.filter((q) => q === `to_email="${ANNA}"` || q === `to_email="${MARIA}"`)).toHaveLength(2);
    expect(queries.some((q) => q.startsWith(`to_email="${ANNA}" AND last_event_time >= TIMESTAMP "`))).toBe(true);
    expect(queries.some((q) => q.startsWith(`to_email="${MARIA}" AND`))).toBe(false);
  });
});

describe('SendGrid connector: discover', () => {
  it('reveals the marketing contact’s addresses and phone (E.164), nothing for an address without a contact', async () => {
    const [anna, erik, karin] = await collect(connector, [{ email: [ANNA] }, { email: [ERIK] }, { email: [KARIN] }]);
    const annaContact = records(anna!, 'marketing_contacts')[0]!;
    expect(String(annaContact.phone_number)).toMatch(/^\+46\d+$/);
    expect(connector.discover(anna!)).toEqual([
      { kind: 'email', value: ANNA },
      { kind: 'phone', value: annaContact.phone_number },
    ]);
    expect(connector.discover(erik!)).toEqual([]);
    expect(connector.discover(karin!)).toEqual([
      { kind: 'email', value: KARIN },
      { kind: 'phone', value: '+46761234513' },
    ]);
  });
});

describe('SendGrid connector: typed views', () => {
  const subjectOf = (snapshot: SystemSnapshot) =>
    Subject.from({ identifiers: [], found: snapshot.found, restricted: false, erasedAt: null, systems: [{ system: 'sendgrid', status: 'OK', error: null, fetchedAt: new Date(), snapshot }] });
  const contextFor = (c: SendGridConnector): GatewayContext => {
    const scoped = new Map<string, unknown>();
    return {
      scoped: <T>(key: string, create: () => T): T => (scoped.has(key) ? (scoped.get(key) as T) : (scoped.set(key, create()), scoped.get(key) as T)),
      services: { registry: new ConnectorRegistry([c]), deadlineMs: () => 10_000 },
    } as unknown as GatewayContext;
  };

  it('joins the schema with emailMessages, emailSuppressions and marketingContact', async () => {
    const sdl = printSchema(await buildGatewaySchema([sendgridConnectorFactory]));
    expect(sdl).toContain('emailMessages: [EmailMessage!]!');
    expect(sdl).toContain('emailSuppressions: [EmailSuppression!]!');
    expect(sdl).toContain('marketingContact: MarketingContact');
    expect(sdl).toMatch(/events: \[EmailEvent!\]\n/);
  });

  it('maps the records and reads events on demand, once per message per request', async () => {
    const [anna, erik] = await collect(connector, [{ email: [ANNA] }, { email: [ERIK] }]);
    const views = new SendGridSubjectResolver();
    const messages = views.emailMessages(subjectOf(anna!));
    expect(messages.map((m) => m.msgId)).toEqual(records(anna!, 'messages').map((m) => m.msg_id));
    expect(messages[0]).toMatchObject({ toEmail: ANNA, lastEventTime: expect.any(Date) });
    expect(views.marketingContact(subjectOf(anna!))).toMatchObject({ email: ANNA, listIds: [expect.any(String)] });
    expect(views.marketingContact(subjectOf(erik!))).toBeNull();
    expect(views.emailSuppressions(subjectOf(erik!))).toEqual([
      { kind: EmailSuppressionKind.GLOBAL_UNSUBSCRIBE, email: ERIK, group: null, createdAt: null, reason: null, status: null },
      expect.objectContaining({ kind: EmailSuppressionKind.GROUP_UNSUBSCRIBE, group: expect.objectContaining({ name: 'Newsletter' }) }),
    ]);

    const ctx = contextFor(connector);
    const events = new EmailMessageResolver();
    const { result, calls } = await countingCalls(() =>
      Promise.all([events.events(messages[0]!, ctx), events.events(messages[1]!, ctx), events.events(messages[0]!, ctx)]),
    );
    expect(calls.filter((c) => c.startsWith('GET /v3/messages/'))).toHaveLength(2);
    const detail = (await http(`${sim.baseUrl}/v3/messages/${encodeURIComponent(messages[0]!.msgId)}`, { headers: { authorization: `Bearer ${sim.key}` } })).body;
    expect(result[0]!.map((e) => [e.name, e.processedAt.toISOString().replace('.000', '')])).toEqual(
      (detail.events as Row[]).map((e) => [e.event_name, e.processed]),
    );
    expect(result[2]).toEqual(result[0]);
    const gone = { ...messages[0]!, msgId: 'no-such-message.filter0001' };
    await expect(events.events(gone, contextFor(connector))).resolves.toEqual([]);
  });

  it('gives an error with a safe message for events SendGrid cannot give', async () => {
    const [anna] = await collect(connector, [{ email: [ANNA] }]);
    const message = new SendGridSubjectResolver().emailMessages(subjectOf(anna!))[0]!;
    await injectFault(sim.baseUrl, { pathPattern: '^/v3/messages/', status: 401 });
    const err = await new EmailMessageResolver().events(message, contextFor(connector)).catch((e: unknown) => e);
    expect(err).toMatchObject({ extensions: { code: 'SYSTEM_UNAVAILABLE' } });
    expect(String((err as Error).message)).not.toContain(message.msgId);
  });
});

describe('SendGrid connector: faults, auth and settings', () => {
  it('retries a 503 burst and a 429 with Retry-After, then succeeds', async () => {
    const expected = await fromSendGrid(MARIA);
    await injectFault(sim.baseUrl, { pathPattern: '^/v3/messages$', status: 503, count: 2 });
    await injectFault(sim.baseUrl, { pathPattern: '^/v3/suppression/bounces/', status: 429, count: 1, retryAfterS: 1 });
    const started = Date.now();
    const { result, calls } = await countingCalls(() => collect(connector, [{ email: [MARIA] }]));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(records(result[0]!, 'messages')).toEqual(expected.messages);
    expect(records(result[0]!, 'suppressions')).toEqual(expected.suppressions);
    expect(calls.filter((c) => c === 'GET /v3/messages')).toHaveLength(3);
    expect(logLines.some((l) => l.includes('"http retry"'))).toBe(true);
  });

  it('fails with an HttpClientError naming no identifier when SendGrid keeps failing', async () => {
    const fragile = build({ retries: 1, breaker: { failureThreshold: 50, cooldownMs: 1000 } });
    await injectFault(sim.baseUrl, { pathPattern: '^/v3/marketing/', status: 503 });
    const err = await collect(fragile, [{ email: [ANNA] }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpClientError);
    expect(err).toMatchObject({ status: 503 });
    expect((err as Error).message).toBe('sendgrid answered HTTP 503 to POST /v3/marketing/contacts/search/emails');
  });

  it('sends the API key as a Bearer token and the subuser as on-behalf-of; a wrong key is a 401', async () => {
    const { headers } = await countingCalls(() => collect(build({ onBehalfOf: 'engage-eu' }), [{ email: [ERIK] }]));
    expect(headers.every((h) => h.get('authorization') === `Bearer ${sim.key}` && h.get('on-behalf-of') === 'engage-eu')).toBe(true);
    const err = await collect(build({ apiKey: 'SG.wrong.key' }), [{ email: [ERIK] }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 401 });
  });

  it('rejects bad settings with a ConfigError naming the setting', () => {
    const bad = (over: Record<string, unknown>) => () => sendgridConnectorFactory.create('mail', settingsFor(over), env);
    expect(bad({ apiKey: undefined })).toThrow(ConfigError);
    expect(bad({ apiKey: undefined })).toThrow(/^connectors\.mail\.apiKey: required/);
    expect(bad({ apiKey: undefined, apiKeyEnv: 'DSR_TEST_NO_SUCH_VARIABLE' })).toThrow(/^connectors\.mail\.apiKeyEnv:/);
    expect(bad({ apiKey: 'SG.a b' })).toThrow(/^connectors\.mail\.apiKey:/);
    expect(bad({ baseUrl: 'api.sendgrid.com' })).toThrow(/^connectors\.mail\.baseUrl:/);
    expect(bad({ onBehalfOf: '' })).toThrow(/^connectors\.mail\.onBehalfOf:/);
    expect(bad({ onBehalfOf: 'a\nb' })).toThrow(/^connectors\.mail\.onBehalfOf:/);
    expect(bad({ timeoutMs: 5 })).toThrow(/^connectors\.mail\.timeoutMs:/);
  });

  it('describes where the data is by the configured host', () => {
    const us = sendgridConnectorFactory.create('sendgrid', settingsFor({ baseUrl: 'https://api.sendgrid.com' }), env);
    const eu = sendgridConnectorFactory.create('sendgrid', settingsFor({ baseUrl: 'https://api.eu.sendgrid.com' }), env);
    expect(us.system.location).toMatch(/^USA/);
    expect(eu.system.location).toMatch(/^EU/);
    for (const c of [us, eu]) {
      expect(c.system.processor).toBe('Twilio Inc. (SendGrid)');
      expect(c.system.transferSafeguard).toMatch(/Data Privacy Framework.*Standard Contractual Clauses/);
      expect(c.system.capabilities).toEqual(['ACCESS', 'ERASURE', 'RECTIFICATION', 'RESTRICTION', 'MARKETING_SUPPRESSION']);
      expect(c.system.datasets.map((d) => [d.name, d.legalBasis])).toEqual([
        ['messages', 'CONTRACT'],
        ['suppressions', 'LEGAL_OBLIGATION'],
        ['marketing_contacts', 'CONSENT'],
      ]);
    }
    expect(us.accepts).toEqual(['email']);
  });

  it('never writes an identifier or the key to its logs', () => {
    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [ANNA, ERIK, MARIA, KARIN, sim.key, encodeURIComponent(ANNA)]) expect(all).not.toContain(secret);
  });
});
