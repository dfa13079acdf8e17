/**
 * The Hogia ekonomi API calls the connector makes, with the responses checked by zod. Records keep
 * the source's field names; the schemas only check what the connector relies on and let every other
 * field through.
 *
 * Lookups never page through a list to find a person: a contact lookup reads one page of a
 * filtered list, and when the filter did not narrow the list (more than a page, or items the
 * filter should have excluded) the call fails instead of reading on.
 */
import { z } from 'zod';
import { HttpError, type HttpClient, type QueryValue } from '../http';

const channelSchema = z.object({ type: z.string(), value: z.string() }).loose();

export const contactSchema = z
  .object({
    id: z.string().min(1),
    givenName: z.string().nullish(),
    surName: z.string().nullish(),
    companyName: z.string().nullish(),
    number: z.string(),
    contactChannels: z.array(channelSchema).nullish(),
    customer: z.object({ isActive: z.boolean().nullish() }).loose().nullish(),
    /** Optimistic concurrency: an update sends the version it was based on (ASSUMED). */
    version: z.number().int().nullish(),
  })
  .loose();
export type Contact = z.infer<typeof contactSchema>;

export const invoiceSchema = z
  .object({
    id: z.string().min(1),
    invoiceHeader: z
      .object({
        customerId: z.string().nullish(),
        customerNumber: z.string().nullish(),
        customerName: z.string().nullish(),
        yourReference: z.string().nullish(),
      })
      .loose(),
  })
  .loose();
export type Invoice = z.infer<typeof invoiceSchema>;

/** Hogia's list envelope (ASSUMED shape): {"items","page","pageSize","totalCount","totalPages"}. */
const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), totalCount: z.number().int().min(0), totalPages: z.number().int().min(0) }).loose();

/** Contact lookups are for one person: a filtered list longer than this means the filter did not apply. */
const LOOKUP_PAGE_SIZE = 100;
/** The API's largest page. */
const MAX_PAGE_SIZE = 500;
/** At most this many pages of one person's invoices (5 000 invoices). */
const MAX_INVOICE_PAGES = 10;

/** Case-, space- and Unicode-form-insensitive text, as names and references are compared. */
export const fold = (s: string | null | undefined): string => (s ?? '').normalize('NFC').trim().toLowerCase();

export class HogiaApi {
  constructor(
    private readonly http: HttpClient,
    private readonly apiVersion: string,
    private readonly invoicesPath: string,
  ) {}

  /** GET /{org}/contacts?number=: the number filter is exact. */
  contactsByNumber(number: string, signal: AbortSignal): Promise<Contact[]> {
    return this.lookup({ number }, (c) => c.number === number, signal);
  }

  /**
   * GET /{org}/contacts?email= (ASSUMED filter, not publicly documented). It may also match other
   * addresses (e.g. the e-invoice address), so the caller keeps only exact matches.
   */
  contactsByEmail(email: string, signal: AbortSignal): Promise<Contact[]> {
    return this.lookup({ email }, () => true, signal);
  }

  /** The invoices made out to one customer: GET {invoicesPath}?contactId= (ASSUMED filter). */
  invoicesOfCustomer(contactId: string, signal: AbortSignal): Promise<Invoice[]> {
    const id = contactId.toLowerCase();
    return this.invoices({ contactId }, (i) => i.invoiceHeader.customerId?.toLowerCase() === id, signal);
  }

  /** The invoices whose reference is exactly this name: GET {invoicesPath}?yourReference= (ASSUMED filter). */
  invoicesByReference(reference: string, signal: AbortSignal): Promise<Invoice[]> {
    const wanted = fold(reference);
    return this.invoices({ yourReference: reference }, (i) => fold(i.invoiceHeader.yourReference) === wanted, signal);
  }

  /** GET /{org}/contacts/{id}; null when the contact no longer exists. */
  async contact(id: string, signal: AbortSignal): Promise<Contact | null> {
    const res = await this.http.request<unknown>({
      method: 'GET', path: '/contacts/{id}', params: { id }, query: { 'api-version': this.apiVersion }, signal, expect: [404],
    });
    if (res.status === 404) return null;
    return this.parsed(contactSchema, res, 'GET', '/contacts/{id}');
  }

  /**
   * PUT /{org}/contacts/{id} (ASSUMED endpoint): the whole contact as it was read, with the
   * changes, and the `version` it was read at. The API answers 409 when the contact changed
   * meanwhile; the caller then reads it again. Repeating a PUT that was already applied also
   * gives 409 (the version moved on), so the client may retry it safely.
   */
  async replaceContact(contact: Contact, signal: AbortSignal): Promise<{ status: 'updated'; contact: Contact } | { status: 'conflict' | 'gone' }> {
    const res = await this.http.request<unknown>({
      method: 'PUT', path: '/contacts/{id}', params: { id: contact.id }, query: { 'api-version': this.apiVersion },
      json: contact, signal, expect: [404, 409],
    });
    if (res.status === 409) return { status: 'conflict' };
    if (res.status === 404) return { status: 'gone' };
    return { status: 'updated', contact: this.parsed(contactSchema, res, 'PUT', '/contacts/{id}') };
  }

  private parsed<T extends z.ZodType>(schema: T, res: { status: number; body: unknown; headers: Record<string, string> }, method: string, route: string): z.infer<T> {
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) {
      throw new HttpError({ system: this.http.system, status: res.status, method, route, headers: res.headers, detail: 'the response does not have the expected shape' });
    }
    return parsed.data;
  }

  private async lookup(filter: Record<string, string>, applied: (c: Contact) => boolean, signal: AbortSignal): Promise<Contact[]> {
    const page = await this.page('/contacts', contactSchema, { ...filter, page: 1, pageSize: LOOKUP_PAGE_SIZE }, signal);
    if (page.totalCount > page.items.length || !page.items.every(applied)) throw this.notNarrowed('/contacts');
    return page.items;
  }

  /** Every page of a filtered invoice list; the first page shows whether the filter applied. */
  private async invoices(filter: Record<string, string>, applied: (i: Invoice) => boolean, signal: AbortSignal): Promise<Invoice[]> {
    const path = this.invoicesPath;
    const query = (page: number) => ({ ...filter, page, pageSize: MAX_PAGE_SIZE });
    const first = await this.page(path, invoiceSchema, query(1), signal);
    if (!first.items.every(applied) || first.totalPages > MAX_INVOICE_PAGES) throw this.notNarrowed(path);
    const rest = await Promise.all(
      Array.from({ length: Math.max(0, first.totalPages - 1) }, (_, i) => this.page(path, invoiceSchema, query(i + 2), signal)),
    );
    const items = [first, ...rest].flatMap((p) => p.items);
    if (!items.every(applied)) throw this.notNarrowed(path);
    return items;
  }

  private async page<T extends z.ZodType>(path: string, item: T, query: Record<string, QueryValue>, signal: AbortSignal) {
    const res = await this.http.request<unknown>({ method: 'GET', path, query: { ...query, 'api-version': this.apiVersion }, signal });
    const parsed = pageOf(item).safeParse(res.body);
    if (!parsed.success) {
      throw new HttpError({ system: this.http.system, status: res.status, method: 'GET', route: path, headers: res.headers, detail: 'the response does not have the expected shape' });
    }
    return parsed.data;
  }

  /** A filter the API did not apply: reading on would mean paging through everyone's records. */
  private notNarrowed(path: string): HttpError {
    return new HttpError({
      system: this.http.system, status: 200, method: 'GET', route: path,
      detail: 'the list was not narrowed by the search filter, so it was not read',
    });
  }
}
