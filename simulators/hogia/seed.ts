/**
 * Turns the demo world's cast into Hogia's contacts and customer invoices.
 *
 * Contact numbers: company customers 1000 + the app organisation id, private customers from 2001,
 * contact persons from 3001, supplier companies from 4001 (each in the cast's order, so sample
 * subject Anna Lindqvist is 3001 and Sofia Berg 2001). Company invoices are in the company's name
 * and name the contact person only in `yourReference`; private customers' invoices are in their
 * own name. Invoice dates run 2019..today; the fiscal year is the calendar year.
 */
import { between, chance, DAY_MS, digits, isoDate, isoSeconds, pick, uuid, type Random } from '../common/random';
import type { WorldCast, WorldOrganisation, WorldPerson } from '../world';
import type { Address, Contact, CustomerInvoice, HogiaData, InvoiceEvent, InvoiceLine } from './types';

export type { HogiaData } from './types';

const FIRST_INVOICE_DATE = '2019-01-01';
const OUR_REFERENCES = ['Johanna Sand', 'Mikael Fors', 'Lina Ekdahl'];
const STREETS = ['Storgatan', 'Drottninggatan', 'Kungsgatan', 'Vasagatan', 'Parkvägen', 'Skolgatan', 'Ringvägen', 'Sjövägen', 'Björkvägen', 'Järnvägsgatan'];
const CITIES: [city: string, postalPrefix: string][] = [
  ['Stockholm', '11'], ['Göteborg', '41'], ['Malmö', '21'], ['Uppsala', '75'], ['Linköping', '58'], ['Örebro', '70'],
  ['Västerås', '72'], ['Helsingborg', '25'], ['Lund', '22'], ['Umeå', '90'], ['Jönköping', '55'], ['Sundsvall', '85'],
  ['Karlstad', '65'], ['Gävle', '80'],
];
const PRIVATE_ITEMS: [article: string, description: string, price: number][] = [
  ['P-100', 'Engage Personal, 12 months', 995],
  ['P-210', 'Personal coaching, 3 sessions', 2995],
  ['P-320', 'Online course: Leading hybrid teams (personal licence)', 1495],
  ['P-330', 'Online course: Feedback that lands (personal licence)', 1295],
  ['P-400', 'Book: Meetings worth having', 349],
];
const COURSE_PACKAGES = ['GDPR for everyday work', 'Leading hybrid teams', 'Information security essentials', 'Healthy working days'];
/** Fixed purchase dates of sample private customers (by world ref). */
const FIXED_PURCHASES: Record<string, string[]> = {
  'app-4': ['2020-03-12', '2025-09-02'],
  'private-karin': ['2019-05-20', '2022-11-03', '2026-11-02'],
};

/** A company customer's number in Hogia; Lime Go keeps it as the organisation's integrationId. */
export function companyCustomerNumber(org: WorldOrganisation): string {
  return String(1000 + (org.appOrganisationId ?? 0));
}

function address(random: Random, city: string, type: Address['type'] = 'Postal'): Address {
  const prefix = CITIES.find(([c]) => c === city)?.[1] ?? '11';
  return {
    type,
    addressLine1: `${pick(random, STREETS)} ${between(random, 1, 80)}`,
    addressLine2: null,
    postalCode: `${prefix}${digits(random, 1)} ${digits(random, 2)}`,
    city,
    countryCode: 'SE',
  };
}

/**
 * A personal identity number in the right format whose check digit is deliberately wrong, so no
 * demo record can ever name a real person.
 */
