/**
 * The demo world: who is where across the app and the three external systems (SendGrid, Lime Go,
 * Hogia). It is a pure function of the app's user count and a seed, and uses the app database's
 * own people (`demoPeople(users, seed)`, same emails), so every system tells one consistent story.
 *
 * This file decides the cast; each simulator's `seed.ts` turns the cast into that system's records.
 *
 * Who is where, in general:
 * - App users of organisations whose contract was active during the last 30 days received
 *   transactional email through SendGrid (about 60% of them, dated within the last 30 days, as
 *   SendGrid keeps activity for 30 days); some are marketing contacts, a few unsubscribed,
 *   bounced, were blocked or reported spam.
 * - Every customer organisation (the app's licensees) is an organisation in Lime Go with up to two
 *   HR contacts who are app users and one or two contacts who are not (finance, purchasing). One
 *   contact per customer is the invoice reference: a contact person in Hogia whose name appears in
 *   the reference of the company's invoices (the invoices are in the company's name).
 * - Suppliers and prospects are organisations in Lime Go whose contacts are not app users;
 *   supplier contacts are also contact persons in Hogia.
 * - Private customers (individuals, about users/150) are persons without employer in Lime Go and
 *   contacts in Hogia with invoices in their own name; about 30% of them are also app users.
 * - Marketing contacts outside the app (customer, prospect and private contacts) received the
 *   monthly newsletter.
 *
 * Sample subjects, placed deliberately (app ids are `demoPeople` ids; other ids: see
 * `sampleSubjects()`, which reads them from the generated records):
 * - Anna Lindqvist (app 1, HR contact at Northwind Traders): in every system. SendGrid messages and
 *   a marketing contact; Lime Go person `pase1578159` at Northwind; Hogia contact person 3001 and
 *   the reference on Northwind's invoices.
 * - Anna Lindqvist at Fourth Coffee AB (anna.lindqvist@fourthcoffee.example): a look-alike of app
 *   user 1, not an app user, only in Lime Go, so a fuzzy search for Anna returns both.
 * - Erik Nilsson (app 2, erik_nilsson@contoso.example): SendGrid messages, a global unsubscribe
 *   (the later messages are dropped) and a newsletter group unsubscribe.
 * - Erik Xnilsson (app 3): SendGrid messages only; his address looks like Erik Nilsson's.
 * - Sofia Berg (app 4, email stored in mixed case by the app): only in Hogia besides the app, as a
 *   private customer (number 2001) with invoices in her own name, her email and a mobile number the
 *   app does not have. A customer number alone leads to her email and so to her app account.
 * - Jöns Åkesson (app 5, non-ASCII email): HR contact at Tailspin Toys in Lime Go; no email logs
 *   (SendGrid's schemas only accept ASCII addresses).
 * - Lars Ek (app 6, Woodgrove Bank, contract ended more than a year ago): no recent email; HR
 *   contact in Lime Go and the reference on Woodgrove's invoices (2021..2025, still under the
 *   bookkeeping retention) as a Hogia contact person.
 * - Maria Holm (app 7, processing restricted in the app): SendGrid messages, the last one bounced,
 *   and a bounce suppression.
 * - Pär Wennberg (supplier contact at Trey Research AB, not an app user): Lime Go and Hogia.
 * - Karin Sjöberg (private customer, not an app user): Lime Go, Hogia (invoices in 2019, 2022 and
 *   2026, the last one unpaid) and a SendGrid marketing contact who received the newsletter.
 * - Zoom webinar registrations (see zoom/seed.ts): Anna three, her Fourth Coffee look-alike and a
 *   look-alike address one each, Karin one.
 */
import { asciiFold, DEMO_ORGANISATIONS, demoPeople, FIRST_NAMES, LAST_NAMES, normalisedEmail, type DemoPerson } from './people';
import { chance, pick, stream, type Random } from './common/random';
import { seedSendGrid, type SendGridData } from './sendgrid/seed';
import { seedLimeGo, type LimeGoData } from './limego/seed';
import { seedHogia, type HogiaData } from './hogia/seed';
import { seedZoom, type ZoomData } from './zoom/seed';

