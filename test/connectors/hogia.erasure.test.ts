import { startHogiaSimulator, type HogiaSimulator } from '../../simulators/hogia';
import { buildWorld, sampleSubjects, type DemoWorld } from '../../simulators/world';
import { loadConfig, type ConnectorSettings } from '../../src/config';
import type { Connector, Row, SubjectKey, SystemSnapshot } from '../../src/connectors/connector';
import type { Invoice } from '../../src/connectors/hogia/hogia.api';
import { HogiaConnector, hogiaConnectorFactory, RESTRICTION_INSTRUCTIONS } from '../../src/connectors/hogia/hogia.connector';
import { parseRectification, retentionOf } from '../../src/connectors/hogia/hogia.erasure';
import { ANONYMISED_SURNAME } from '../../src/connectors/hogia/hogia.match';
import { fiscalYearEnd, invoiceRetainedUntil, parseInvoiceDate } from '../../src/connectors/hogia/hogia.retention';
import { HttpError } from '../../src/connectors/http';
import { DsrError } from '../../src/errors';
import { normaliseEmail } from '../../src/services/identity';
import { http, jsonBody, TempDirs, TEST_USERS } from '../simulators/helpers';
import { capturingLogger } from './http/test-server';

const LEGAL_BASIS = 'bokföringslagen 7 kap. 2 §';
const world = buildWorld({ users: TEST_USERS });
const samples = sampleSubjects(world);
const sample = (ref: string) => samples.find((s) => s.ref === ref)!;
const ANNA = sample('app-1');
const SOFIA = sample('app-4');
const LARS = sample('app-6');
const PER = sample('supplier-per');
const KARIN = sample('private-karin');
const byNumber = (number: string) => world.hogia.contacts.find((c) => c.number === number)!;
/** Other private customers of the demo world, with invoices in their own name. */
const JONAS = byNumber('2002');
const LINNEA = byNumber('2004');
const NORTHWIND = world.hogia.contacts.find((c) => c.companyName === 'Northwind Traders AB' && c.givenName === null)!;
const KLARA = world.hogia.contacts.find((c) => c.companyName === 'Northwind Traders AB' && c.givenName === 'Klara')!;
/** Made Anna's namesake at another company below. */
const CECILIA = world.hogia.contacts.find((c) => c.companyName === 'Trey Research AB' && c.givenName === 'Cecilia')!;

const emailOf = (c: { contactChannels: { type: string; value: string }[] }) => normaliseEmail(c.contactChannels.find((ch) => ch.type === 'Email')!.value);
const keyOf = (s: { email: string; ids: { customerNumber?: string } }): SubjectKey => ({
  email: [normaliseEmail(s.email)],
  ...(s.ids.customerNumber ? { customerNumber: [s.ids.customerNumber] } : {}),
});

const dirs = new TempDirs();
const { logger, lines } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: dirs.make() });
const signal = () => new AbortController().signal;

class Sim {
  bearer = '';
  constructor(readonly sim: HogiaSimulator) {}

