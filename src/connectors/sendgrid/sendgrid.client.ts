import { z } from 'zod';
import type { Row } from '../connector';
import { HttpError, type HttpClient, type HttpMethod, type HttpResponse } from '../http';
import type { SuppressionSource } from './sendgrid.descriptor';

/**
 * SendGrid's v3 endpoints as the connector uses them. Each function sends one request (or one per
 * list), checks the answer's shape with zod and returns the records as SendGrid returned them.
 * Identifiers travel only as path parameters, query values or bodies, never in a logged route.
 */

/** The most messages GET /v3/messages returns for one query (it has no offset or cursor). */
export const MESSAGES_LIMIT = 1000;
/** The most addresses POST /v3/marketing/contacts/search/emails takes. */
export const CONTACT_SEARCH_MAX = 100;

/** Emails as src/services/identity.ts normalises them (trimmed, NFC, lower case), without validation. */
export const canonicalEmail = (value: string): string => value.trim().normalize('NFC').toLowerCase();

const messagesSchema = z.object({
  messages: z.array(z.object({ msg_id: z.string().min(1), to_email: z.string(), last_event_time: z.string() }).loose()),
});
const messageSchema = z
  .object({ msg_id: z.string().min(1), events: z.array(z.object({ event_name: z.string(), processed: z.string() }).loose()) })
  .loose();
const globalSchema = z.object({ recipient_email: z.string().optional() }).loose();
const groupsSchema = z.object({
  suppressions: z.array(z.object({ id: z.number(), name: z.string(), suppressed: z.boolean() }).loose()),
});
const listSchema = z.array(z.object({ email: z.string() }).loose());
const contactSchema = z.object({ id: z.string().min(1), email: z.string(), alternate_emails: z.array(z.string()).nullish() }).loose();
const contactSearchSchema = z.object({
  result: z.record(z.string(), z.union([z.object({ contact: contactSchema }).loose(), z.object({ error: z.string() }).loose()])),
});

/** Throws an HttpError (its message names only the route) when an answer is not what SendGrid documents. */
function expectShape(http: HttpClient, method: HttpMethod, route: string, res: HttpResponse<unknown>, schema: z.ZodType): void {
  if (schema.safeParse(res.body).success) return;
  throw new HttpError({
    system: http.system, status: res.status, method, route, body: res.body, headers: res.headers,
    detail: 'the answer does not have the expected shape',
  });
}

/** A string literal of the email activity query language (`\` escapes). */
const literal = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** `to_email="a"` for one address, `to_email IN ("a","b")` for several. */
export function recipientQuery(emails: readonly string[]): string {
  return emails.length === 1 ? `to_email=${literal(emails[0]!)}` : `to_email IN (${emails.map(literal).join(',')})`;
}

/** `last_event_time` in [from, to), as a clause to AND to a query. */
export function timeWindowClause(from: number, to: number): string {
  const ts = (ms: number) => `TIMESTAMP "${new Date(ms).toISOString()}"`;
  return `last_event_time >= ${ts(from)} AND last_event_time < ${ts(to)}`;
}

/** GET /v3/messages: the summaries matching a query, at most `limit`. */
export async function searchMessages(http: HttpClient, query: string, limit: number, signal: AbortSignal): Promise<Row[]> {
  const route = '/v3/messages';
  const res = await http.request<unknown>({ method: 'GET', path: route, query: { query, limit }, signal });
  expectShape(http, 'GET', route, res, messagesSchema);
  return (res.body as { messages: Row[] }).messages;
}

/** GET /v3/messages/{msg_id}: one message with its events; null when SendGrid no longer has it. */
export async function getMessage(http: HttpClient, msgId: string, signal: AbortSignal): Promise<Row | null> {
  const route = '/v3/messages/{msg_id}';
  const res = await http.request<unknown>({ method: 'GET', path: route, params: { msg_id: msgId }, signal, expect: [404] });
  if (res.status === 404) return null;
  expectShape(http, 'GET', route, res, messageSchema);
  return res.body as Row;
}

/** The suppression lists kept per address besides unsubscribes, as SendGrid names them in its paths. */
export const LISTS = ['bounces', 'blocks', 'spam_reports', 'invalid_emails'] as const;
export type SuppressionList = (typeof LISTS)[number];

/**
 * Every suppression of one address: the global unsubscribe, the groups it is unsubscribed from
 * and the bounces, blocks, spam reports and invalid-email entries; six calls, as SendGrid offers no
 * lookup of several addresses at once. Each record gets `source`, the list it came from.
 */