export const WORLD_SEED = 20261125;
export const DEFAULT_USERS = 3000;
/** The demo's "today", the same reference date as the app database. */
export const REFERENCE_NOW = Date.parse('2026-11-25T00:00:00Z');

export type SystemId = 'app' | 'sendgrid' | 'limego' | 'hogia' | 'zoom';
export type OrganisationKind = 'customer' | 'supplier' | 'prospect';

export interface WorldOrganisation {
  key: string;
  name: string;
  orgNumber: string;
  domain: string;
  city: string;
  kind: OrganisationKind;
  /** 'YYYY-MM-DD' for customers, else null. */
  contractStart: string | null;
  contractEnd: string | null;
  /** The organisation's id in the app database, for customers. */
  appOrganisationId: number | null;
}

export type SuppressionGroupKey = 'newsletter' | 'digest' | 'reminders';

/** What SendGrid holds about one address. */
export interface SendGridPlan {
  /** Received transactional email from the app in the last 30 days. */
  recipient: boolean;
  marketingContact: boolean;
  globalUnsubscribe: boolean;
  groupUnsubscribes: SuppressionGroupKey[];
  bounce: boolean;
  block: boolean;
  spamReport: boolean;
  invalidEmail: boolean;
}

export type InvoicingRole = 'contactPerson' | 'privateCustomer';

export interface WorldPerson {
  /** Stable name within the world: 'app-17', 'private-3', 'contact-northwind-2', ... */
  ref: string;
  firstName: string;
  lastName: string;
  /** As the person's systems hold it (the app's spelling for app users). */
  email: string;
  /** The phone number external systems know, or null. */
  phone: string | null;
  appUserId: number | null;
  /** Employer (an app user's is the app organisation); null for private customers outside the app. */
  organisation: WorldOrganisation | null;
  title: string | null;
  sendgrid: SendGridPlan | null;
  /** A person in Lime Go. */
  crm: boolean;
  invoicing: InvoicingRole | null;
}

export interface WorldCast {
  organisations: WorldOrganisation[];
  /** App users first (ids 1..users, in order), then everyone else. */
  people: WorldPerson[];
  /** Customer organisation key -> ref of the person named in its invoices' reference. */
  invoiceReference: Record<string, string>;
}

export interface DemoWorld {
  users: number;
  seed: number;
  /** Epoch ms the world is written against. */
  now: number;
  cast: WorldCast;
  sendgrid: SendGridData;
  limego: LimeGoData;
  hogia: HogiaData;
  /** Webinars and their registrants (placement: see zoom/seed.ts). */
  zoom: ZoomData;
}

export interface WorldOptions {
  users?: number;
  seed?: number;
  now?: number;
}

// ---- organisations -----------------------------------------------------------------------------

const CUSTOMER_CITIES: Record<number, string> = {
  1: 'Stockholm', 2: 'Göteborg', 3: 'Malmö', 4: 'Uppsala', 5: 'Stockholm', 6: 'Linköping',
  7: 'Örebro', 8: 'Västerås', 9: 'Helsingborg', 10: 'Lund', 11: 'Umeå', 12: 'Jönköping',
};

