import { printSchema } from 'graphql';
import { startHogiaSimulator, type HogiaSimulator } from '../../simulators/hogia';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { ConfigError, loadConfig, type ConnectorSettings } from '../../src/config';
import type { Row, SubjectKey, SystemSnapshot } from '../../src/connectors/connector';
import { HogiaConnector, hogiaConnectorFactory } from '../../src/connectors/hogia/hogia.connector';
import { INVOICE_RETENTION } from '../../src/connectors/hogia/hogia.descriptor';
import { HogiaSubjectResolver } from '../../src/connectors/hogia/hogia.resolver';
import { HttpClientError, HttpError } from '../../src/connectors/http';
import { Subject } from '../../src/resolvers/subject.types';
import { buildGatewaySchema } from '../../src/schema';
import { normaliseEmail } from '../../src/services/identity';
import { http, injectFault, jsonBody, TempDirs, TEST_USERS } from '../simulators/helpers';
import { capturingLogger } from './http/test-server';

const world = buildWorld({ users: TEST_USERS });
const samples = sampleSubjects(world);
const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
const ANNA = sample('app-1');
const SOFIA = sample('app-4');
const KARIN = sample('private-karin');
const LARS = sample('app-6');
const PER = sample('supplier-per');
const LOOKALIKE = sample('lookalike-anna');
/** Northwind's company record: a customer, not a person. */
const NORTHWIND = world.hogia.contacts.find((c) => c.companyName === 'Northwind Traders AB' && c.givenName === null)!;
/** Anna's colleague at Northwind, also a contact person in Hogia but not named on the invoices. */
const KLARA = world.hogia.contacts.find((c) => c.companyName === 'Northwind Traders AB' && c.givenName === 'Klara')!;

const dirs = new TempDirs();
const { logger, lines } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dirs.make() });

let sim: HogiaSimulator;
let bearer: string;

/** The settings the demo passes (the simulator's start result). */
const demoSettings = (): Record<string, unknown> => ({
  baseUrl: sim.baseUrl,
  organizationGuid: sim.organizationGuid,
  tokenUrl: sim.tokenUrl,
  clientId: sim.clientId,
  clientSecret: sim.clientSecret,
  apiVersion: sim.apiVersion,
  invoicesPath: sim.invoicesPath,
});

function connector(settings: Record<string, unknown> = {}): HogiaConnector {
  const all = { kind: 'hogia', enabled: true, ...demoSettings(), retries: 2, ...settings } as ConnectorSettings;
  return hogiaConnectorFactory.create('hogia', all, { config, logger }) as HogiaConnector;
}

const collect = (c: HogiaConnector, subjects: SubjectKey[]) => c.collect(subjects, new AbortController().signal);
const records = (s: SystemSnapshot, dataset: string): Row[] => s.datasets.find((d) => d.name === dataset)!.records;

/** The simulator's own API, straight over HTTP with the real calls: a list's items. */
async function api(path: string, query: Record<string, string>): Promise<Row[]> {
  const url = new URL(`${sim.apiBaseUrl}${path}`);
  for (const [k, v] of Object.entries({ ...query, pageSize: '500', 'api-version': sim.apiVersion })) url.searchParams.set(k, v);
  const res = await http(url.toString(), { headers: { authorization: `Bearer ${bearer}` } });
  expect(res.status).toBe(200);
  expect(res.body.totalPages).toBeLessThanOrEqual(1);
  return res.body.items;
}

/** Counts the connector's upstream calls by kind (every call goes through fetch). */
function countCalls() {
  const original = globalThis.fetch;
  const counts = { token: 0, contacts: 0, invoices: 0 };
  const spy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.origin === sim.baseUrl) {
      if (url.pathname === '/connect/token') counts.token += 1;
      else if (url.pathname.endsWith('/contacts')) counts.contacts += 1;
      else if (url.pathname.endsWith(sim.invoicesPath)) counts.invoices += 1;
    }
    return original(input, init);
  });
  return { counts, restore: () => spy.mockRestore() };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

