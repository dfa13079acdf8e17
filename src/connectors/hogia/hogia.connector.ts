import type { ConnectorSettings } from '../../config';
import type { Connector, ConnectorEnvironment, ConnectorFactory, Identifier, SubjectKey, SystemSnapshot } from '../connector';
import { ClientCredentialsTokenProvider, createHttpClient } from '../http';
import { contactSchema, fold, HogiaApi, type Contact, type Invoice } from './hogia.api';
import { HOGIA_DESCRIPTOR } from './hogia.descriptor';
import { fullName, identifiersOf, invoiceBelongsTo, kindOf, matchesCustomerNumber, matchesEmail } from './hogia.match';
import { HogiaSubjectResolver } from './hogia.resolver';
import { parseHogiaSettings } from './hogia.settings';

/**
 * Hogia ekonomi (invoicing). Contacts are looked up by customer number (exact, server-side) and by
 * email (ASSUMED filter; exact matches kept here); invoices are read per private customer and per
 * contact person's name, following the rule in hogia.match.ts. For N subjects the calls are: one
 * token (cached until it expires), one contact lookup per distinct email or customer number, and
 * one invoice list per private customer and per distinct contact-person name found.
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
    const [byEmail, byNumber] = await Promise.all([
      each(unique(subjects.flatMap((s) => s.email ?? [])), (email) => this.api.contactsByEmail(email, signal)),
      each(unique(subjects.flatMap((s) => s.customerNumber ?? [])), (number) => this.api.contactsByNumber(number, signal)),
    ]);
    const contactsOf = subjects.map((s) =>
      uniqueById([
        ...(s.email ?? []).flatMap((email) => (byEmail.get(email) ?? []).filter((c) => matchesEmail(c, email))),
        ...(s.customerNumber ?? []).flatMap((n) => (byNumber.get(n) ?? []).filter((c) => matchesCustomerNumber(c, n))),
      ]),
    );
    const invoicesOf = await this.invoices(uniqueById(contactsOf.flat()), signal);
    return contactsOf.map((contacts) => ({
      found: contacts.length > 0,
      restricted: false,
      datasets: [
        { name: 'contacts', records: contacts },
        { name: 'invoices', records: uniqueById(contacts.flatMap((c) => invoicesOf.get(c.id) ?? [])) },
      ],
    }));
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