const OTHER_ORGANISATIONS: Omit<WorldOrganisation, 'contractStart' | 'contractEnd' | 'appOrganisationId'>[] = [
  { key: 'fourthcoffee', name: 'Fourth Coffee AB', orgNumber: '556711-2233', domain: 'fourthcoffee.example', city: 'Stockholm', kind: 'supplier' },
  { key: 'treyresearch', name: 'Trey Research AB', orgNumber: '556722-3344', domain: 'treyresearch.example', city: 'Göteborg', kind: 'supplier' },
  { key: 'graphicdesign', name: 'Graphic Design Institute AB', orgNumber: '556733-4455', domain: 'graphicdesigninstitute.example', city: 'Malmö', kind: 'supplier' },
  { key: 'southridge', name: 'Southridge Video AB', orgNumber: '556744-5566', domain: 'southridgevideo.example', city: 'Stockholm', kind: 'supplier' },
  { key: 'citypower', name: 'City Power & Light AB', orgNumber: '556755-6677', domain: 'citypowerlight.example', city: 'Uppsala', kind: 'supplier' },
  { key: 'blueyonder', name: 'Blue Yonder Airlines AB', orgNumber: '556766-7788', domain: 'blueyonderairlines.example', city: 'Sundsvall', kind: 'prospect' },
  { key: 'humongous', name: 'Humongous Insurance AB', orgNumber: '556777-8899', domain: 'humongousinsurance.example', city: 'Stockholm', kind: 'prospect' },
  { key: 'relecloud', name: 'Relecloud AB', orgNumber: '556788-9900', domain: 'relecloud.example', city: 'Karlstad', kind: 'prospect' },
  { key: 'vanarsdel', name: 'VanArsdel AB', orgNumber: '556799-0011', domain: 'vanarsdel.example', city: 'Gävle', kind: 'prospect' },
];

function worldOrganisations(): WorldOrganisation[] {
  const customers = DEMO_ORGANISATIONS.map((o) => ({
    key: o.domain.split('.')[0].replace(/-/g, ''),
    name: o.name,
    orgNumber: o.orgNumber,
    domain: o.domain,
    city: CUSTOMER_CITIES[o.id] ?? 'Stockholm',
    kind: 'customer' as const,
    contractStart: o.contractStart,
    contractEnd: o.contractEnd,
    appOrganisationId: o.id,
  }));
  const others = OTHER_ORGANISATIONS.map((o) => ({ ...o, contractStart: null, contractEnd: null, appOrganisationId: null }));
  return [...customers, ...others];
}

// ---- sample placement --------------------------------------------------------------------------

const ANNA = 1;
const ERIK = 2;
const ERIK_X = 3;
const SOFIA = 4;
const JONS = 5;
const LARS = 6;
const MARIA = 7;
/** App users whose placement is fixed (they are never drawn for another role). */
const SAMPLE_IDS = new Set([ANNA, ERIK, ERIK_X, SOFIA, JONS, LARS, MARIA]);

/** Fixed HR contacts (app user id by customer app-organisation id). */
const FIXED_HR_CONTACTS: Record<number, number> = { 1: ANNA, 4: JONS, 5: LARS };
/** Fixed invoice references (app user id by customer app-organisation id). */
const FIXED_INVOICE_REFERENCES: Record<number, number> = { 1: ANNA, 5: LARS };

/** Sofia Berg's mobile number, known to invoicing only (the app has none for her). */
const SOFIA_PHONE = '+46761234504';

const NO_SENDGRID: SendGridPlan = {
  recipient: false, marketingContact: false, globalUnsubscribe: false, groupUnsubscribes: [],
  bounce: false, block: false, spamReport: false, invalidEmail: false,
};

const FIXED_SENDGRID: Record<number, SendGridPlan | null> = {
  [ANNA]: { ...NO_SENDGRID, recipient: true, marketingContact: true },
  [ERIK]: { ...NO_SENDGRID, recipient: true, globalUnsubscribe: true, groupUnsubscribes: ['newsletter'] },
  [ERIK_X]: { ...NO_SENDGRID, recipient: true },
  [SOFIA]: null,
  [JONS]: null,
  [LARS]: null,
  [MARIA]: { ...NO_SENDGRID, recipient: true, bounce: true },
};