  static async start(w: DemoWorld): Promise<Sim> {
    const s = new Sim(await startHogiaSimulator({ dataDir: dirs.make(), world: w }));
    const res = await http(s.sim.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: s.sim.clientId, client_secret: s.sim.clientSecret }),
    });
    s.bearer = res.body.access_token;
    return s;
  }

  connector(settings: Record<string, unknown> = {}): HogiaConnector {
    const all = {
      kind: 'hogia', enabled: true, baseUrl: this.sim.baseUrl, organizationGuid: this.sim.organizationGuid, tokenUrl: this.sim.tokenUrl,
      clientId: this.sim.clientId, clientSecret: this.sim.clientSecret, apiVersion: this.sim.apiVersion, retries: 1, ...settings,
    } as ConnectorSettings;
    return hogiaConnectorFactory.create('hogia', all, { config, logger }) as HogiaConnector;
  }

  private url(path: string, query: Record<string, string> = {}): string {
    const url = new URL(`${this.sim.apiBaseUrl}${path}`);
    for (const [k, v] of Object.entries({ ...query, 'api-version': this.sim.apiVersion })) url.searchParams.set(k, v);
    return url.toString();
  }

  /** A contact straight from the API. */
  async contact(id: string): Promise<Row> {
    const res = await http(this.url(`/contacts/${id}`), { headers: { authorization: `Bearer ${this.bearer}` } });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** Every contact and invoice of the organisation, straight from the API. */
  async everything(): Promise<{ contacts: Row[]; invoices: Row[] }> {
    const list = async (path: string) => {
      const res = await http(this.url(path, { pageSize: '500' }), { headers: { authorization: `Bearer ${this.bearer}` } });
      expect(res.status).toBe(200);
      expect(res.body.totalPages).toBe(1);
      return res.body.items as Row[];
    };
    return { contacts: await list('/contacts'), invoices: await list(this.sim.invoicesPath) };
  }

  /** Changes a contact as another user of Hogia would (merge patch with the current version). */
  async patch(id: string, patch: Record<string, unknown>): Promise<void> {
    const current = await this.contact(id);
    const res = await http(this.url(`/contacts/${id}`), jsonBody({ ...patch, version: current.version }, 'PATCH', { authorization: `Bearer ${this.bearer}` }));
    expect(res.status).toBe(200);
  }

  /** Counts the connector's calls by kind; `beforePut` runs before each PUT is sent. */
  count(beforePut?: (id: string) => Promise<void>) {
    const original = globalThis.fetch;
    const counts = { token: 0, lookups: 0, reads: 0, puts: 0, invoices: 0 };
    const base = this.sim.baseUrl;
    const invoicesPath = this.sim.invoicesPath;
    const spy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      if (url.origin === base) {
        const method = (init?.method ?? 'GET').toUpperCase();
        if (url.pathname === '/connect/token') counts.token += 1;
        else if (url.pathname.endsWith('/contacts')) counts.lookups += 1;
        else if (url.pathname.endsWith(invoicesPath)) counts.invoices += 1;
        else if (/\/contacts\/[^/]+$/.test(url.pathname) && method === 'PUT') {
          counts.puts += 1;
          if (beforePut) {
            spy.mockImplementation((i, n) => original(i, n)); // the hook's own calls are not counted
            try {
              await beforePut(decodeURIComponent(url.pathname.split('/').pop()!));
            } finally {
              spy.mockImplementation(counting);
            }
          }
        } else if (/\/contacts\/[^/]+$/.test(url.pathname)) counts.reads += 1;
      }
      return original(input, init);
    });
    const counting = spy.getMockImplementation()!;
    return { counts, restore: () => spy.mockRestore() };
  }
}

const records = (s: SystemSnapshot, dataset: string): Row[] => s.datasets.find((d) => d.name === dataset)!.records;
const endOf = (year: number) => new Date(`${year}-12-31T23:59:59.999Z`);

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

let hogia: Sim;

beforeAll(async () => {
  hogia = await Sim.start(world);
});
afterAll(async () => {
  await hogia.sim.close();
  dirs.removeAll();
});

