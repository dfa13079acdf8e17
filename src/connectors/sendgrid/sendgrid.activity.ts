import type { Row } from '../connector';
import { HttpError, type HttpClient } from '../http';
import { canonicalEmail, recipientQuery, searchMessages, timeWindowClause } from './sendgrid.client';

/** Addresses per `to_email IN (...)` query, and the query's length budget (it travels in the URL). */
const ADDRESSES_PER_QUERY = 50;
const QUERY_CHARS = 4000;

/**
 * Email activity of many addresses with few calls. Addresses go in groups as one
 * `to_email IN (...)` query each; the API has no paging, so a group whose answer reaches the limit
 * may be cut short and is asked again address by address; an address whose own answer reaches it
 * is read in time windows, halved until each answer is complete. Only messages whose `to_email`
 * is exactly one of the addresses are kept.
 */
export async function messagesTo(http: HttpClient, emails: readonly string[], signal: AbortSignal, limit: number): Promise<Map<string, Row[]>> {
  const byEmail = new Map<string, Row[]>(emails.map((e) => [e, []]));
  await Promise.all(
    groupForQueries(emails).map(async (group) => {
      if (group.length > 1) {
        const rows = await searchMessages(http, recipientQuery(group), limit, signal);
        if (rows.length < limit) return distribute(rows, byEmail);
      }
      await Promise.all(group.map(async (email) => byEmail.get(email)!.push(...(await allMessagesTo(http, email, signal, limit)))));
    }),
  );
  return byEmail;
}

function distribute(rows: Row[], byEmail: Map<string, Row[]>): void {
  for (const row of rows) byEmail.get(canonicalEmail(String(row.to_email)))?.push(row);
}

function groupForQueries(emails: readonly string[]): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const email of emails) {
    const size = email.length + 4;
    if (current.length > 0 && (current.length >= ADDRESSES_PER_QUERY || chars + size > QUERY_CHARS)) {
      groups.push(current);
      current = [];
      chars = 0;
    }
    current.push(email);
    chars += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Every message to exactly one address, newest windows first. */
async function allMessagesTo(http: HttpClient, email: string, signal: AbortSignal, limit: number): Promise<Row[]> {
  const query = recipientQuery([email]);
  const mine = (rows: Row[]) => rows.filter((r) => canonicalEmail(String(r.to_email)) === email);
  const rows = await searchMessages(http, query, limit, signal);
  if (rows.length < limit) return mine(rows);
  return inWindow(0, Date.now() + 86_400_000);

  async function inWindow(from: number, to: number): Promise<Row[]> {
    const found = await searchMessages(http, `${query} AND ${timeWindowClause(from, to)}`, limit, signal);
    if (found.length < limit) return mine(found);
    if (to - from <= 1000) {
      throw new HttpError({ system: http.system, status: 200, method: 'GET', route: '/v3/messages', detail: 'more messages in one second than one answer holds' });
    }
    const mid = from + Math.max(1, Math.floor((to - from) / 2000)) * 1000;
    const newer = await inWindow(mid, to);
    const older = await inWindow(from, mid);
    return [...newer, ...older];
  }
}