const HR_TITLES = ['HR Manager', 'HR Business Partner', 'People & Culture Lead', 'Learning & Development Manager'];
const FINANCE_TITLES = ['CFO', 'Financial Controller', 'Accounts Payable Manager'];
const OTHER_TITLES = ['Purchasing Manager', 'CEO', 'Office Manager', 'IT Manager'];
const SUPPLIER_TITLES = ['Key Account Manager', 'Sales Manager', 'Account Executive'];
const PROSPECT_TITLES = ['HR Director', 'Head of People', 'COO'];
const PRIVATE_DOMAINS = ['mail.example', 'post.example', 'inbox.example'];

// ---- building the cast -------------------------------------------------------------------------

/** Draws names, emails and phones for people who are not app users, unique across the world. */
class Outsiders {
  private readonly emails: Set<string>;
  private readonly phones = new Set<string>();

  constructor(appPeople: DemoPerson[], private readonly random: Random) {
    this.emails = new Set(appPeople.map((p) => normalisedEmail(p.email)));
  }

  reserve(email: string, phone: string | null): void {
    this.emails.add(normalisedEmail(email));
    if (phone) this.phones.add(phone);
  }

  person(ref: string, domain: string, phonePrefix: '+4673' | '+4676'): Pick<WorldPerson, 'ref' | 'firstName' | 'lastName' | 'email' | 'phone'> {
    const firstName = pick(this.random, FIRST_NAMES);
    const lastName = pick(this.random, LAST_NAMES);
    const local = `${asciiFold(firstName)}.${asciiFold(lastName)}`;
    let email = `${local}@${domain}`;
    for (let n = 2; this.emails.has(email); n++) email = `${local}${n}@${domain}`;
    let phone: string;
    do phone = `${phonePrefix}${String(Math.floor(this.random() * 10_000_000)).padStart(7, '0')}`;
    while (this.phones.has(phone));
    this.reserve(email, phone);
    return { ref, firstName, lastName, email, phone };
  }
}

function appSendGridPlan(person: DemoPerson, org: WorldOrganisation, now: number, random: Random): SendGridPlan | null {
  if (person.id in FIXED_SENDGRID) return FIXED_SENDGRID[person.id];
  const windowStart = now - 30 * 86_400_000;
  const mailable = org.contractEnd === null || Date.parse(`${org.contractEnd}T23:59:59Z`) >= windowStart;
  const recipient = mailable && chance(random, 0.6);
  const marketingContact = recipient && chance(random, 0.25);
  if (!recipient) return null;
  const groups: SuppressionGroupKey[] = chance(random, 0.03) ? [pick(random, ['newsletter', 'digest', 'reminders'] as const)] : [];
  return {
    recipient,
    marketingContact,
    globalUnsubscribe: chance(random, 0.02),
    groupUnsubscribes: groups,
    bounce: chance(random, 0.01),
    block: chance(random, 0.005),
    spamReport: chance(random, 0.003),
    invalidEmail: chance(random, 0.002),
  };
}

function marketingOnly(random: Random, p: number): SendGridPlan | null {
  if (!chance(random, p)) return null;
  return { ...NO_SENDGRID, marketingContact: true, globalUnsubscribe: chance(random, 0.03) };
}

