import type { ConnectorSettings } from '../../config';
import type {
  ActionOutcome,
  Connector,
  ConnectorEnvironment,
  ConnectorFactory,
  ErasurePlanStep,
  FieldChange,
  Identifier,
  SubjectKey,
  SystemSnapshot,
} from '../connector';
import { ClientCredentialsTokenProvider, createHttpClient, HttpError } from '../http';
import { contactSchema, fold, HogiaApi, type Contact, type Invoice } from './hogia.api';
import { HOGIA_DESCRIPTOR } from './hogia.descriptor';
import {
  anonymisedForm,
  canBeDeactivated,
  differs,
  fateOf,
  parseRectification,
  rectifiedForm,
  retainedForm,
  retainedNeedsChange,
  retentionOf,
  withActive,
} from './hogia.erasure';
import { fullName, identifiersOf, invoiceBelongsTo, kindOf, matchesCustomerNumber, matchesEmail } from './hogia.match';
import { HogiaSubjectResolver } from './hogia.resolver';
import { BOOKKEEPING_LEGAL_BASIS } from './hogia.retention';
import { parseHogiaSettings } from './hogia.settings';

/** What a person must do in Hogia to restrict a record that has no active flag (a contact person's). */
export const RESTRICTION_INSTRUCTIONS =
  "In Hogia, the subject's contact person record has no active/inactive flag. Mark the record as restricted " +
  "(for example in a note on the contact), do not name the person as the reference on new invoices, and if their " +
  "company's customer record names them as its invoice reference, replace it. Lifting the restriction: remove the mark.";

/** What the subject holds in Hogia: their own contact records and, per record, the invoices that are theirs. */
interface Holdings {
  contacts: Contact[];
  invoicesOf: Map<string, Invoice[]>;
}

/**
 * Hogia ekonomi (invoicing). Contacts are looked up by customer number (exact, server-side) and by
 * email (ASSUMED filter; exact matches kept here); invoices are read per private customer and per
 * contact person's name, following the rule in hogia.match.ts. For N subjects the calls are: one
 * token (cached until it expires), one contact lookup per distinct email or customer number, and
 * one invoice list per private customer and per distinct contact-person name found.
 *
 * Erasure, restriction and rectification change the subject's own contact records only (one PUT
 * each, with the version read; on 409 the record is read again and the change retried once), as
 * hogia.erasure.ts describes; invoices are never changed, and neither is a company's record.
 */
export class HogiaConnector implements Connector {
  readonly system = HOGIA_DESCRIPTOR;
  /** The API cannot search contacts by phone, so a phone number is not asked for. */
  readonly accepts = ['email', 'customerNumber'] as const;

  constructor(
    readonly id: string,
    private readonly api: HogiaApi,
    /** First month of the fiscal year, for the bookkeeping retention of invoices. */
    readonly fiscalYearStartMonth: number,
  ) {}

  async collect(subjects: SubjectKey[], signal: AbortSignal): Promise<SystemSnapshot[]> {
    const contactsOf = await this.contactsOf(subjects, signal);
    const invoicesOf = await this.invoices(uniqueById(contactsOf.flat()), signal);
    return contactsOf.map((contacts) => ({
      found: contacts.length > 0,
      // the restriction Hogia offers: a private customer's own customer role made inactive
      restricted: contacts.some((c) => canBeDeactivated(c) && c.customer?.isActive === false),
      datasets: [
        { name: 'contacts', records: contacts },
        { name: 'invoices', records: uniqueById(contacts.flatMap((c) => invoicesOf.get(c.id) ?? [])) },
      ],
    }));
  }