/** Changes a contact through the API (JSON merge patch with the current version). */
async function patchContact(id: string, patch: Record<string, unknown>): Promise<void> {
  const url = `${sim.apiBaseUrl}/contacts/${id}?api-version=${sim.apiVersion}`;
  const current = await http(url, { headers: { authorization: `Bearer ${bearer}` } });
  const res = await http(url, jsonBody({ ...patch, version: current.body.version }, 'PATCH', { authorization: `Bearer ${bearer}` }));
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sim = await startHogiaSimulator({ dataDir: dirs.make(), world });
  const res = await http(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret }),
  });
  bearer = res.body.access_token;
});
afterAll(async () => {
  await sim.close();
  dirs.removeAll();
});
afterEach(async () => {
  await http(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' });
});

describe('hogia connector against the Hogia simulator', () => {
  it('finds a private customer by customer number alone, with the invoices in their name, and reveals their email', async () => {
    const hogia = connector();
    for (const person of [SOFIA, KARIN]) {
      const [snapshot] = await collect(hogia, [{ customerNumber: [person.ids.customerNumber!] }]);
      const contacts = await api('/contacts', { number: person.ids.customerNumber! });
      expect(contacts).toHaveLength(1);
      expect(snapshot!.found).toBe(true);
      expect(records(snapshot!, 'contacts')).toEqual(contacts);
      const invoices = await api(sim.invoicesPath, { contactId: person.ids.hogiaContactId! });
      expect(invoices.length).toBeGreaterThan(0);
      expect(records(snapshot!, 'invoices')).toEqual(invoices);

      const ids = hogia.discover(snapshot!);
      expect(ids).toContainEqual({ kind: 'email', value: normaliseEmail(person.email) });
      expect(ids).toContainEqual({ kind: 'customerNumber', value: person.ids.customerNumber });
      expect(ids.filter((i) => i.kind === 'phone')).toHaveLength(1);
      expect(ids.find((i) => i.kind === 'phone')!.value).toMatch(/^\+46\d+$/);
    }
    // Karin's third invoice (2026) is still unpaid
    const [karin] = await collect(hogia, [{ customerNumber: [KARIN.ids.customerNumber!] }]);
    expect(records(karin!, 'invoices').map((i: any) => i.invoiceHeader.invoiceDate)).toEqual(['2019-05-20', '2022-11-03', '2026-11-02']);
  });

  it("gives a company's contact person only the invoices naming them: not the company's record, nor a colleague's", async () => {
    const hogia = connector();
    const [anna, klara, northwind] = await collect(hogia, [
      { email: [normaliseEmail(ANNA.email)] },
      { email: [KLARA.contactChannels[0]!.value] },
      { email: ['invoices@northwind.example'], customerNumber: [NORTHWIND.number] },
    ]);

    expect(records(anna!, 'contacts')).toEqual(await api('/contacts', { email: ANNA.email }));
    expect(records(anna!, 'contacts').map((c) => c.number)).toEqual(['3001']);
    const named = await api(sim.invoicesPath, { yourReference: 'Anna Lindqvist' });
    expect(named.length).toBeGreaterThan(0);
    expect(records(anna!, 'invoices')).toEqual(named.filter((i: any) => i.invoiceHeader.customerName === 'Northwind Traders AB'));
    for (const invoice of records(anna!, 'invoices') as any[]) {
      expect(invoice.invoiceHeader.yourReference).toBe('Anna Lindqvist');
      expect(invoice.invoiceHeader.customerNumber).toBe(NORTHWIND.number);
    }
    // her own channels only: never Northwind's customer number
    expect(hogia.discover(anna!)).toEqual([
      { kind: 'email', value: 'anna.lindqvist@northwind.example' },
      { kind: 'phone', value: '+46701234501' },
    ]);

    // a colleague at the same company: her own record, none of the company's invoices
    expect(records(klara!, 'contacts').map((c) => c.id)).toEqual([KLARA.id]);
    expect(records(klara!, 'invoices')).toEqual([]);
    // the company's own record is not a person's: neither its address nor its number finds it
    expect(northwind!.found).toBe(false);
    expect(records(northwind!, 'contacts')).toEqual([]);
    expect(records(northwind!, 'invoices')).toEqual([]);
  });

  it('gives supplier contacts and Lars (named on Woodgrove invoices) exactly what names them', async () => {
    const hogia = connector();
    const [lars, per, lookalike] = await collect(hogia, [
      { email: [normaliseEmail(LARS.email)] },
      { email: [normaliseEmail(PER.email)] },
      { email: [normaliseEmail(LOOKALIKE.email)] },
    ]);
    expect(records(lars!, 'invoices')).toEqual(
      (await api(sim.invoicesPath, { yourReference: 'Lars Ek' })).filter((i: any) => i.invoiceHeader.customerName === 'Woodgrove Bank AB'),
    );
    expect(records(lars!, 'invoices').length).toBeGreaterThan(0);
    expect(records(per!, 'contacts').map((c) => c.number)).toEqual([PER.ids.hogiaContactNumber]);
    expect(records(per!, 'invoices')).toEqual([]); // a supplier's contact: no customer invoices
    expect(lookalike!.found).toBe(false); // the Lime Go look-alike is not in invoicing
  });

  it('matches exactly: emails normalised, a contact number is not a customer number, a namesake elsewhere gets nothing', async () => {
    const hogia = connector();
    const nils = world.hogia.contacts.find((c) => c.givenName === 'Nils' && c.companyName === 'Trey Research AB')!;
    const cecilia = world.hogia.contacts.find((c) => c.givenName === 'Cecilia' && c.companyName === 'Trey Research AB')!;
    // stored in mixed case by someone; the search key is normalised
    await patchContact(nils.id, { contactChannels: [{ type: 'Email', value: ' Nils.Soderstrom@TreyResearch.example' }] });
    // a namesake of Anna at another company
    await patchContact(cecilia.id, { givenName: 'Anna', surName: 'Lindqvist' });

    const [mixed, namesake, contactNumber, near, unknown] = await collect(hogia, [
      { email: ['nils.soderstrom@treyresearch.example'] },
      { email: [cecilia.contactChannels[0]!.value] },
      { customerNumber: [ANNA.ids.hogiaContactNumber!] },
      { email: ['nna.lindqvist@northwind.example'], customerNumber: ['200'] },
      { email: ['nobody@example.se'], customerNumber: ['999999'] },
    ]);
    expect(records(mixed!, 'contacts').map((c) => c.id)).toEqual([nils.id]);
    expect(hogia.discover(mixed!)).toContainEqual({ kind: 'email', value: 'nils.soderstrom@treyresearch.example' });
    expect(records(namesake!, 'contacts').map((c) => c.id)).toEqual([cecilia.id]);
    expect(records(namesake!, 'invoices')).toEqual([]);
    expect(contactNumber!.found).toBe(false);
    expect(near!.found).toBe(false);
    expect(unknown!.found).toBe(false);
    expect(unknown!.datasets.map((d) => [d.name, d.records.length])).toEqual([['contacts', 0], ['invoices', 0]]);
  });

  it('batches many subjects: one token, one lookup per identifier, one invoice list per person found', async () => {
    const persons = world.hogia.contacts.filter((c) => c.givenName !== null && c.companyName !== 'Trey Research AB');
    const subjects: SubjectKey[] = persons.map((c) => ({ email: [normaliseEmail(c.contactChannels[0]!.value)] }));
    subjects.push({ customerNumber: [SOFIA.ids.customerNumber!] }, { email: [normaliseEmail(SOFIA.email)], customerNumber: [SOFIA.ids.customerNumber!] });
    const privates = persons.filter((c) => c.companyName === null).length;
    const names = new Set(persons.filter((c) => c.companyName !== null).map((c) => `${c.givenName} ${c.surName}`)).size;

    const hogia = connector();
    const calls = countCalls();
    try {
      const snapshots = await collect(hogia, subjects);
      expect(snapshots).toHaveLength(subjects.length);
      expect(snapshots.every((s) => s.found)).toBe(true);
      expect(calls.counts).toEqual({ token: 1, contacts: persons.length + 1, invoices: privates + names });
      // in the subjects' order, each as a collect of that subject alone gives it
      const [alone] = await collect(hogia, [subjects[0]!]);
      expect(snapshots[0]).toEqual(alone);
      expect(snapshots.at(-1)).toEqual(snapshots.at(-2));
      // the token is reused across calls
      await collect(hogia, [{ customerNumber: [KARIN.ids.customerNumber!] }]);
      expect(calls.counts.token).toBe(1);
    } finally {
      calls.restore();
    }
  });

  it('refreshes the token once when the API refuses it', async () => {
    const hogia = connector();
    await collect(hogia, [{ customerNumber: [SOFIA.ids.customerNumber!] }]);
    await injectFault(sim.baseUrl, { pathPattern: '/contacts$', status: 401, count: 1 });
    const calls = countCalls();
    try {
      const [sofia] = await collect(hogia, [{ customerNumber: [SOFIA.ids.customerNumber!] }]);
      expect(sofia!.found).toBe(true);
      expect(calls.counts).toEqual({ token: 1, contacts: 2, invoices: 1 });
    } finally {
      calls.restore();
    }
  });

  it('retries a 503 and then succeeds; a lasting failure is an HttpClientError without identifiers', async () => {
    const hogia = connector();
    await injectFault(sim.baseUrl, { pathPattern: '/contacts$', status: 503, count: 1 });
    const calls = countCalls();
    try {
      const [sofia] = await collect(hogia, [{ customerNumber: [SOFIA.ids.customerNumber!] }]);
      expect(sofia!.found).toBe(true);
      expect(calls.counts.contacts).toBe(2);
    } finally {
      calls.restore();
    }

    await injectFault(sim.baseUrl, { pathPattern: `${sim.invoicesPath}$`, status: 503, count: 5 });
    const e = await failure(collect(connector({ retries: 1 }), [{ email: [normaliseEmail(SOFIA.email)] }]));
    expect(e).toBeInstanceOf(HttpClientError);
    expect((e as HttpError).status).toBe(503);
    expect((e as Error).message).toBe('hogia answered HTTP 503 to GET /customerinvoices');

    await http(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' });
    await injectFault(sim.baseUrl, { pathPattern: '/connect/token$', status: 400, count: 1 });
    const refused = await failure(collect(connector(), [{ email: [normaliseEmail(SOFIA.email)] }]));
    expect(refused).toBeInstanceOf(HttpClientError);
    expect((refused as Error).message).toBe('hogia-id answered HTTP 400 to POST /connect/token');
  });

  it('refuses to page through a list when the API ignores a filter', async () => {
    const hogia = connector();
    const original = globalThis.fetch;
    let invoiceCalls = 0;
    // an API that ignores contactId: every customer's invoices come back, over several pages
    const spy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      if (!url.pathname.endsWith(sim.invoicesPath)) return original(input, init);
      invoiceCalls += 1;
      url.searchParams.delete('contactId');
      url.searchParams.set('pageSize', '100');
      return original(url.toString(), init);
    });
    try {
      const e = await failure(collect(hogia, [{ customerNumber: [SOFIA.ids.customerNumber!] }]));
      expect(e).toBeInstanceOf(HttpError);
      expect((e as Error).message).toBe('hogia answered HTTP 200 to GET /customerinvoices: the list was not narrowed by the search filter, so it was not read');
      expect(invoiceCalls).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps identifiers and record contents out of its logs', () => {
    const text = lines.join('\n').toLowerCase();
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [ANNA.email, SOFIA.email, KARIN.email, 'lindqvist', 'sjöberg', '+46701234501', sim.clientSecret, bearer]) {
      expect(text).not.toContain(secret.toLowerCase());
    }
  });
});