function buildCast(appPeople: DemoPerson[], seed: number, now: number): WorldCast {
  const organisations = worldOrganisations();
  const byAppOrg = new Map(organisations.filter((o) => o.appOrganisationId !== null).map((o) => [o.appOrganisationId!, o]));
  const byKey = new Map(organisations.map((o) => [o.key, o]));
  const sendgridRandom = stream(seed, 11);
  const contactRandom = stream(seed, 12);
  const outsiders = new Outsiders(appPeople, stream(seed, 13));

  const people: WorldPerson[] = appPeople.map((p) => {
    const org = byAppOrg.get(p.organisationId)!;
    return {
      ref: `app-${p.id}`,
      firstName: p.firstName,
      lastName: p.lastName,
      email: p.email,
      phone: p.id === SOFIA ? SOFIA_PHONE : p.phone,
      appUserId: p.id,
      organisation: org,
      title: null,
      sendgrid: appSendGridPlan(p, org, now, sendgridRandom),
      crm: false,
      invoicing: null,
    };
  });
  const app = (id: number): WorldPerson | undefined => people[id - 1];
  const taken = new Set<number>(SAMPLE_IDS);
  const invoiceReference: Record<string, string> = {};
  const add = (p: WorldPerson): WorldPerson => {
    people.push(p);
    return p;
  };

  // Customers: HR contacts who use the app, a finance contact, sometimes one more.
  for (const org of organisations.filter((o) => o.kind === 'customer')) {
    const orgId = org.appOrganisationId!;
    const hr: WorldPerson[] = [];
    const fixed = app(FIXED_HR_CONTACTS[orgId]);
    if (fixed) hr.push(fixed);
    const candidates = appPeople.filter((p) => p.organisationId === orgId && !taken.has(p.id));
    while (hr.length < 2 && candidates.length > 0) {
      const [chosen] = candidates.splice(Math.floor(contactRandom() * candidates.length), 1);
      taken.add(chosen.id);
      hr.push(people[chosen.id - 1]);
    }
    for (const person of hr) {
      person.title = pick(contactRandom, HR_TITLES);
      person.crm = true;
    }
    const finance = add({
      ...outsiders.person(`contact-${org.key}-finance`, org.domain, '+4673'),
      appUserId: null, organisation: org, title: pick(contactRandom, FINANCE_TITLES),
      sendgrid: marketingOnly(sendgridRandom, 0.5), crm: true, invoicing: 'contactPerson',
    });
    if (chance(contactRandom, 0.5)) {
      add({
        ...outsiders.person(`contact-${org.key}-other`, org.domain, '+4673'),
        appUserId: null, organisation: org, title: pick(contactRandom, OTHER_TITLES),
        sendgrid: marketingOnly(sendgridRandom, 0.5), crm: true, invoicing: null,
      });
    }
    const fixedReference = app(FIXED_INVOICE_REFERENCES[orgId]);
    const reference = fixedReference ?? (orgId % 2 === 1 && hr[0] && hr[0].appUserId !== JONS ? hr[0] : finance);
    reference.invoicing = 'contactPerson';
    invoiceReference[org.key] = reference.ref;
  }

  // Suppliers and prospects: contacts who are not app users.
  const lookalike: WorldPerson = {
    ref: 'lookalike-anna', firstName: 'Anna', lastName: 'Lindqvist', email: 'anna.lindqvist@fourthcoffee.example',
    phone: '+46731234511', appUserId: null, organisation: byKey.get('fourthcoffee')!, title: 'Key Account Manager',
    sendgrid: null, crm: true, invoicing: null,
  };
  const supplierSample: WorldPerson = {
    ref: 'supplier-per', firstName: 'Pär'.normalize('NFC'), lastName: 'Wennberg', email: 'per.wennberg@treyresearch.example',
    phone: '+46731234512', appUserId: null, organisation: byKey.get('treyresearch')!, title: 'Consulting Manager',
    sendgrid: null, crm: true, invoicing: 'contactPerson',
  };
  for (const fixed of [lookalike, supplierSample]) {
    outsiders.reserve(fixed.email, fixed.phone);
    add(fixed);
  }
  for (const org of organisations.filter((o) => o.kind !== 'customer')) {
    const n = 1 + (chance(contactRandom, 0.5) ? 1 : 0);
    for (let i = 1; i <= n; i++) {
      const supplier = org.kind === 'supplier';
      add({
        ...outsiders.person(`contact-${org.key}-${i}`, org.domain, '+4673'),
        appUserId: null, organisation: org,
        title: pick(contactRandom, supplier ? SUPPLIER_TITLES : PROSPECT_TITLES),
        sendgrid: marketingOnly(sendgridRandom, supplier ? 0.2 : 0.5),
        crm: true, invoicing: supplier ? 'contactPerson' : null,
      });
    }
  }

  // Private customers: Sofia (app user, invoicing only), Karin (not an app user), then drawn ones.
  const sofia = app(SOFIA);
  if (sofia) sofia.invoicing = 'privateCustomer';
  const karin: WorldPerson = {
    ref: 'private-karin', firstName: 'Karin', lastName: 'Sjöberg'.normalize('NFC'), email: 'karin.sjoberg@post.example',
    phone: '+46761234513', appUserId: null, organisation: null, title: null,
    sendgrid: { ...NO_SENDGRID, marketingContact: true }, crm: true, invoicing: 'privateCustomer',
  };
  outsiders.reserve(karin.email, karin.phone);
  add(karin);
  const privateCount = Math.max(4, Math.round(appPeople.length / 150));
  const appCandidates = appPeople.filter((p) => !taken.has(p.id));
  for (let i = 1; i <= privateCount - 2; i++) {
    if (appCandidates.length > 0 && chance(contactRandom, 0.3)) {
      const [chosen] = appCandidates.splice(Math.floor(contactRandom() * appCandidates.length), 1);
      taken.add(chosen.id);
      const person = people[chosen.id - 1];
      person.crm = true;
      person.invoicing = 'privateCustomer';
      continue;
    }
    add({
      ...outsiders.person(`private-${i}`, pick(contactRandom, PRIVATE_DOMAINS), '+4676'),
      appUserId: null, organisation: null, title: null,
      sendgrid: marketingOnly(sendgridRandom, 0.4), crm: true, invoicing: 'privateCustomer',
    });
  }
  return { organisations, people, invoiceReference };
}