  /** The plan: the calls of a collect for this subject, and nothing changed. */
  async planErasure(subject: SubjectKey, signal: AbortSignal): Promise<ErasurePlanStep[]> {
    const h = await this.holdings(subject, signal);
    const invoices = allInvoices(h);
    const retainedUntil = retentionOf(invoices, this.fiscalYearStartMonth);
    const retained = h.contacts.filter((c) => fateOf(c, h.invoicesOf.get(c.id) ?? []) === 'retain');
    const anonymised = h.contacts.filter((c) => !retained.includes(c));
    const cleared = retained.filter((c) => retainedNeedsChange(c).channels);
    const steps: ErasurePlanStep[] = [];
    if (invoices.length > 0) {
      steps.push({
        dataset: 'invoices', action: 'RETAIN', records: invoices.length, retainedUntil, legalBasis: BOOKKEEPING_LEGAL_BASIS,
        note: 'Accounting records (invoices made out to the subject, or naming them as the reference): kept unchanged until the date, then they may be erased',
      });
    }
    if (retained.length > 0) {
      steps.push({
        dataset: 'contacts', action: 'RETAIN', records: retained.length, retainedUntil, legalBasis: BOOKKEEPING_LEGAL_BASIS,
        note: "A private customer's record the invoices are made out to: name, customer number, identity number and addresses kept with them; marked inactive",
      });
    }
    if (cleared.length + anonymised.length > 0) {
      const parts = [
        cleared.length > 0 ? `${cleared.length} retained record(s): email and phone channels and the e-invoice address cleared, as accounting does not need them` : '',
        anonymised.length > 0 ? `${anonymised.length} record(s) no invoice needs (a contact person's, or a customer's without invoices): names, identity number, addresses and channels removed, as the API offers no delete` : '',
      ];
      steps.push({ dataset: 'contacts', action: 'ANONYMIZE', records: cleared.length + anonymised.length, note: parts.filter(Boolean).join('; ') });
    }
    return steps;
  }

  /**
   * Retains what bokföringslagen requires and anonymises the rest (see hogia.erasure.ts). Calls:
   * those of a collect for the subject, then one PUT per record that still needs a change.
   */
  async erase(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    const h = await this.holdings(subject, signal);
    if (h.contacts.length === 0) return { status: 'NOT_FOUND', note: 'No contact record of the subject in Hogia' };
    const invoices = allInvoices(h);
    const retainedUntil = retentionOf(invoices, this.fiscalYearStartMonth);
    const changes = await Promise.all(
      h.contacts.map(async (c) => {
        const fate = fateOf(c, h.invoicesOf.get(c.id) ?? []);
        const { changed, before } = await this.update(c, fate === 'retain' ? retainedForm : anonymisedForm, signal);
        // a retained record that only needed to become inactive again was not anonymised now
        return { fate, anonymised: changed && (fate === 'anonymise' || retainedNeedsChange(before).channels) };
      }),
    );
    const retainedContacts = changes.filter((c) => c.fate === 'retain').length;
    const anonymisedNow = changes.filter((c) => c.anonymised).length;
    const already = changes.length - anonymisedNow;
    const parts = [
      `${anonymisedNow} contact record(s) cleared or anonymised`,
      already > 0 ? `${already} had nothing left to clear` : '',
      retainedContacts > 0 ? `${retainedContacts} customer record(s) kept with the invoices and marked inactive` : '',
      invoices.length > 0 ? `${invoices.length} invoice(s) kept unchanged under bokföringslagen` : '',
    ];
    const note = parts.filter(Boolean).join('; ');
    if (invoices.length === 0 && retainedContacts === 0) {
      return { status: 'SUCCEEDED', recordsDeleted: 0, recordsAnonymized: anonymisedNow, note };
    }
    return {
      status: 'RETAINED',
      recordsDeleted: 0,
      recordsAnonymized: anonymisedNow,
      recordsRetained: invoices.length + retainedContacts,
      retainedUntil,
      legalBasis: BOOKKEEPING_LEGAL_BASIS,
      note,
    };
  }

