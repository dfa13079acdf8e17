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

const LISTS = ['bounces', 'blocks', 'spam_reports', 'invalid_emails'] as const;

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
async function globalUnsubscribe(http: HttpClient, email: string, signal: AbortSignal): Promise<Row[]> {
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
async function suppressionList(http: HttpClient, list: (typeof LISTS)[number], email: string, signal: AbortSignal): Promise<Row[]> {
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