/** Builds the demo world. The same options always give the same world. */
export function buildWorld(options: WorldOptions = {}): DemoWorld {
  const users = options.users ?? DEFAULT_USERS;
  const seed = options.seed ?? WORLD_SEED;
  const now = options.now ?? REFERENCE_NOW;
  if (!Number.isInteger(users) || users < 7) throw new Error(`buildWorld: users must be an integer >= 7, got ${users}`);
  const cast = buildCast(demoPeople(users, seed), seed, now);
  return {
    users,
    seed,
    now,
    cast,
    sendgrid: seedSendGrid(cast, stream(seed, 20), now),
    limego: seedLimeGo(cast, stream(seed, 30), now),
    hogia: seedHogia(cast, stream(seed, 40), now),
    zoom: seedZoom(cast, stream(seed, 50), now),
  };
}

// ---- sample subjects ---------------------------------------------------------------------------

export interface SampleSubject {
  ref: string;
  name: string;
  email: string;
  note: string;
  /** Systems that hold data about the subject, read from the generated records. */
  systems: SystemId[];
  ids: {
    appUserId?: string;
    crmPersonId?: string;
    hogiaContactId?: string;
    /** The Hogia contact's number. */
    hogiaContactNumber?: string;
    /** The Hogia contact's number when the contact is a customer (private customers). */
    customerNumber?: string;
    sendgridContactId?: string;
    /** Ids of the person's Zoom webinar registrations. */
    zoomRegistrantIds?: string[];
  };
}

const SAMPLE_NOTES: [ref: string, note: string][] = [
  ['app-1', 'in every system; Lime Go has a look-alike with the same name at another organisation'],
  ['lookalike-anna', 'look-alike of app user 1 in Lime Go only; not an app user'],
  ['app-2', 'SendGrid global unsubscribe and newsletter group unsubscribe'],
  ['app-3', 'SendGrid messages; address looks like app user 2'],
  ['app-4', 'Hogia private customer only (customer number leads to the app account)'],
  ['app-5', 'non-ASCII email; Lime Go contact at Tailspin Toys'],
  ['app-6', "employer's contract ended; named on the employer's invoices (retained)"],
  ['app-7', 'SendGrid bounce'],
  ['supplier-per', 'supplier contact, not an app user'],
  ['private-karin', 'private customer, not an app user; marketing contact'],
];