  /**
   * Restriction is the customer role's active flag of the subject's own private-customer records.
   * A contact person's record has none: that part is left to a person (WAITING_FOR_OPERATOR).
   */
  async restrict(subject: SubjectKey, restricted: boolean, signal: AbortSignal): Promise<ActionOutcome> {
    const [contacts] = await this.contactsOf([subject], signal);
    if (contacts!.length === 0) return { status: 'NOT_FOUND', note: 'No contact record of the subject in Hogia' };
    const flagged = contacts!.filter(canBeDeactivated);
    const manual = contacts!.length - flagged.length;
    const changed = (await Promise.all(flagged.map((c) => this.update(c, (current) => withActive(current, !restricted), signal)))).filter((u) => u.changed).length;
    const state = restricted ? 'inactive' : 'active';
    const parts = [
      flagged.length > 0 ? `${changed} customer record(s) marked ${state}` : '',
      flagged.length > changed ? `${flagged.length - changed} already were` : '',
    ];
    if (manual > 0) {
      parts.push(`${manual} record(s) without a customer role of their own (a contact person's) have no active flag in Hogia: ${RESTRICTION_INSTRUCTIONS}`);
      return { status: 'WAITING_FOR_OPERATOR', note: parts.filter(Boolean).join('; ') };
    }
    return { status: 'SUCCEEDED', note: parts.filter(Boolean).join('; ') };
  }

  /** The corrections checked as rectify checks them, before the request is accepted. */
  checkChanges(changes: FieldChange[]): void {
    parseRectification(changes);
  }

  /**
   * Corrects givenName, surName, email and phone on the subject's own contact records. Every change
   * is checked first (BAD_USER_INPUT before any call); then one PUT per record that differs.
   */
  async rectify(subject: SubjectKey, changes: FieldChange[], signal: AbortSignal): Promise<ActionOutcome> {
    const rectification = parseRectification(changes);
    const [contacts] = await this.contactsOf([subject], signal);
    if (contacts!.length === 0) return { status: 'NOT_FOUND', note: 'No contact record of the subject in Hogia' };
    const changed = (await Promise.all(contacts!.map((c) => this.update(c, (current) => rectifiedForm(current, rectification, subject), signal)))).filter((u) => u.changed).length;
    const fields = Object.keys(rectification).join(', ');
    const already = contacts!.length - changed;
    return { status: 'SUCCEEDED', note: [`${changed} contact record(s) corrected (${fields})`, already > 0 ? `${already} already were as requested` : ''].filter(Boolean).join('; ') };
  }

  manualInstructions(type: 'ERASURE' | 'RESTRICTION' | 'OBJECTION' | 'RECTIFICATION'): string | undefined {
    return type === 'RESTRICTION' ? RESTRICTION_INSTRUCTIONS : undefined;
  }

  /**
   * Writes `form(contact)` when it differs from the contact: one PUT with the version read. On 409
   * (changed meanwhile) the contact is read again and the change, worked out anew, retried once.
   * Tells whether a change was written (not when it already was so, or the contact is gone) and
   * the record it was based on.
   */
  private async update(contact: Contact, form: (c: Contact) => Contact, signal: AbortSignal): Promise<{ changed: boolean; before: Contact }> {
    let current = contact;
    for (let attempt = 1; ; attempt++) {
      const next = form(current);
      if (!differs(current, next)) return { changed: false, before: current };
      const res = await this.api.replaceContact(next, signal);
      if (res.status === 'updated') return { changed: true, before: current };
      if (res.status === 'gone') return { changed: false, before: current };
      if (attempt === 2) {
        throw new HttpError({ system: this.id, status: 409, method: 'PUT', route: '/contacts/{id}', detail: 'the contact kept changing while it was updated; try again' });
      }
      const fresh = await this.api.contact(current.id, signal);
      if (!fresh) return { changed: false, before: current };
      current = fresh;
    }
  }