export async function suppressionsOf(http: HttpClient, email: string, signal: AbortSignal): Promise<Row[]> {
  const tagged = (source: SuppressionSource, records: Row[]) => records.map((r) => ({ source, ...r }));
  const [global, groups, ...lists] = await Promise.all([
    globalUnsubscribe(http, email, signal),
    groupUnsubscribes(http, email, signal),
    ...LISTS.map((list) => suppressionList(http, list, email, signal)),
  ]);
  return [
    ...tagged('global_unsubscribes', global),
    ...tagged('group_unsubscribes', groups),
    ...LISTS.flatMap((list, i) => tagged(list, lists[i]!)),
  ];
}

/** GET /v3/asm/suppressions/global/{email}: `{"recipient_email": ...}` when unsubscribed, else `{}`. */
export async function globalUnsubscribe(http: HttpClient, email: string, signal: AbortSignal): Promise<Row[]> {
  const route = '/v3/asm/suppressions/global/{email}';
  const res = await http.request<unknown>({ method: 'GET', path: route, params: { email }, signal });
  expectShape(http, 'GET', route, res, globalSchema);
  const body = res.body as { recipient_email?: string };
  return body.recipient_email !== undefined && canonicalEmail(body.recipient_email) === email ? [body] : [];
}

/** GET /v3/asm/suppressions/{email}: every group with `suppressed`; only the suppressed ones are kept. */
async function groupUnsubscribes(http: HttpClient, email: string, signal: AbortSignal): Promise<Row[]> {
  const route = '/v3/asm/suppressions/{email}';
  const res = await http.request<unknown>({ method: 'GET', path: route, params: { email }, signal });
  expectShape(http, 'GET', route, res, groupsSchema);
  return (res.body as { suppressions: Row[] }).suppressions.filter((g) => g.suppressed === true);
}

/** GET /v3/suppression/{list}/{email}: the entries of one address on one list. */
async function suppressionList(http: HttpClient, list: SuppressionList, email: string, signal: AbortSignal): Promise<Row[]> {
  const route = `/v3/suppression/${list}/{email}`;
  const res = await http.request<unknown>({ method: 'GET', path: route, params: { email }, signal });
  expectShape(http, 'GET', route, res, listSchema);
  return (res.body as Row[]).filter((r) => canonicalEmail(String(r.email)) === email);
}

/**
 * Addresses Marketing Campaigns can hold: plain ASCII with a dotted domain, at most 100 characters
 * (its schema's limit). Others are not searched, so one unusual address never fails a whole batch.
 */
const CONTACT_EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}$/;
export const isContactEmail = (email: string): boolean => email.length <= 100 && CONTACT_EMAIL.test(email);

/**
 * POST /v3/marketing/contacts/search/emails for up to 100 addresses (primary or alternate):
 * searched address -> contact, as SendGrid returned it. A 404 means none of them is a contact.
 */
export async function contactsByEmail(http: HttpClient, emails: readonly string[], signal: AbortSignal): Promise<Map<string, Row>> {
  const found = new Map<string, Row>();
  if (emails.length === 0) return found;
  const route = '/v3/marketing/contacts/search/emails';
  const res = await http.request<unknown>({
    method: 'POST', path: route, json: { emails }, signal, expect: [404],
    idempotent: true, // a search only reads
  });
  if (res.status === 404) return found;
  expectShape(http, 'POST', route, res, contactSearchSchema);
  const result = (res.body as { result: Record<string, { contact?: Row }> }).result;
  for (const [key, entry] of Object.entries(result)) {
    const email = canonicalEmail(key);
    const contact = entry.contact;
    if (!contact || !emails.includes(email)) continue;
    const addresses = [contact.email, ...((contact.alternate_emails as string[] | null | undefined) ?? [])].map((a) => canonicalEmail(String(a)));
    if (addresses.includes(email)) found.set(email, contact);
  }
  return found;
}

// --- acting on addresses: suppressions, contacts, erasure ---

const jobSchema = z.object({ job_id: z.string().min(1) }).loose();
const globalAddedSchema = z.object({ recipient_emails: z.array(z.string()) }).loose();

/**
 * POST /v3/asm/suppressions/global: adds the addresses to the global unsubscribes (201). Adding an
 * address that is already there changes nothing, so the call may be repeated.
 */
export async function addGlobalUnsubscribes(http: HttpClient, emails: readonly string[], signal: AbortSignal): Promise<void> {
  if (emails.length === 0) return;
  const route = '/v3/asm/suppressions/global';
  const res = await http.request<unknown>({ method: 'POST', path: route, json: { recipient_emails: emails }, signal, idempotent: true });
  expectShape(http, 'POST', route, res, globalAddedSchema);
}