/** The sample subjects with the systems holding data about each and their ids there. */
export function sampleSubjects(world: DemoWorld): SampleSubject[] {
  const byRef = new Map(world.cast.people.map((p) => [p.ref, p]));
  const result: SampleSubject[] = [];
  for (const [ref, note] of SAMPLE_NOTES) {
    const person = byRef.get(ref);
    if (!person) continue;
    const email = normalisedEmail(person.email);
    const crm = world.limego.persons.find((p) => p.email !== null && normalisedEmail(p.email) === email);
    const contact = world.hogia.contacts.find((c) =>
      c.contactChannels.some((ch) => ch.type === 'Email' && normalisedEmail(ch.value) === email),
    );
    const sgContact = world.sendgrid.contacts.find((c) => c.email === email);
    const inSendGrid =
      sgContact !== undefined ||
      world.sendgrid.messages.some((m) => normalisedEmail(m.to_email) === email) ||
      world.sendgrid.globalUnsubscribes.some((u) => u.email === email) ||
      [world.sendgrid.bounces, world.sendgrid.blocks, world.sendgrid.spamReports, world.sendgrid.invalidEmails].some((list) =>
        list.some((r) => r.email === email),
      );
    const systems: SystemId[] = [];
    if (person.appUserId !== null) systems.push('app');
    if (inSendGrid) systems.push('sendgrid');
    if (crm) systems.push('limego');
    if (contact) systems.push('hogia');
    const registrants = Object.values(world.zoom.registrants).flat().filter((r) => normalisedEmail(r.email) === email);
    if (registrants.length > 0) systems.push('zoom');
    result.push({
      ref,
      name: `${person.firstName} ${person.lastName}`,
      email: person.email,
      note,
      systems,
      ids: {
        ...(person.appUserId !== null ? { appUserId: String(person.appUserId) } : {}),
        ...(crm ? { crmPersonId: crm.id } : {}),
        ...(contact ? { hogiaContactId: contact.id, hogiaContactNumber: contact.number } : {}),
        ...(contact?.customer ? { customerNumber: contact.number } : {}),
        ...(sgContact ? { sendgridContactId: sgContact.id } : {}),
        ...(registrants.length > 0 ? { zoomRegistrantIds: registrants.map((r) => r.id) } : {}),
      },
    });
  }
  return result;
}

/** The shape of $DSR_DATA_DIR/demo-subjects.json (emails normalised). */
export function demoSubjectsJson(world: DemoWorld): { email: string; systems: SystemId[] }[] {
  return sampleSubjects(world).map((s) => ({ email: normalisedEmail(s.email), systems: s.systems }));
}

// ---- ad audiences ------------------------------------------------------------------------------

export interface WorldAudience {
  key: 'newsletter' | 'customers';
  name: string;
  /** The addresses uploaded to the audience (each simulator hashes them its own way). */
  emails: string[];
}

/**
 * The email lists uploaded to the LinkedIn and Google ad audiences: the marketing contacts (the
 * newsletter list), and the customers' app users among them; Anna Lindqvist (app 1) is in both.
 */
export function adAudiences(world: DemoWorld): WorldAudience[] {
  const marketing = world.sendgrid.contacts.map((c) => normalisedEmail(c.email));
  const appUsers = new Set(world.cast.people.filter((p) => p.appUserId !== null).map((p) => normalisedEmail(p.email)));
  const anna = world.cast.people.find((p) => p.ref === 'app-1');
  const annaEmail = anna ? [normalisedEmail(anna.email)] : [];
  return [
    { key: 'newsletter', name: 'Newsletter subscribers', emails: [...new Set([...annaEmail, ...marketing])] },
    { key: 'customers', name: 'App users at customers', emails: [...new Set([...annaEmail, ...marketing.filter((e) => appUsers.has(e))])] },
  ];
}
