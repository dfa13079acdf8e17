/**
 * What erasure, restriction and rectification do to a subject's Hogia records: pure functions the
 * connector applies (and the plan describes) so the dry run and the real run cannot disagree.
 *
 * Erasure, per contact record of the subject:
 * - a private customer with invoices made out to it: the invoices need the record (they point to
 *   it), so it is RETAINED with them under bokföringslagen (name, customer number, identity number
 *   and addresses kept), marked inactive (`customer.isActive = false`, the restriction Hogia
 *   offers), and its contact channels and e-invoice address, which accounting does not need, are
 *   cleared;
 * - any other record of theirs (a contact person's, whom invoices name only by the text of their
 *   reference, or a customer's without invoices): no invoice needs it and the API has no delete, so
 *   it is anonymised: no given name, the surname ANONYMISED_SURNAME, no identity number, addresses
 *   or channels, and an inactive customer role with no e-invoice address or reference.
 * The invoices themselves (made out to them, or naming them as the reference) are RETAINED until
 * the date computed in hogia.retention.ts from the newest of them.
 */
import { badInput } from '../../errors';
import { normaliseEmail, normalisePhone } from '../../services/identity';
import type { FieldChange, SubjectKey } from '../connector';
import type { Contact, Invoice } from './hogia.api';
import { ANONYMISED_SURNAME, kindOf } from './hogia.match';
import { invoiceRetainedUntil } from './hogia.retention';

type Channel = { type: string; value: string };

const channels = (c: Contact): Channel[] => (c.contactChannels ?? []) as Channel[];

/** The contact's customer role as a plain object, or null when it has none. */
const customerOf = (c: Contact): Record<string, unknown> | null => (c.customer ? (c.customer as Record<string, unknown>) : null);

// --- erasure ---

export type ContactFate = 'retain' | 'anonymise';

/** A private customer whose invoices point to the record keeps it; any other record of theirs goes. */
export function fateOf(c: Contact, invoices: readonly Invoice[]): ContactFate {
  return kindOf(c) === 'privateCustomer' && invoices.length > 0 ? 'retain' : 'anonymise';
}

/** A retained record after erasure: no channels, no e-invoice address, inactive. */
export function retainedForm(c: Contact): Contact {
  const customer = customerOf(c);
  return {
    ...c,
    contactChannels: [],
    ...(customer ? { customer: { ...customer, eInvoiceReceiverEmail: null, isActive: false } } : {}),
  };
}

/** Whether a retained record still holds what erasure clears, or is still active. */
export function retainedNeedsChange(c: Contact): { channels: boolean; active: boolean } {
  const customer = customerOf(c);
  return {
    channels: channels(c).length > 0 || (customer?.eInvoiceReceiverEmail ?? null) !== null,
    active: customer !== null && customer.isActive !== false,
  };
}

/** An anonymised record: nothing left that names or reaches the person. */
export function anonymisedForm(c: Contact): Contact {
  const customer = customerOf(c);
  return {
    ...c,
    givenName: null,
    surName: ANONYMISED_SURNAME,
    identificationNumber: null,
    contactChannels: [],
    addresses: [],
    ...(customer ? { customer: { ...customer, eInvoiceReceiverEmail: null, invoiceReference: null, isActive: false } } : {}),
  };
}

/** The last moment the newest of these invoices must be kept; throws when an invoice has no readable date. */
export function retentionOf(invoices: readonly Invoice[], fiscalYearStartMonth: number): Date | undefined {
  let latest: Date | undefined;
  for (const invoice of invoices) {
    const until = invoiceRetainedUntil(invoice.invoiceHeader.invoiceDate, fiscalYearStartMonth);
    if (!until) throw new Error('hogia: an invoice has no readable invoice date, so its retention date cannot be computed');
    if (!latest || until > latest) latest = until;
  }
  return latest;
}

// --- rectification ---

/** The fields rectify accepts (FieldChange.field). */
export const RECTIFIABLE_FIELDS = ['givenName', 'surName', 'email', 'phone'] as const;
export type RectifiableField = (typeof RECTIFIABLE_FIELDS)[number];
export type Rectification = Partial<Record<RectifiableField, string>>;

const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;
const MAX_NAME = 100;

function validName(field: string, raw: string): string {
  const name = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (name === '' || name.length > MAX_NAME || CONTROL.test(name) || !/\p{L}/u.test(name) || name === ANONYMISED_SURNAME) {
    throw badInput(`hogia: ${field} must be a name of 1-${MAX_NAME} characters`);
  }
  return name;
}

/**
 * Checks every change before anything is done: the field must be one Hogia can correct, named
 * once, and its value valid; values come back normalised (names trimmed and NFC, emails as the
 * gateway normalises them, phones E.164). Throws BAD_USER_INPUT without repeating any value.
 */
