/**
 * Who a Hogia contact is, and which invoices are that person's.
 *
 * - An organisation record (a company customer or supplier: no given name or surname) is never a
 *   data subject's record: it is not returned, and nothing is found through it.
 * - A private customer (a person, no companyName) gets the invoices made out in their own name; its
 *   number is their customer number when the contact has the customer role.
 * - A contact person (a person with a companyName: a customer's or supplier's employee) gets only
 *   the invoices that name them: the invoice's reference (`yourReference`) is their name and the
 *   invoice is made out to their company. Never the company's other invoices, the company's
 *   contact record or their colleagues: a company's records are not its employees' personal data.
 *   Invoices name contact people by name only, so two people of the same name at the same company
 *   cannot be told apart; a namesake at another company is.
 * - A record the gateway anonymised (no given name, the surname ANONYMISED_SURNAME) names nobody:
 *   like an organisation record, it is never returned.
 */
import { normaliseEmail, normalisePhone } from '../../services/identity';
import type { Identifier } from '../connector';
import { fold, type Contact, type Invoice } from './hogia.api';

export type ContactKind = 'organisation' | 'anonymised' | 'privateCustomer' | 'contactPerson';

/**
 * The surname an anonymised contact carries (Hogia's API has no delete, and a contact needs a
 * name): with no given name, it marks a record that no longer names anyone.
 */
export const ANONYMISED_SURNAME = '(anonymised)';

export function kindOf(c: Contact): ContactKind {
  if (!c.givenName?.trim() && !c.surName?.trim()) return 'organisation';
  if (!c.givenName?.trim() && c.surName?.trim() === ANONYMISED_SURNAME) return 'anonymised';
  return c.companyName?.trim() ? 'contactPerson' : 'privateCustomer';
}

/** A person's own record: a private customer or a contact person. */
export const isPerson = (c: Contact): boolean => kindOf(c) === 'privateCustomer' || kindOf(c) === 'contactPerson';

/** The name an invoice reference uses for a contact person. */
export const fullName = (c: Contact): string => [c.givenName, c.surName].filter((n) => n?.trim()).map((n) => n!.trim()).join(' ');

const optional = <T>(read: () => T): T | undefined => {
  try {
    return read();
  } catch {
    return undefined;
  }
};

const channelsOf = (c: Contact, types: readonly string[]) =>
  (c.contactChannels ?? []).filter((ch) => types.includes(ch.type.toLowerCase())).map((ch) => ch.value);

/** The contact's email channels, normalised as the gateway normalises emails (invalid ones dropped). */
export const emailsOf = (c: Contact): string[] =>
  channelsOf(c, ['email']).flatMap((v) => optional(() => normaliseEmail(v)) ?? []);

/** The contact's phone channels in E.164 (invalid ones dropped). */
export const phonesOf = (c: Contact): string[] =>
  channelsOf(c, ['phone', 'mobile']).flatMap((v) => optional(() => normalisePhone(v)) ?? []);

/** A person's contact record with this email in its own channels (exact, after normalisation). */
export const matchesEmail = (c: Contact, email: string): boolean => isPerson(c) && emailsOf(c).includes(email);

/** A customer number names a private customer; a contact person's number is not a customer number. */
export const matchesCustomerNumber = (c: Contact, number: string): boolean =>
  kindOf(c) === 'privateCustomer' && c.customer != null && c.number === number;

/** Whether an invoice is this contact's (see the rule at the top). */
export function invoiceBelongsTo(invoice: Invoice, c: Contact): boolean {
  const h = invoice.invoiceHeader;
  switch (kindOf(c)) {
    case 'privateCustomer':
      return h.customerId?.toLowerCase() === c.id.toLowerCase();
    case 'contactPerson':
      return fold(h.yourReference) === fold(fullName(c)) && fold(h.customerName) === fold(c.companyName);
    default:
      return false;
  }
}

const CUSTOMER_NUMBER = /^[A-Za-z0-9_-]{1,64}$/;

/** Person-level identifiers of one contact: its own channels, and a private customer's number. */
export function identifiersOf(c: Contact): Omit<Identifier, 'source'>[] {
  const kind = kindOf(c);
  if (!isPerson(c)) return [];
  const ids: Omit<Identifier, 'source'>[] = [];
  if (kind === 'privateCustomer' && c.customer && CUSTOMER_NUMBER.test(c.number)) ids.push({ kind: 'customerNumber', value: c.number });
  for (const value of emailsOf(c)) ids.push({ kind: 'email', value });
  for (const value of phonesOf(c)) ids.push({ kind: 'phone', value });
  return ids;
}