function invalidPersonalNumber(random: Random): string {
  const year = between(random, 1955, 2002);
  const month = between(random, 1, 12);
  const day = between(random, 1, 28);
  const serial = digits(random, 3);
  const nine = `${String(year).slice(2)}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  const check = (10 - (sum % 10)) % 10;
  return `${year}${nine.slice(2, 6)}-${serial}${(check + 1) % 10}`;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function lineTotals(lines: InvoiceLine[]): { net: number; gross: number } {
  const net = lines.reduce((s, l) => s + l.netAmount, 0);
  const vat = lines.reduce((s, l) => s + (l.netAmount * l.vatRate) / 100, 0);
  return { net: round2(net), gross: round2(net + vat) };
}

interface Draft {
  date: string;
  customer: Contact;
  yourReference: string | null;
  lines: InvoiceLine[];
}

function settle(random: Random, draft: Draft, invoiceNumber: number, now: number): CustomerInvoice {
  const invoiceMs = Date.parse(`${draft.date}T00:00:00Z`);
  const dueMs = invoiceMs + 30 * DAY_MS;
  const { gross } = lineTotals(draft.lines);
  const events: InvoiceEvent[] = [
    { eventType: 'Created', date: isoSeconds(invoiceMs + 8 * 3_600_000), amount: null },
    { eventType: 'Sent', date: isoSeconds(invoiceMs + 9 * 3_600_000), amount: null },
  ];
  let state: CustomerInvoice['customerInvoiceState'] = 'Unpaid';
  let left = gross;
  if (dueMs < now) {
    if (chance(random, 0.95)) {
      const paidMs = dueMs - between(random, 0, 25) * DAY_MS;
      events.push({ eventType: 'PaymentReceived', date: isoSeconds(Math.min(paidMs, now - DAY_MS)), amount: gross });
      state = 'Paid';
      left = 0;
    } else {
      state = 'Overdue';
      if (dueMs + 10 * DAY_MS < now) events.push({ eventType: 'ReminderSent', date: isoSeconds(dueMs + 10 * DAY_MS), amount: null });
    }
  }
  const customer = draft.customer;
  return {
    id: uuid(random),
    invoiceHeader: {
      invoiceNumber,
      invoiceDate: draft.date,
      dueDate: isoDate(dueMs),
      fiscalYear: Number(draft.date.slice(0, 4)),
      currencyCode: 'SEK',
      customerId: customer.id,
      customerNumber: customer.number,
      customerName: customer.companyName ?? `${customer.givenName} ${customer.surName}`,
      yourReference: draft.yourReference,
      ourReference: pick(random, OUR_REFERENCES),
      invoiceAddress: { ...customer.addresses[0], type: 'Invoice' },
    },
    invoiceLines: draft.lines,
    grossAmount: gross,
    amountLeftToPay: left,
    customerInvoiceState: state,
    customerInvoiceEvents: events,
    attachments: [{ id: uuid(random), fileName: `Invoice ${invoiceNumber}.pdf`, contentType: 'application/pdf', size: between(random, 38_000, 95_000) }],
  };
}

function quarterStarts(from: string, to: string): string[] {
  const dates: string[] = [];
  let year = Number(from.slice(0, 4));
  let month = Math.ceil(Number(from.slice(5, 7)) / 3) * 3 - 2;
  for (;;) {
    const date = `${year}-${String(month).padStart(2, '0')}-01`;
    if (date > to) break;
    if (date >= from) dates.push(date);
    month += 3;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return dates;
}

function contactPerson(random: Random, person: WorldPerson, number: number, now: number): Contact {
  const created = Date.parse(`${person.organisation?.contractStart ?? '2020-01-01'}T09:00:00Z`) + between(random, 0, 200) * DAY_MS;
  const channels: Contact['contactChannels'] = [{ type: 'Email', value: person.email }];
  if (person.phone) channels.push({ type: 'Mobile', value: person.phone });
  return {
    id: uuid(random),
    givenName: person.firstName,
    surName: person.lastName,
    companyName: person.organisation?.name ?? null,
    number: String(number),
    identificationNumber: null,
    contactChannels: channels,
    addresses: [],
    customer: null,
    createdDate: isoSeconds(Math.min(created, now - DAY_MS)),
    updatedDate: isoSeconds(Math.min(created + between(random, 0, 300) * DAY_MS, now - DAY_MS)),
    version: between(random, 1, 4),
  };
}

export function seedHogia(cast: WorldCast, random: Random, now: number): HogiaData {
  const today = isoDate(now);
  const contacts: Contact[] = [];
  const drafts: Draft[] = [];
  const byRef = new Map(cast.people.map((p) => [p.ref, p]));

  // Company customers and their invoices (quarterly licences, sometimes a course package).
  for (const org of cast.organisations.filter((o) => o.kind === 'customer')) {
    const reference = byRef.get(cast.invoiceReference[org.key]);
    const start = org.contractStart ?? FIRST_INVOICE_DATE;
    const end = org.contractEnd && org.contractEnd < today ? org.contractEnd : today;
    const company: Contact = {
      id: uuid(random),
      givenName: null,
      surName: null,
      companyName: org.name,
      number: companyCustomerNumber(org),
      identificationNumber: org.orgNumber,
      contactChannels: [
        { type: 'Email', value: `invoices@${org.domain}` },
        { type: 'Phone', value: `+468${digits(random, 7)}` },
      ],
      addresses: [address(random, org.city)],
      customer: {
        eInvoiceReceiverEmail: `invoices@${org.domain}`,
        invoiceReference: reference ? `${reference.firstName} ${reference.lastName}` : null,
        isActive: end === today,
      },
      createdDate: isoSeconds(Date.parse(`${start}T10:00:00Z`)),
      updatedDate: isoSeconds(Date.parse(`${start}T10:00:00Z`) + between(random, 10, 900) * DAY_MS),
      version: between(random, 1, 6),
    };
    if (company.updatedDate > isoSeconds(now)) company.updatedDate = isoSeconds(now - DAY_MS);
    contacts.push(company);
    const seats = cast.people.filter((p) => p.appUserId !== null && p.organisation === org).length;
    const yourReference = company.customer!.invoiceReference;
    for (const date of quarterStarts(start > FIRST_INVOICE_DATE ? start : FIRST_INVOICE_DATE, end)) {
      const year = date.slice(0, 4);
      const quarter = Math.ceil(Number(date.slice(5, 7)) / 3);
      const lines: InvoiceLine[] = [{
        lineNumber: 1, articleNumber: 'L-100', description: `Engage licence Q${quarter} ${year}`, quantity: Math.max(seats, 1),
        unit: 'user', unitPrice: 135, vatRate: 25, netAmount: round2(Math.max(seats, 1) * 135),
      }];
      drafts.push({ date, customer: company, yourReference, lines });
      if (quarter === 3 && chance(random, 0.5)) {
        const price = between(random, 25, 60) * 1000;
        drafts.push({
          date: `${year}-09-${String(between(random, 2, 28)).padStart(2, '0')}`,
          customer: company,
          yourReference,
          lines: [{ lineNumber: 1, articleNumber: 'C-200', description: `Course package: ${pick(random, COURSE_PACKAGES)}`, quantity: 1, unit: 'package', unitPrice: price, vatRate: 25, netAmount: price }],
        });
      }
    }
  }

  // Private customers and their purchases.
  let privateNumber = 2001;
  for (const person of cast.people.filter((p) => p.invoicing === 'privateCustomer')) {
    const fixed = FIXED_PURCHASES[person.ref];
    const count = fixed ? fixed.length : between(random, 1, 3);
    const first = Date.parse(`${FIRST_INVOICE_DATE}T00:00:00Z`);
    const dates = fixed ?? Array.from({ length: count }, () => isoDate(first + Math.floor(random() * (now - 31 * DAY_MS - first)))).sort();
    const createdMs = Date.parse(`${dates[0]}T00:00:00Z`) - between(random, 0, 14) * DAY_MS;
    const channels: Contact['contactChannels'] = [{ type: 'Email', value: person.email.toLowerCase() }];
    if (person.phone) channels.push({ type: 'Mobile', value: person.phone });
    const customer: Contact = {
      id: uuid(random),
      givenName: person.firstName,
      surName: person.lastName,
      companyName: null,
      number: String(privateNumber++),
      identificationNumber: invalidPersonalNumber(random),
      contactChannels: channels,
      addresses: [address(random, pick(random, CITIES)[0])],
      customer: { eInvoiceReceiverEmail: null, invoiceReference: null, isActive: true },
      createdDate: isoSeconds(createdMs),
      updatedDate: isoSeconds(Math.min(createdMs + between(random, 0, 600) * DAY_MS, now - DAY_MS)),
      version: between(random, 1, 3),
    };
    contacts.push(customer);
    for (const date of dates) {
      const [article, description, price] = pick(random, PRIVATE_ITEMS);
      drafts.push({
        date, customer, yourReference: null,
        lines: [{ lineNumber: 1, articleNumber: article, description, quantity: 1, unit: 'pcs', unitPrice: price, vatRate: 25, netAmount: price }],
      });
    }
  }

  // Contact persons: invoice references, finance and supplier contacts.
  let personNumber = 3001;
  for (const person of cast.people.filter((p) => p.invoicing === 'contactPerson')) {
    contacts.push(contactPerson(random, person, personNumber++, now));
  }

  // Supplier companies (no customer role, so no customer invoices).
  let supplierNumber = 4001;
  for (const org of cast.organisations.filter((o) => o.kind === 'supplier')) {
    contacts.push({
      id: uuid(random), givenName: null, surName: null, companyName: org.name, number: String(supplierNumber++),
      identificationNumber: org.orgNumber, contactChannels: [{ type: 'Email', value: `billing@${org.domain}` }],
      addresses: [address(random, org.city)], customer: null,
      createdDate: '2020-02-03T10:00:00Z', updatedDate: '2024-05-14T08:30:00Z', version: 2,
    });
  }

  drafts.sort((a, b) => a.date.localeCompare(b.date) || a.customer.number.localeCompare(b.customer.number));
  const invoices = drafts.map((d, i) => settle(random, d, 10_001 + i, now));
  contacts.sort((a, b) => a.number.localeCompare(b.number));
  return { contacts, invoices };
}