/** DELETE /v3/suppression/{list}/{email}: removes the address from one list (204, also when it was not there). */
export async function deleteFromList(http: HttpClient, list: SuppressionList, email: string, signal: AbortSignal): Promise<void> {
  await http.request<unknown>({ method: 'DELETE', path: `/v3/suppression/${list}/{email}`, params: { email }, signal });
}

/** Contact ids per DELETE call: a bound of this connector's own, to keep the URL short. */
export const CONTACT_DELETE_MAX = 100;

/**
 * DELETE /v3/marketing/contacts?ids=a,b: 202 with the job id of each call. SendGrid deletes
 * asynchronously; deleting an id that is gone already is accepted too.
 */
export async function deleteContacts(http: HttpClient, ids: readonly string[], signal: AbortSignal): Promise<string[]> {
  const route = '/v3/marketing/contacts';
  const jobs: string[] = [];
  for (let i = 0; i < ids.length; i += CONTACT_DELETE_MAX) {
    const res = await http.request<unknown>({ method: 'DELETE', path: route, query: { ids: ids.slice(i, i + CONTACT_DELETE_MAX).join(',') }, signal });
    expectShape(http, 'DELETE', route, res, jobSchema);
    jobs.push((res.body as { job_id: string }).job_id);
  }
  return jobs;
}

/** The identifiers of a contact: SendGrid updates a contact only when every one it has is sent. */
export const CONTACT_IDENTIFIERS = ['email', 'phone_number_id', 'external_id', 'anonymous_id'] as const;

/**
 * PUT /v3/marketing/contacts: upserts contacts (202 with a job id; SendGrid applies it
 * asynchronously). Fields left out stay as they are; each contact must carry all its identifiers,
 * or SendGrid would create another contact instead of updating this one.
 */
export async function upsertContacts(http: HttpClient, contacts: readonly Row[], signal: AbortSignal): Promise<string> {
  const route = '/v3/marketing/contacts';
  const res = await http.request<unknown>({ method: 'PUT', path: route, json: { contacts }, signal });
  expectShape(http, 'PUT', route, res, jobSchema);
  return (res.body as { job_id: string }).job_id;
}

/** What one erasure job takes: 5,000 addresses or 256 KB of payload, whichever comes first. */
export const ERASEJOB_MAX_ADDRESSES = 5000;
export const ERASEJOB_MAX_BYTES = 256 * 1024;

/**
 * Splits addresses (deduplicated, in order) into the fewest erasure jobs that stay within both of
 * SendGrid's limits; the size is that of the JSON body `{"email_addresses":[...]}` in bytes.
 */
export function eraseJobBatches(emails: readonly string[]): string[][] {
  const empty = Buffer.byteLength('{"email_addresses":[]}');
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = empty;
  for (const email of new Set(emails)) {
    const size = Buffer.byteLength(JSON.stringify(email));
    if (empty + size > ERASEJOB_MAX_BYTES) {
      throw new RangeError('an address is longer than an erasure job can carry');
    }
    const added = size + (current.length > 0 ? 1 : 0);
    if (current.length >= ERASEJOB_MAX_ADDRESSES || bytes + added > ERASEJOB_MAX_BYTES) {
      batches.push(current);
      current = [];
      bytes = empty;
    }
    bytes += size + (current.length > 0 ? 1 : 0);
    current.push(email);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * POST /v3/recipients/erasejob: asks SendGrid to delete the personal data it holds about the
 * addresses (names, addresses, subject lines, categories, IP addresses). One call per batch of
 * `eraseJobBatches`, one after the other (SendGrid allows 100 calls a minute; a 429 is waited out
 * by the HTTP client as far as its settings allow). Each answers 202 with a job id; SendGrid offers
 * no way to follow a job. Erasing twice does no harm, so failed calls are retried. Every address
 * must be structurally valid: SendGrid refuses the whole call otherwise.
 */
export async function startEraseJobs(http: HttpClient, emails: readonly string[], signal: AbortSignal): Promise<string[]> {
  const route = '/v3/recipients/erasejob';
  const jobs: string[] = [];
  for (const batch of eraseJobBatches(emails)) {
    const res = await http.request<unknown>({ method: 'POST', path: route, json: { email_addresses: batch }, signal, idempotent: true });
    expectShape(http, 'POST', route, res, jobSchema);
    jobs.push((res.body as { job_id: string }).job_id);
  }
  return jobs;
}