export function parseRectification(changes: readonly FieldChange[]): Rectification {
  if (changes.length === 0) throw badInput('hogia: no changes were given');
  const result: Rectification = {};
  for (const change of changes) {
    const field = change.field as RectifiableField;
    if (!(RECTIFIABLE_FIELDS as readonly string[]).includes(change.field)) {
      const shown = FIELD_NAME.test(change.field) ? `"${change.field}"` : 'that field';
      throw badInput(`hogia cannot correct ${shown}: it corrects ${RECTIFIABLE_FIELDS.join(', ')}`);
    }
    if (result[field] !== undefined) throw badInput(`hogia: ${field} is named more than once`);
    if (typeof change.value !== 'string') throw badInput(`hogia: ${field} must be a string`);
    if (field === 'email') result.email = normaliseEmail(change.value);
    else if (field === 'phone') result.phone = normalisePhone(change.value);
    else result[field] = validName(field, change.value);
  }
  return result;
}

const normalisedOr = (normalise: (v: string) => string, v: string): string | null => {
  try {
    return normalise(v);
  } catch {
    return null;
  }
};

/**
 * Replaces the channel(s) of `types` that carry one of the subject's known values (or, when none
 * does, the first of those types) with `value`; adds a channel of `addType` when there is none.
 */
function replaceChannel(list: Channel[], types: readonly string[], known: readonly string[], normalise: (v: string) => string, value: string, addType: string): { list: Channel[]; replaced: string[] } {
  const ofType = (ch: Channel) => types.includes(ch.type.toLowerCase());
  const isKnown = (ch: Channel) => {
    const n = normalisedOr(normalise, ch.value);
    return n !== null && known.includes(n);
  };
  const targets = list.some((ch) => ofType(ch) && isKnown(ch)) ? list.filter((ch) => ofType(ch) && isKnown(ch)) : list.filter(ofType).slice(0, 1);
  if (targets.length === 0) return { list: [...list, { type: addType, value }], replaced: [] };
  const replaced = targets.map((ch) => ch.value);
  const seen = new Set<string>();
  const next = list
    .map((ch) => (targets.includes(ch) ? { ...ch, value } : ch))
    .filter((ch) => {
      const key = `${ch.type.toLowerCase()}:${normalisedOr(normalise, ch.value) ?? ch.value}`;
      if (!ofType(ch)) return true;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return { list: next, replaced };
}

/** The record with the corrections applied (the e-invoice address follows an email it equalled). */
export function rectifiedForm(c: Contact, r: Rectification, subject: SubjectKey): Contact {
  const next: Contact = { ...c };
  if (r.givenName !== undefined) next.givenName = r.givenName;
  if (r.surName !== undefined) next.surName = r.surName;
  let list = channels(c);
  if (r.email !== undefined) {
    const done = replaceChannel(list, ['email'], subject.email ?? [], normaliseEmail, r.email, 'Email');
    list = done.list;
    const customer = customerOf(c);
    const eInvoice = typeof customer?.eInvoiceReceiverEmail === 'string' ? normalisedOr(normaliseEmail, customer.eInvoiceReceiverEmail) : null;
    const old = done.replaced.map((v) => normalisedOr(normaliseEmail, v));
    if (customer && eInvoice !== null && old.includes(eInvoice)) next.customer = { ...customer, eInvoiceReceiverEmail: r.email };
  }
  if (r.phone !== undefined) list = replaceChannel(list, ['phone', 'mobile'], subject.phone ?? [], normalisePhone, r.phone, 'Phone').list;
  if (r.email !== undefined || r.phone !== undefined) next.contactChannels = list;
  return next;
}

/** Whether two forms of a contact differ in what erasure, restriction or rectification change. */
export function differs(a: Contact, b: Contact): boolean {
  const view = (c: Contact) =>
    JSON.stringify([
      c.givenName ?? null,
      c.surName ?? null,
      c.identificationNumber ?? null,
      channels(c).map((ch) => [ch.type, ch.value]),
      c.addresses ?? [],
      customerOf(c) === null ? null : [customerOf(c)!.isActive ?? null, customerOf(c)!.eInvoiceReceiverEmail ?? null, customerOf(c)!.invoiceReference ?? null],
    ]);
  return view(a) !== view(b);
}

/** The record with its customer role active or not; unchanged when it has no customer role. */
export function withActive(c: Contact, active: boolean): Contact {
  const customer = customerOf(c);
  return customer ? { ...c, customer: { ...customer, isActive: active } } : c;
}

/** Records whose active flag is the restriction Hogia offers: a private customer's own customer role. */
export const canBeDeactivated = (c: Contact): boolean => kindOf(c) === 'privateCustomer' && c.customer != null;