describe('hogia settings', () => {
  it.each([
    ['organizationGuid', { organizationGuid: undefined }],
    ['organizationGuid', { organizationGuid: 'not-a-guid' }],
    ['tokenUrl', { tokenUrl: 'id.hogia.se/connect/token' }],
    ['clientId', { clientId: '' }],
    ['clientSecret', { clientSecret: undefined }],
    ['apiVersion', { apiVersion: '2024-1-1' }],
    ['invoicesPath', { invoicesPath: 'customerinvoices' }],
    ['fiscalYearStartMonth', { fiscalYearStartMonth: 13 }],
    ['baseUrl', { baseUrl: 'api.hogia.se' }],
  ])('names %s when it is wrong', (name, patch) => {
    const e = (() => {
      try {
        connector(patch);
      } catch (err) {
        return err;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(new RegExp(`^connectors\\.hogia\\.${name}`));
    expect((e as Error).message).not.toContain(sim.clientSecret);
  });

  it('takes the secret from an environment variable and keeps the defaults', async () => {
    process.env.HOGIA_TEST_SECRET = sim.clientSecret;
    try {
      const hogia = connector({ clientSecret: undefined, clientSecretEnv: 'HOGIA_TEST_SECRET', invoicesPath: undefined });
      expect(hogia.fiscalYearStartMonth).toBe(1);
      expect(hogia.accepts).toEqual(['email', 'customerNumber']);
      const [sofia] = await collect(hogia, [{ customerNumber: [SOFIA.ids.customerNumber!] }]);
      expect(records(sofia!, 'invoices').length).toBeGreaterThan(0);
    } finally {
      delete process.env.HOGIA_TEST_SECRET;
    }
    expect(connector({ fiscalYearStartMonth: 7 }).fiscalYearStartMonth).toBe(7);
  });
});

describe('hogia descriptor and typed views', () => {
  it('describes the system truthfully', () => {
    const system = connector().system;
    expect(system).toMatchObject({ location: 'EU (Sweden)', capabilities: ['ACCESS', 'ERASURE', 'RESTRICTION', 'RECTIFICATION', 'MANUAL_STEPS'] });
    expect(system.transferSafeguard).toBeUndefined();
    const [contacts, invoices] = system.datasets;
    expect(contacts).toMatchObject({ name: 'contacts', legalBasis: 'CONTRACT' });
    expect(invoices).toMatchObject({ name: 'invoices', legalBasis: 'LEGAL_OBLIGATION', retention: INVOICE_RETENTION });
    expect(INVOICE_RETENTION).toBe('through the 7th calendar year after the fiscal year ends, bokföringslagen 7 kap. 2 §');
    const categories = system.datasets.flatMap((d) => d.fields.flatMap((f) => [f, ...(f.parts ?? [])]).map((f) => f.category));
    for (const c of ['contact.email', 'contact.phone', 'identity.name', 'identity.national_id', 'financial.invoice', 'financial.amount']) {
      expect(categories).toContain(c);
    }
  });

  it('declares every field the records hold, by its top-level name', async () => {
    const hogia = connector();
    const [snapshot] = await collect(hogia, [{ email: [normaliseEmail(ANNA.email)], customerNumber: [SOFIA.ids.customerNumber!] }]);
    for (const dataset of hogia.system.datasets) {
      const records = snapshot!.datasets.find((d) => d.name === dataset.name)!.records;
      expect(records.length).toBeGreaterThan(0);
      const keys = new Set(records.flatMap((r) => Object.keys(r)));
      expect([...keys].sort()).toEqual(dataset.fields.map((f) => f.name).sort());
    }
  });

  it('maps the records onto InvoiceContact and Invoice', async () => {
    const [snapshot] = await collect(connector(), [{ email: [normaliseEmail(ANNA.email)], customerNumber: [SOFIA.ids.customerNumber!] }]);
    const subject = Subject.from({
      identifiers: [],
      erasedAt: null,
      found: true,
      restricted: false,
      systems: [{ system: 'hogia', status: 'OK', error: null, fetchedAt: new Date(), snapshot: snapshot! }],
    });
    const resolver = new HogiaSubjectResolver();
    const contacts = resolver.invoiceContacts(subject);
    expect(contacts.map((c) => [c.number, c.isCustomer, c.isContactPerson, c.customerActive])).toEqual([
      ['3001', false, true, null],
      ['2001', true, false, true],
    ]);
    expect(contacts[1]).toMatchObject({ givenName: 'Sofia', surName: 'Berg', companyName: null, channels: [{ type: 'Email', value: 'sofia.berg@fabrikam.example' }, { type: 'Mobile', value: '+46761234504' }] });
    const invoices = resolver.invoices(subject);
    expect(invoices).toHaveLength(records(snapshot!, 'invoices').length);
    const raw = records(snapshot!, 'invoices')[0] as any;
    expect(invoices[0]).toEqual({
      id: raw.id,
      number: String(raw.invoiceHeader.invoiceNumber),
      invoiceDate: raw.invoiceHeader.invoiceDate,
      dueDate: raw.invoiceHeader.dueDate,
      fiscalYear: raw.invoiceHeader.fiscalYear,
      currency: 'SEK',
      customerNumber: raw.invoiceHeader.customerNumber,
      customerName: raw.invoiceHeader.customerName,
      grossAmount: raw.grossAmount,
      amountLeftToPay: raw.amountLeftToPay,
      state: raw.customerInvoiceState,
      reference: raw.invoiceHeader.yourReference,
    });

    const sdl = printSchema(await buildGatewaySchema([hogiaConnectorFactory]));
    expect(sdl).toContain('invoiceContacts: [InvoiceContact!]!');
    expect(sdl).toContain('invoices: [Invoice!]!');
  });
});