describe('bookkeeping retention date', () => {
  it.each([
    ['2024-01-01', 1, 2031],
    ['2024-12-31', 1, 2031],
    ['2023-12-31', 1, 2030],
    // a fiscal year starting in July
    ['2024-09-10', 7, 2032],
    ['2024-06-30', 7, 2031],
    ['2024-07-01', 7, 2032],
    ['2025-01-31', 7, 2032],
    // a fiscal year starting in March ends with February: leap years
    ['2024-02-29', 3, 2031],
    ['2024-03-01', 3, 2032],
    ['2023-02-28', 3, 2030],
    // starting in February and in December
    ['2024-01-31', 2, 2031],
    ['2024-02-01', 2, 2032],
    ['2024-11-30', 12, 2031],
    ['2024-12-01', 12, 2032],
    // a timestamp: its date counts
    ['2024-12-31T23:30:00Z', 1, 2031],
  ])('an invoice dated %s (fiscal year from month %i) is kept through 31 December %i', (date, start, year) => {
    expect(invoiceRetainedUntil(date, start)).toEqual(endOf(year));
    expect(invoiceRetainedUntil(date, start)!.toISOString()).toBe(`${year}-12-31T23:59:59.999Z`);
  });

  it('knows the end of the fiscal year, month ends and leap days included', () => {
    expect(fiscalYearEnd({ year: 2024, month: 9 }, 7)).toEqual({ year: 2025, month: 6 });
    expect(fiscalYearEnd({ year: 2024, month: 6 }, 7)).toEqual({ year: 2024, month: 6 });
    expect(fiscalYearEnd({ year: 2023, month: 3 }, 3)).toEqual({ year: 2024, month: 2 });
    expect(fiscalYearEnd({ year: 2024, month: 5 }, 1)).toEqual({ year: 2024, month: 12 });
    expect(parseInvoiceDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it('refuses dates that do not exist and start months that are not months', () => {
    for (const bad of ['2023-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '24-01-01', 'yesterday', '', null, undefined, 20240101]) {
      expect(invoiceRetainedUntil(bad, 1)).toBeNull();
    }
    for (const month of [0, 13, 1.5]) expect(() => invoiceRetainedUntil('2024-01-01', month)).toThrow(RangeError);
  });

  it('takes the newest invoice of several, and fails rather than guess for an undated one', () => {
    const invoice = (invoiceDate: unknown) => ({ id: String(invoiceDate), invoiceHeader: { invoiceDate } }) as unknown as Invoice;
    expect(retentionOf([invoice('2021-05-01'), invoice('2024-09-10'), invoice('2019-01-01')], 1)).toEqual(endOf(2031));
    expect(retentionOf([invoice('2024-06-30'), invoice('2024-07-01')], 7)).toEqual(endOf(2032));
    expect(retentionOf([], 1)).toBeUndefined();
    expect(() => retentionOf([invoice('2024-01-01'), invoice(null)], 1)).toThrow('an invoice has no readable invoice date');
  });
});

describe('rectification input', () => {
  it('normalises names, emails and phones', () => {
    expect(parseRectification([
      { field: 'givenName', value: '  Karin   Maria ' },
      { field: 'surName', value: 'Sjöberg' },
      { field: 'email', value: ' Karin.M@Example.SE ' },
      { field: 'phone', value: '070-123 45 67' },
    ])).toEqual({ givenName: 'Karin Maria', surName: 'Sjöberg'.normalize('NFC'), email: 'karin.m@example.se', phone: '+46701234567' });
  });

  it.each([
    [[{ field: 'identificationNumber', value: '19800101-0000' }], /hogia cannot correct "identificationNumber": it corrects givenName, surName, email, phone/],
    [[{ field: 'givenName', value: 'A' }, { field: 'givenName', value: 'B' }], /givenName is named more than once/],
    [[{ field: 'email', value: 'not an address' }], /email must be a single address/],
    [[{ field: 'phone', value: '12' }], /phone must be a phone number/],
    [[{ field: 'surName', value: '   ' }], /surName must be a name/],
    [[{ field: 'surName', value: ANONYMISED_SURNAME }], /surName must be a name/],
    [[{ field: 'a b<script>', value: 'x' }], /hogia cannot correct that field/],
    [[], /no changes/],
  ])('refuses %j with BAD_USER_INPUT', (changes, message) => {
    const e = (() => {
      try {
        parseRectification(changes);
      } catch (err) {
        return err;
      }
      throw new Error('expected a refusal');
    })();
    expect(e).toBeInstanceOf(DsrError);
    expect((e as DsrError).extensions.code).toBe('BAD_USER_INPUT');
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toMatch(/19800101|not an address|<script>/);
  });
});

describe('hogia erasure against the simulator', () => {
  it("plans a private customer's erasure without changing anything: invoices and the record they need RETAINED, channels cleared", async () => {
    const before = await hogia.everything();
    const calls = hogia.count();
    let plan;
    try {
      plan = await hogia.connector().planErasure(keyOf(SOFIA), signal());
    } finally {
      calls.restore();
    }
    expect(plan).toEqual([
      expect.objectContaining({ dataset: 'invoices', action: 'RETAIN', records: 2, retainedUntil: endOf(2032), legalBasis: LEGAL_BASIS }),
      expect.objectContaining({ dataset: 'contacts', action: 'RETAIN', records: 1, retainedUntil: endOf(2032), legalBasis: LEGAL_BASIS }),
      expect.objectContaining({ dataset: 'contacts', action: 'ANONYMIZE', records: 1 }),
    ]);
    expect(calls.counts).toEqual({ token: 1, lookups: 2, reads: 0, puts: 0, invoices: 1 });
    // with a fiscal year starting in July, her newest invoice (2025-09-02) belongs to the year ending 2026-06-30
    const july = await hogia.connector({ fiscalYearStartMonth: 7 }).planErasure(keyOf(SOFIA), signal());
    expect(july[0]!.retainedUntil).toEqual(endOf(2033));
    expect(await hogia.everything()).toEqual(before);
  });

  it('erases a private customer: channels cleared, record inactive and kept with the invoices, which are untouched', async () => {
    const connector = hogia.connector();
    const invoicesBefore = (await hogia.everything()).invoices;
    const contactBefore = await hogia.contact(SOFIA.ids.hogiaContactId!);
    const calls = hogia.count();
    let outcome;
    try {
      outcome = await connector.erase(keyOf(SOFIA), signal());
    } finally {
      calls.restore();
    }
    expect(outcome).toEqual({
      status: 'RETAINED', recordsDeleted: 0, recordsAnonymized: 1, recordsRetained: 3, retainedUntil: endOf(2032), legalBasis: LEGAL_BASIS,
      note: expect.stringContaining('2 invoice(s) kept unchanged'),
    });
    expect(calls.counts).toEqual({ token: 1, lookups: 2, reads: 0, puts: 1, invoices: 1 });

    const after = await hogia.contact(SOFIA.ids.hogiaContactId!);
    expect(after).toEqual({
      ...contactBefore,
      contactChannels: [],
      customer: { ...(contactBefore.customer as Row), eInvoiceReceiverEmail: null, isActive: false },
      version: (contactBefore.version as number) + 1,
      updatedDate: expect.any(String),
    });
    expect((await hogia.everything()).invoices).toEqual(invoicesBefore);

    // read back by every identifier: the email finds nothing, the customer number the retained record
    const [byEmail, byNumber] = await connector.collect([{ email: [normaliseEmail(SOFIA.email)] }, { customerNumber: [SOFIA.ids.customerNumber!] }], signal());
    expect(byEmail!.found).toBe(false);
    expect(byNumber).toMatchObject({ found: true, restricted: true });
    expect(records(byNumber!, 'contacts')).toEqual([after]);
    expect(records(byNumber!, 'invoices')).toHaveLength(2);
    expect(connector.discover(byNumber!)).toEqual([{ kind: 'customerNumber', value: SOFIA.ids.customerNumber }]);

    // a second run changes nothing and says so; the plan now only retains
    const again = hogia.count();
    try {
      expect(await connector.erase(keyOf(SOFIA), signal())).toMatchObject({ status: 'RETAINED', recordsAnonymized: 0, recordsRetained: 3, retainedUntil: endOf(2032) });
      expect(again.counts.puts).toBe(0);
    } finally {
      again.restore();
    }
    expect(await connector.erase({ email: [normaliseEmail(SOFIA.email)] }, signal())).toEqual({ status: 'NOT_FOUND', note: expect.any(String) });
    expect((await connector.planErasure(keyOf(SOFIA), signal())).map((s) => [s.dataset, s.action, s.records])).toEqual([
      ['invoices', 'RETAIN', 2],
      ['contacts', 'RETAIN', 1],
    ]);
    expect(await hogia.contact(SOFIA.ids.hogiaContactId!)).toEqual(after);
  });

  it("erases a company's contact person: their record anonymised, the company's invoices naming them retained, nobody else touched", async () => {
    await hogia.patch(CECILIA.id, { givenName: 'Anna', surName: 'Lindqvist' }); // a namesake at another company
    const connector = hogia.connector();
    const before = await hogia.everything();
    const [found] = await connector.collect([keyOf(ANNA)], signal());
    const named = records(found!, 'invoices');
    expect(named.length).toBeGreaterThan(0);

    const plan = await connector.planErasure(keyOf(ANNA), signal());
    expect(plan).toEqual([
      expect.objectContaining({ dataset: 'invoices', action: 'RETAIN', records: named.length, retainedUntil: endOf(2033), legalBasis: LEGAL_BASIS }),
      expect.objectContaining({ dataset: 'contacts', action: 'ANONYMIZE', records: 1 }),
    ]);
    expect(await hogia.everything()).toEqual(before);

    expect(await connector.erase(keyOf(ANNA), signal())).toEqual({
      status: 'RETAINED', recordsDeleted: 0, recordsAnonymized: 1, recordsRetained: named.length, retainedUntil: endOf(2033), legalBasis: LEGAL_BASIS,
      note: expect.any(String),
    });
    const after = await hogia.everything();
    const anna = after.contacts.find((c) => c.id === ANNA.ids.hogiaContactId)!;
    expect(anna).toMatchObject({ givenName: null, surName: ANONYMISED_SURNAME, identificationNumber: null, contactChannels: [], addresses: [], customer: null, companyName: 'Northwind Traders AB', number: '3001' });
    expect(JSON.stringify(anna)).not.toMatch(/anna|lindqvist|46701234501/i);
    // every other record as it was: the invoices, the company, her colleague, her namesake
    expect(after.invoices).toEqual(before.invoices);
    expect(after.contacts.filter((c) => c.id !== anna.id)).toEqual(before.contacts.filter((c) => c.id !== anna.id));
    for (const id of [NORTHWIND.id, KLARA.id, CECILIA.id]) expect(after.contacts.find((c) => c.id === id)).toEqual(before.contacts.find((c) => c.id === id));

    // read back: nothing of hers is found any more; the namesake still is
    const [gone, namesake] = await connector.collect([keyOf(ANNA), { email: [emailOf(CECILIA)] }], signal());
    expect(gone!.found).toBe(false);
    expect(records(namesake!, 'contacts').map((c) => c.id)).toEqual([CECILIA.id]);
    expect(await connector.erase(keyOf(ANNA), signal())).toEqual({ status: 'NOT_FOUND', note: expect.any(String) });
    expect(await connector.planErasure(keyOf(ANNA), signal())).toEqual([]);
    expect(await hogia.everything()).toEqual(after);
  });

  it('erases a contact person no invoice names (SUCCEEDED), and a near address erases nobody', async () => {
    const connector = hogia.connector();
    const before = await hogia.everything();
    expect(await connector.erase({ email: ['er.wennberg@treyresearch.example'] }, signal())).toEqual({ status: 'NOT_FOUND', note: expect.any(String) });
    expect(await connector.erase({ email: ['per.wennberg@treyresearch.exampl'] }, signal())).toMatchObject({ status: 'NOT_FOUND' });
    expect(await hogia.everything()).toEqual(before);

    expect(await connector.planErasure(keyOf(PER), signal())).toEqual([expect.objectContaining({ dataset: 'contacts', action: 'ANONYMIZE', records: 1 })]);
    expect(await connector.erase(keyOf(PER), signal())).toEqual({ status: 'SUCCEEDED', recordsDeleted: 0, recordsAnonymized: 1, note: expect.any(String) });
    const per = await hogia.contact(PER.ids.hogiaContactId!);
    expect(per).toMatchObject({ givenName: null, surName: ANONYMISED_SURNAME, contactChannels: [] });
    expect((await connector.collect([keyOf(PER)], signal()))[0]!.found).toBe(false);
    expect(await connector.erase(keyOf(PER), signal())).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('re-reads a contact changed meanwhile (409) and retries once; a contact that keeps changing fails without identifiers', async () => {
    const connector = hogia.connector();
    // someone adds a phone number between the lookup and the update
    const calls = hogia.count(async (id) => {
      if (calls.counts.puts === 1) await hogia.patch(id, { contactChannels: [{ type: 'Email', value: emailOf(LINNEA) }, { type: 'Phone', value: '+46812345678' }] });
    });
    let outcome;
    try {
      outcome = await connector.erase({ customerNumber: [LINNEA.number] }, signal());
    } finally {
      calls.restore();
    }
    expect(outcome).toMatchObject({ status: 'RETAINED', recordsAnonymized: 1, recordsRetained: 2 });
    expect(calls.counts).toMatchObject({ puts: 2, reads: 1 });
    expect(await hogia.contact(LINNEA.id)).toMatchObject({ contactChannels: [], customer: { isActive: false }, givenName: 'Linnéa' });

    // changed before every attempt
    const busy = hogia.count(async (id) => hogia.patch(id, { addresses: [] }));
    let e;
    try {
      e = await failure(connector.erase({ customerNumber: [JONAS.number] }, signal()));
    } finally {
      busy.restore();
    }
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(409);
    expect((e as Error).message).toBe('hogia answered HTTP 409 to PUT /contacts/{id}: the contact kept changing while it was updated; try again');
    expect(busy.counts).toMatchObject({ puts: 2, reads: 1 });
    expect(await hogia.contact(JONAS.id)).toMatchObject({ contactChannels: JONAS.contactChannels });
    // the retry of the whole step then completes it
    expect(await connector.erase({ customerNumber: [JONAS.number] }, signal())).toMatchObject({ status: 'RETAINED', recordsAnonymized: 1 });
  });

  it('anonymises a private customer without invoices: no invoice needs the record (SUCCEEDED)', async () => {
    const w = buildWorld({ users: TEST_USERS });
    const karin = w.hogia.contacts.find((c) => c.number === KARIN.ids.customerNumber)!;
    w.hogia.invoices = w.hogia.invoices.filter((i) => i.invoiceHeader.customerId !== karin.id);
    const other = await Sim.start(w);
    try {
      const connector = other.connector();
      expect(await connector.planErasure(keyOf(KARIN), signal())).toEqual([expect.objectContaining({ dataset: 'contacts', action: 'ANONYMIZE', records: 1 })]);
      expect(await connector.erase(keyOf(KARIN), signal())).toEqual({ status: 'SUCCEEDED', recordsDeleted: 0, recordsAnonymized: 1, note: expect.any(String) });
      const after = await other.contact(karin.id);
      expect(after).toMatchObject({
        givenName: null, surName: ANONYMISED_SURNAME, identificationNumber: null, contactChannels: [], addresses: [], number: karin.number,
        customer: { isActive: false, eInvoiceReceiverEmail: null, invoiceReference: null },
      });
      expect(JSON.stringify(after)).not.toMatch(/karin|sjöberg|sjoberg|46761234513/i);
      // neither the email nor the customer number finds the anonymised record
      const [byEmail, byNumber] = await connector.collect([{ email: [normaliseEmail(KARIN.email)] }, { customerNumber: [KARIN.ids.customerNumber!] }], signal());
      expect([byEmail!.found, byNumber!.found]).toEqual([false, false]);
      expect(await connector.erase(keyOf(KARIN), signal())).toMatchObject({ status: 'NOT_FOUND' });
    } finally {
      await other.sim.close();
    }
  });

  it("restricts a private customer's own record and lifts it, read back through collect", async () => {
    const connector = hogia.connector();
    const others = (await hogia.everything()).contacts.filter((c) => c.id !== KARIN.ids.hogiaContactId);
    const calls = hogia.count();
    try {
      expect(await connector.restrict(keyOf(KARIN), true, signal())).toEqual({ status: 'SUCCEEDED', note: '1 customer record(s) marked inactive' });
      expect(calls.counts.puts).toBe(1);
      expect(await connector.restrict(keyOf(KARIN), true, signal())).toEqual({ status: 'SUCCEEDED', note: '0 customer record(s) marked inactive; 1 already were' });
      expect(calls.counts.puts).toBe(1);
    } finally {
      calls.restore();
    }
    expect(await hogia.contact(KARIN.ids.hogiaContactId!)).toMatchObject({ customer: { isActive: false }, contactChannels: world.hogia.contacts.find((c) => c.id === KARIN.ids.hogiaContactId)!.contactChannels });
    const [restricted] = await connector.collect([keyOf(KARIN)], signal());
    expect(restricted).toMatchObject({ found: true, restricted: true });

    expect(await connector.restrict(keyOf(KARIN), false, signal())).toEqual({ status: 'SUCCEEDED', note: '1 customer record(s) marked active' });
    expect((await connector.collect([keyOf(KARIN)], signal()))[0]).toMatchObject({ found: true, restricted: false });
    expect(await hogia.contact(KARIN.ids.hogiaContactId!)).toMatchObject({ customer: { isActive: true } });
    expect((await hogia.everything()).contacts.filter((c) => c.id !== KARIN.ids.hogiaContactId)).toEqual(others);
  });

  it("leaves a contact person's restriction to a person (no active flag in Hogia), changing nothing", async () => {
    const connector = hogia.connector();
    const before = await hogia.everything();
    const outcome = await connector.restrict(keyOf(LARS), true, signal());
    expect(outcome).toEqual({ status: 'WAITING_FOR_OPERATOR', note: `1 record(s) without a customer role of their own (a contact person's) have no active flag in Hogia: ${RESTRICTION_INSTRUCTIONS}` });
    expect(connector.manualInstructions('RESTRICTION')).toBe(RESTRICTION_INSTRUCTIONS);
    expect(connector.manualInstructions('ERASURE')).toBeUndefined();
    expect(await hogia.everything()).toEqual(before);
    expect(await connector.restrict({ email: ['nobody@example.se'] }, true, signal())).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('rectifies names, email and phone on the subject\'s own record; refuses bad input before any call', async () => {
    const connector = hogia.connector();
    const before = await hogia.everything();
    const calls = hogia.count();
    try {
      for (const changes of [
        [{ field: 'givenName', value: 'Karin' }, { field: 'number', value: '9999' }],
        [{ field: 'email', value: 'karin@' }],
        [{ field: 'givenName', value: 'Karin' }, { field: 'phone', value: 'call me' }],
      ]) {
        const e = await failure(connector.rectify(keyOf(KARIN), changes, signal()));
        expect(e).toBeInstanceOf(DsrError);
        expect((e as DsrError).extensions.code).toBe('BAD_USER_INPUT');
      }
      expect(calls.counts).toEqual({ token: 0, lookups: 0, reads: 0, puts: 0, invoices: 0 });
    } finally {
      calls.restore();
    }
    expect(await hogia.everything()).toEqual(before);

    const changes = [
      { field: 'givenName', value: ' Karin  Maria ' },
      { field: 'email', value: 'Karin.Maria@Post.example' },
      { field: 'phone', value: '0701234599' },
    ];
    expect(await connector.rectify(keyOf(KARIN), changes, signal())).toEqual({ status: 'SUCCEEDED', note: '1 contact record(s) corrected (givenName, email, phone)' });
    const after = await hogia.contact(KARIN.ids.hogiaContactId!);
    expect(after).toMatchObject({ givenName: 'Karin Maria', surName: 'Sjöberg', contactChannels: [{ type: 'Email', value: 'karin.maria@post.example' }, { type: 'Mobile', value: '+46701234599' }] });
    // read back: the new address finds her, the old one no longer does
    const [byNew, byOld] = await connector.collect([{ email: ['karin.maria@post.example'] }, { email: [normaliseEmail(KARIN.email)] }], signal());
    expect(records(byNew!, 'contacts').map((c) => c.id)).toEqual([KARIN.ids.hogiaContactId]);
    expect(byOld!.found).toBe(false);
    // again: nothing left to change
    const newKey: SubjectKey = { email: ['karin.maria@post.example'], customerNumber: [KARIN.ids.customerNumber!] };
    expect(await connector.rectify(newKey, changes, signal())).toEqual({ status: 'SUCCEEDED', note: '0 contact record(s) corrected (givenName, email, phone); 1 already were as requested' });
    expect(await hogia.contact(KARIN.ids.hogiaContactId!)).toEqual(after);
    const others = (c: Row[]) => c.filter((x) => x.id !== KARIN.ids.hogiaContactId);
    expect(others((await hogia.everything()).contacts)).toEqual(others(before.contacts));
    expect(await connector.rectify({ email: ['nobody@example.se'] }, changes, signal())).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('describes its capabilities truthfully', () => {
    expect(hogia.connector().system.capabilities).toEqual(['ACCESS', 'ERASURE', 'RESTRICTION', 'RECTIFICATION', 'MANUAL_STEPS']);
    expect((hogia.connector() as Connector).suppressMarketing).toBeUndefined(); // Hogia holds no marketing
  });

  it('keeps identifiers and record contents out of its logs and outcomes', () => {
    const text = lines.join('\n').toLowerCase();
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [ANNA.email, SOFIA.email, KARIN.email, PER.email, 'karin.maria', 'lindqvist', 'sjöberg', 'berg', '+4670', hogia.sim.clientSecret, hogia.bearer]) {
      expect(text).not.toContain(secret.toLowerCase());
    }
    expect(RESTRICTION_INSTRUCTIONS).not.toMatch(/@|\d{4}/);
  });
});
