import type { ErasurePlanStep, Row } from '../connector';
import type { HttpClient } from '../http';
import { messagesTo } from './sendgrid.activity';
import { CONTACT_SEARCH_MAX, contactsByEmail, globalUnsubscribe, LISTS, suppressionsOf, type SuppressionList } from './sendgrid.client';

/**
 * What SendGrid holds about a subject, address by address: what erasure, restriction and objection
 * decide on. Read with the same calls as `collect` (one activity query per address group, six
 * suppression lookups per address, one contact search per 100 addresses), or fewer when a method
 * needs less.
 */
export interface AddressHoldings {
  email: string;
  messages: Row[];
  globalUnsubscribe: boolean;
  groupUnsubscribes: number;
  /** Entries per list that erasure deletes. */
  lists: Record<SuppressionList, number>;
  /** The marketing contact this address is the primary or an alternate address of. */
  contact: Row | undefined;
}

/**
 * SendGrid keeps email activity this long. No API deletes it directly: the recipient erasure job
 * erases it, on SendGrid's own schedule and with no result to read, so it may show until then.
 */
export const ACTIVITY_DAYS = 30;
const DAY_MS = 86_400_000;

export const ACTIVITY_LEGAL_BASIS =
  'Kept by the processor until erased: Twilio SendGrid keeps email activity for 30 days; only its recipient erasure job, which reports no result, erases it earlier';

const noLists = (): Record<SuppressionList, number> => ({ bounces: 0, blocks: 0, spam_reports: 0, invalid_emails: 0 });

export type HoldingsParts = 'all' | 'unsubscribes-and-contacts' | 'contacts';

/**
 * Reads the holdings of each address. `all` reads email activity, every suppression list and the
 * contacts; `unsubscribes-and-contacts` only the global unsubscribe and the contacts; `contacts`
 * only the contacts. `searchable` says which addresses the contact search may be asked for.
 */
export async function readHoldings(
  http: HttpClient,
  emails: readonly string[],
  searchable: (email: string) => boolean,
  parts: HoldingsParts,
  signal: AbortSignal,
  messagesLimit: number,
): Promise<AddressHoldings[]> {
  const contactSearch = (async () => {
    const wanted = emails.filter(searchable);
    const found = new Map<string, Row>();
    for (let i = 0; i < wanted.length; i += CONTACT_SEARCH_MAX) {
      for (const [e, c] of await contactsByEmail(http, wanted.slice(i, i + CONTACT_SEARCH_MAX), signal)) found.set(e, c);
    }
    return found;
  })();
  const [messages, suppressions, contacts] = await Promise.all([
    parts === 'all' ? messagesTo(http, emails, signal, messagesLimit) : undefined,
    parts === 'contacts'
      ? undefined
      : Promise.all(
          emails.map(async (e) => (parts === 'all' ? suppressionsOf(http, e, signal) : (await globalUnsubscribe(http, e, signal)).map((r) => ({ source: 'global_unsubscribes', ...r })))),
        ),
    contactSearch,
  ]);
  return emails.map((email, i) => {
    const mine = suppressions?.[i] ?? [];
    const lists = noLists();
    for (const r of mine) if ((LISTS as readonly unknown[]).includes(r.source)) lists[r.source as SuppressionList] += 1;
    return {
      email,
      messages: messages?.get(email) ?? [],
      globalUnsubscribe: mine.some((r) => r.source === 'global_unsubscribes'),
      groupUnsubscribes: mine.filter((r) => r.source === 'group_unsubscribes').length,
      lists,
      contact: contacts.get(email),
    };
  });
}

/** True when SendGrid holds anything under the address. */
export function isKnown(h: AddressHoldings): boolean {
  return h.messages.length > 0 || h.globalUnsubscribe || h.groupUnsubscribes > 0 || listEntries(h) > 0 || h.contact !== undefined;
}

export const listEntries = (h: AddressHoldings): number => LISTS.reduce((n, list) => n + h.lists[list], 0);

/** The subject's marketing contacts, each once (two addresses may lead to the same contact). */
export function contactsOf(holdings: readonly AddressHoldings[]): Row[] {
  const byId = new Map<string, Row>();
  for (const h of holdings) if (h.contact) byId.set(String(h.contact.id), h.contact);
  return [...byId.values()];
}

/** The subject's messages, each once. */
export function messagesOf(holdings: readonly AddressHoldings[]): Row[] {
  const byId = new Map<string, Row>();
  for (const h of holdings) for (const m of h.messages) byId.set(String(m.msg_id), m);
  return [...byId.values()];
}

/** When SendGrid will have dropped the newest of the messages: its last event plus 30 days. */
export function activityExpiry(messages: readonly Row[]): Date | undefined {
  let newest = -Infinity;
  for (const m of messages) {
    const t = Date.parse(String(m.last_event_time));
    if (Number.isFinite(t) && t > newest) newest = t;
  }
  return Number.isFinite(newest) ? new Date(newest + ACTIVITY_DAYS * DAY_MS) : undefined;
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The erasure plan of a subject's holdings (only the datasets that hold something):
 * - marketing_contacts: DELETE;
 * - messages: RETAIN until the newest message's last event plus 30 days (SendGrid offers no delete;
 *   an erasure job is still started);
 * - suppressions: SUPPRESS for unsubscribes, global (kept, or added to each address SendGrid
 *   knows) and group (kept), since they are what stop email to the person for good;
 * - suppressions: DELETE for bounces, blocks, spam reports and invalid-address entries, personal
 *   data no longer needed once the global unsubscribe stops all sending.
 */
export function erasurePlan(holdings: readonly AddressHoldings[]): ErasurePlanStep[] {
  const known = holdings.filter(isKnown);
  if (known.length === 0) return [];
  const steps: ErasurePlanStep[] = [];
  const contacts = contactsOf(known);
  if (contacts.length > 0) {
    steps.push({
      dataset: 'marketing_contacts',
      action: 'DELETE',
      records: contacts.length,
      note: 'The marketing contact is deleted (SendGrid completes the deletion asynchronously).',
    });
  }
  const messages = messagesOf(known);
  if (messages.length > 0) {
    steps.push({
      dataset: 'messages',
      action: 'RETAIN',
      records: messages.length,
      retainedUntil: activityExpiry(messages)!,
      legalBasis: ACTIVITY_LEGAL_BASIS,
      note:
        'SendGrid keeps email activity for 30 days and no API deletes it directly; the recipient erasure job started for the ' +
        'address erases it on its own schedule, without a result to read, and it is gone by the date given at the latest.',
    });
  }
  const kept = known.filter((h) => h.globalUnsubscribe).length;
  const added = known.length - kept;
  const groups = known.reduce((n, h) => n + h.groupUnsubscribes, 0);
  steps.push({
    dataset: 'suppressions',
    action: 'SUPPRESS',
    records: known.length + groups,
    note:
      `Global unsubscribe: ${kept} to keep, ${added} to add; ${count(groups, 'group unsubscribe')} to keep. ` +
      'Unsubscribes are never deleted: they are what keeps SendGrid from emailing the person again.',
  });
  const entries = known.reduce((n, h) => n + listEntries(h), 0);
  if (entries > 0) {
    steps.push({
      dataset: 'suppressions',
      action: 'DELETE',
      records: entries,
      note: 'Bounce, block, spam report and invalid address entries are deleted; the global unsubscribe keeps stopping all email.',
    });
  }
  return steps;
}

export { count as countOf };