  /** The subject's own contact records, per subject (exact matches only). */
  private async contactsOf(subjects: SubjectKey[], signal: AbortSignal): Promise<Contact[][]> {
    const [byEmail, byNumber] = await Promise.all([
      each(unique(subjects.flatMap((s) => s.email ?? [])), (email) => this.api.contactsByEmail(email, signal)),
      each(unique(subjects.flatMap((s) => s.customerNumber ?? [])), (number) => this.api.contactsByNumber(number, signal)),
    ]);
    return subjects.map((s) =>
      uniqueById([
        ...(s.email ?? []).flatMap((email) => (byEmail.get(email) ?? []).filter((c) => matchesEmail(c, email))),
        ...(s.customerNumber ?? []).flatMap((n) => (byNumber.get(n) ?? []).filter((c) => matchesCustomerNumber(c, n))),
      ]),
    );
  }

  private async holdings(subject: SubjectKey, signal: AbortSignal): Promise<Holdings> {
    const [contacts] = await this.contactsOf([subject], signal);
    return { contacts: contacts!, invoicesOf: await this.invoices(contacts!, signal) };
  }

  discover(snapshot: SystemSnapshot): Omit<Identifier, 'source'>[] {
    const records = snapshot.datasets.find((d) => d.name === 'contacts')?.records ?? [];
    const found = records.flatMap((r) => {
      const parsed = contactSchema.safeParse(r);
      return parsed.success ? identifiersOf(parsed.data) : [];
    });
    return uniqueBy(found, (id) => `${id.kind}:${id.value}`);
  }

  /**
   * The invoices of each contact: one list per private customer (made out to them) and one per
   * distinct contact-person name (invoices referencing that name), each kept only where the rule
   * of hogia.match.ts says the invoice is that contact's.
   */
  private async invoices(contacts: Contact[], signal: AbortSignal): Promise<Map<string, Invoice[]>> {
    const customers = contacts.filter((c) => kindOf(c) === 'privateCustomer').map((c) => c.id);
    const names = uniqueBy(contacts.filter((c) => kindOf(c) === 'contactPerson').map(fullName), fold);
    const [own, named] = await Promise.all([
      each(customers, (id) => this.api.invoicesOfCustomer(id, signal)),
      each(names, (name) => this.api.invoicesByReference(name, signal), fold),
    ]);
    const candidates = (c: Contact) => (kindOf(c) === 'privateCustomer' ? own.get(c.id) : named.get(fold(fullName(c))));
    return new Map(contacts.map((c) => [c.id, (candidates(c) ?? []).filter((i) => invoiceBelongsTo(i, c))]));
  }
}

const unique = (values: string[]): string[] => [...new Set(values)];

const allInvoices = (h: Holdings): Invoice[] => uniqueById(h.contacts.flatMap((c) => h.invoicesOf.get(c.id) ?? []));

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && seen.add(key(item)));
}

const uniqueById = <T extends { id: string }>(items: T[]): T[] => uniqueBy(items, (i) => i.id.toLowerCase());

/** Runs one lookup per value concurrently (the HTTP client limits how many are in flight). */
async function each<T>(values: string[], lookup: (v: string) => Promise<T>, key: (v: string) => string = (v) => v): Promise<Map<string, T>> {
  const results = await Promise.all(values.map(lookup));
  return new Map(values.map((v, i) => [key(v), results[i]!]));
}

export const hogiaConnectorFactory: ConnectorFactory = {
  kind: 'hogia',
  resolvers: [HogiaSubjectResolver],
  create(id: string, settings: ConnectorSettings, env: ConnectorEnvironment): Connector {
    const s = parseHogiaSettings(id, settings);
    const tokenUrl = new URL(s.tokenUrl);
    const tokens = new ClientCredentialsTokenProvider({
      // the identity server is its own host, with its own breaker and concurrency
      client: createHttpClient(`${id}-id`, { ...s, baseUrl: tokenUrl.origin }, env),
      tokenPath: tokenUrl.pathname,
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      scope: s.scope,
    });
    const apiBaseUrl = `${s.baseUrl.replace(/\/+$/, '')}/${s.organizationGuid}`;
    const http = createHttpClient(id, { ...s, baseUrl: apiBaseUrl }, env, { auth: tokens });
    return new HogiaConnector(id, new HogiaApi(http, s.apiVersion, s.invoicesPath), s.fiscalYearStartMonth);
  },
};
