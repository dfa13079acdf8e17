import { setMaxListeners } from 'node:events';
import { EraseJobBatcher } from './sendgrid.erasejobs';
import type { ConnectorSettings } from '../../config';
import { normalisePhone } from '../../services/identity';
import { badInput } from '../../errors';
import {
  emptySnapshot,
  type ActionOutcome,
  type Connector,
  type ConnectorEnvironment,
  type ConnectorFactory,
  type ErasurePlanStep,
  type FieldChange,
  type Identifier,
  type Row,
  type SubjectKey,
  type SystemDescriptor,
  type SystemSnapshot,
} from '../connector';
import { createHttpClient, deadlineOf, markDeadline, type HttpClient } from '../http';
import { messagesTo } from './sendgrid.activity';
import {
  addGlobalUnsubscribes,
  canonicalEmail,
  CONTACT_IDENTIFIERS,
  CONTACT_SEARCH_MAX,
  contactsByEmail,
  deleteContacts,
  deleteFromList,
  getMessage,
  isContactEmail,
  LISTS,
  MESSAGES_LIMIT,
  suppressionsOf,
  upsertContacts,
} from './sendgrid.client';
import {
  ACTIVITY_LEGAL_BASIS,
  activityExpiry,
  contactsOf,
  countOf,
  erasurePlan,
  isKnown,
  listEntries,
  messagesOf,
  readHoldings,
  type AddressHoldings,
  type HoldingsParts,
} from './sendgrid.erasure';
import { sendgridDescriptor } from './sendgrid.descriptor';
import { EmailMessageResolver, SendGridSubjectResolver } from './sendgrid.resolver';
import { isEuHost, parseSendGridSettings } from './sendgrid.settings';

export interface SendGridConnectorOptions {
  /** Messages asked for per email activity query: SendGrid's maximum unless a test wants less. */
  messagesLimit?: number;
  /** See the `eraseJobLingerMs` setting. */
  eraseJobLingerMs?: number;
}

/**
 * Twilio SendGrid: email activity, suppressions and marketing contacts, found by exact email.
 * One collect asks for all its subjects' addresses at once: email activity in groups of addresses
 * (`to_email IN (...)`), marketing contacts 100 addresses per call, suppressions six calls per
 * address (SendGrid has no lookup of several addresses there).
 */
export class SendGridConnector implements Connector {
  readonly accepts = ['email'] as const;
  private readonly messagesLimit: number;
  /** Erasures running at once share recipient erasure jobs. */
  readonly eraseJobs: EraseJobBatcher;

  constructor(
    readonly id: string,
    private readonly http: HttpClient,
    readonly system: SystemDescriptor,
    options: SendGridConnectorOptions = {},
  ) {
    this.messagesLimit = options.messagesLimit ?? MESSAGES_LIMIT;
    this.eraseJobs = new EraseJobBatcher(http, options.eraseJobLingerMs);
  }

  async collect(subjects: SubjectKey[], caller: AbortSignal): Promise<SystemSnapshot[]> {
    const signal = forManyCalls(caller);
    const emailsOf = subjects.map((s) => [...new Set((s.email ?? []).map(canonicalEmail))]);
    const emails = [...new Set(emailsOf.flat())];
    if (emails.length === 0) return subjects.map(() => emptySnapshot(this.system.datasets));

    const searchable = emails.filter(isContactEmail);
    const [messages, suppressions, contacts] = await Promise.all([
      messagesTo(this.http, emails, signal, this.messagesLimit),
      Promise.all(emails.map(async (e) => [e, await suppressionsOf(this.http, e, signal)] as const)).then((entries) => new Map(entries)),
      Promise.all(chunks(searchable, CONTACT_SEARCH_MAX).map((group) => contactsByEmail(this.http, group, signal))).then(
        (maps) => new Map(maps.flatMap((m) => [...m])),
      ),
    ]);

    return emailsOf.map((mine) => {
      const datasets = [
        { name: 'messages', records: unique(mine.flatMap((e) => messages.get(e) ?? []), (m) => String(m.msg_id)) },
        { name: 'suppressions', records: unique(mine.flatMap((e) => suppressions.get(e) ?? []), (r) => JSON.stringify(r)) },
        { name: 'marketing_contacts', records: unique(mine.flatMap((e) => (contacts.has(e) ? [contacts.get(e)!] : [])), (c) => String(c.id)) },
      ];
      return { found: datasets.some((d) => d.records.length > 0), restricted: false, datasets };
    });
  }

  /**
   * SendGrid knows people only by their email addresses; a marketing contact may add another
   * address of the same contact and a phone number (as E.164).
   */
  discover(snapshot: SystemSnapshot): Omit<Identifier, 'source'>[] {
    const contacts = snapshot.datasets.find((d) => d.name === 'marketing_contacts')?.records ?? [];
    const found: Omit<Identifier, 'source'>[] = [];
    for (const c of contacts) {
      for (const address of [c.email, ...(Array.isArray(c.alternate_emails) ? c.alternate_emails : [])]) {
        if (typeof address === 'string' && address.includes('@')) found.push({ kind: 'email', value: canonicalEmail(address) });
      }
      const phone = typeof c.phone_number === 'string' ? c.phone_number.trim() : '';
      if (phone) {
        try {
          found.push({ kind: 'phone', value: normalisePhone(phone) });
        } catch {
          // not a phone number: nothing to reveal
        }
      }
    }
    return unique(found, (i) => `${i.kind}:${i.value}`);
  }

  // --- acting on a subject ---

  /** Dry run of `erase`: reads SendGrid (as `collect` does) and changes nothing. */
  async planErasure(subject: SubjectKey, caller: AbortSignal): Promise<ErasurePlanStep[]> {
    return erasurePlan(await this.holdings(subject, 'all', forManyCalls(caller)));
  }

  /**
   * For every address SendGrid holds anything about: adds the global unsubscribe where it is
   * missing (first, so no email goes out whatever happens next), deletes the marketing contact and
   * the bounce, block, spam report and invalid address entries, and starts a recipient erasure job.
   * Unsubscribes stay: they honour "never email me again". Email activity has no delete of its own:
   * the erasure job erases it without a result to read, so what still shows is RETAINED until
   * SendGrid drops it at the latest, 30 days after the newest message's last event.
   * An address SendGrid holds nothing about is left alone (NOT_FOUND when that is all of them).
   */
  async erase(subject: SubjectKey, caller: AbortSignal): Promise<ActionOutcome> {
    const signal = forManyCalls(caller);
    const known = (await this.holdings(subject, 'all', signal)).filter(isKnown);
    if (known.length === 0) return { status: 'NOT_FOUND', recordsDeleted: 0, note: 'SendGrid holds nothing under the subject’s addresses.' };

    const missing = known.filter((h) => !h.globalUnsubscribe).map((h) => h.email);
    await addGlobalUnsubscribes(this.http, missing, signal);
    const contacts = contactsOf(known);
    if (contacts.length > 0) await deleteContacts(this.http, contacts.map((c) => String(c.id)), signal);
    const entries = known.flatMap((h) => LISTS.filter((list) => h.lists[list] > 0).map((list) => ({ list, email: h.email })));
    await Promise.all(entries.map((e) => deleteFromList(this.http, e.list, e.email, signal)));
    const deletedEntries = known.reduce((n, h) => n + listEntries(h), 0);
    await this.eraseJobs.submit(known.map((h) => h.email), signal);

    const messages = messagesOf(known);
    const groups = known.reduce((n, h) => n + h.groupUnsubscribes, 0);
    const note = [
      `Deleted: ${countOf(contacts.length, 'marketing contact')}, ${countOf(deletedEntries, 'bounce, block, spam report or invalid address entry', 'bounce, block, spam report or invalid address entries')}.`,
      `Global unsubscribe kept for ${countOf(known.length - missing.length, 'address', 'addresses')}, added for ${countOf(missing.length, 'address', 'addresses')}; ${countOf(groups, 'group unsubscribe')} kept.`,
      `Recipient erasure job started for ${countOf(known.length, 'address', 'addresses')} (SendGrid reports no result).`,
    ];
    const recordsDeleted = contacts.length + deletedEntries;
    if (messages.length === 0) return { status: 'SUCCEEDED', recordsDeleted, recordsRetained: 0, note: note.join(' ') };
    const retainedUntil = activityExpiry(messages)!;
    note.push(`${countOf(messages.length, 'email activity record')} stay with SendGrid until the erasure job erases them, or they expire by ${retainedUntil.toISOString().slice(0, 10)} at the latest.`);
    return { status: 'RETAINED', recordsDeleted, recordsRetained: messages.length, retainedUntil, legalBasis: ACTIVITY_LEGAL_BASIS, note: note.join(' ') };
  }

  /**
   * On: adds the global unsubscribe to every address SendGrid holds anything about, so it sends
   * the person nothing while processing is restricted. Off: changes nothing in SendGrid. A global
   * unsubscribe cannot be told apart from one the person set themselves, and which ones the
   * gateway added is not recorded by this connector, so none is removed.
   */
  async restrict(subject: SubjectKey, restricted: boolean, caller: AbortSignal): Promise<ActionOutcome> {
    const signal = forManyCalls(caller);
    const known = (await this.holdings(subject, 'all', signal)).filter(isKnown);
    if (known.length === 0) return { status: 'NOT_FOUND', note: 'SendGrid holds nothing under the subject’s addresses.' };
    const present = known.filter((h) => h.globalUnsubscribe).length;
    if (!restricted) {
      return {
        status: 'SUCCEEDED',
        note:
          `Nothing changed in SendGrid: the global unsubscribe of ${countOf(present, 'address', 'addresses')} stays. SendGrid cannot tell one added ` +
          'for a restriction from the person’s own unsubscribe, and which ones the gateway added is not recorded here; remove it in ' +
          'SendGrid by hand only when it is certain the person never unsubscribed.',
      };
    }
    const missing = known.filter((h) => !h.globalUnsubscribe).map((h) => h.email);
    await addGlobalUnsubscribes(this.http, missing, signal);
    return {
      status: 'SUCCEEDED',
      note: `Global unsubscribe added for ${countOf(missing.length, 'address', 'addresses')}, already present for ${countOf(present, 'address', 'addresses')}: SendGrid sends the person no email.`,
    };
  }

  /**
   * Adds the global unsubscribe and deletes the marketing contact. The unsubscribe is added to
   * every address SendGrid could hold (ASCII, as its schemas require), known to it or not: it is
   * what keeps a later import of the address from being emailed.
   */
  async suppressMarketing(subject: SubjectKey, caller: AbortSignal): Promise<ActionOutcome> {
    const signal = forManyCalls(caller);
    const holdings = await this.holdings(subject, 'unsubscribes-and-contacts', signal);
    const usable = holdings.filter((h) => h.globalUnsubscribe || h.contact !== undefined || isContactEmail(h.email));
    if (usable.length === 0) return { status: 'NOT_FOUND', recordsDeleted: 0, note: 'The subject has no address SendGrid could hold.' };
    const missing = usable.filter((h) => !h.globalUnsubscribe).map((h) => h.email);
    await addGlobalUnsubscribes(this.http, missing, signal);
    const contacts = contactsOf(usable);
    if (contacts.length > 0) await deleteContacts(this.http, contacts.map((c) => String(c.id)), signal);
    return {
      status: 'SUCCEEDED',
      recordsDeleted: contacts.length,
      note:
        `Global unsubscribe added for ${countOf(missing.length, 'address', 'addresses')}, already present for ` +
        `${countOf(usable.length - missing.length, 'address', 'addresses')}; ${countOf(contacts.length, 'marketing contact')} deleted.`,
    };
  }

  /** The corrections checked as rectify checks them, before the request is accepted. */
  checkChanges(changes: FieldChange[]): void {
    rectification(changes);
  }

  /**
   * Corrects first_name and last_name of the subject's marketing contacts (PUT
   * /v3/marketing/contacts, with every identifier of the contact so SendGrid updates it rather than
   * adding another). Other fields, empty values and values SendGrid would refuse are refused
   * before anything is read or changed. A contact already as asked is not sent again.
   */
  async rectify(subject: SubjectKey, changes: FieldChange[], caller: AbortSignal): Promise<ActionOutcome> {
    const wanted = rectification(changes);
    const signal = forManyCalls(caller);
    const contacts = contactsOf(await this.holdings(subject, 'contacts', signal));
    if (contacts.length === 0) return { status: 'NOT_FOUND', note: 'The subject has no marketing contact in SendGrid.' };
    const updates = contacts
      .filter((c) => Object.entries(wanted).some(([field, value]) => c[field] !== value))
      .map((c) => ({ ...identifiersOf(c), ...wanted }));
    if (updates.length > 0) await upsertContacts(this.http, updates, signal);
    const fields = Object.keys(wanted).join(', ');
    return {
      status: 'SUCCEEDED',
      note:
        updates.length > 0
          ? `${countOf(updates.length, 'marketing contact')} updated (${fields}); SendGrid applies the update asynchronously.` +
            (updates.length < contacts.length ? ` ${countOf(contacts.length - updates.length, 'contact')} already as asked.` : '')
          : `The marketing contact already has the ${fields} asked for; nothing sent.`,
    };
  }

  /** The subject's addresses (canonical, each once) and what SendGrid holds under each. */
  private holdings(subject: SubjectKey, parts: HoldingsParts, signal: AbortSignal): Promise<AddressHoldings[]> {
    const emails = [...new Set((subject.email ?? []).map(canonicalEmail))];
    return readHoldings(this.http, emails, isContactEmail, parts, signal, this.messagesLimit);
  }

  /** GET /v3/messages/{msg_id} for each id (SendGrid has no batch read): the message, null when gone, or the error. */
  async messageDetails(msgIds: readonly string[], caller: AbortSignal): Promise<(Row | null | Error)[]> {
    const signal = forManyCalls(caller);
    const settled = await Promise.allSettled(msgIds.map((id) => getMessage(this.http, id, signal)));
    return settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason instanceof Error ? s.reason : new Error('SendGrid could not be read')));
  }
}

/** Every identifier a contact has: SendGrid updates a contact only when all of them are sent. */
function identifiersOf(contact: Row): Row {
  return Object.fromEntries(CONTACT_IDENTIFIERS.filter((id) => typeof contact[id] === 'string' && contact[id] !== '').map((id) => [id, contact[id]]));
}

/** Marketing contact fields the gateway may correct, with SendGrid's maximum length. */
const RECTIFIABLE: Record<string, number> = { first_name: 50, last_name: 50 };

/**
 * Checks the changes before anything is done: only first_name and last_name, each at most once,
 * with a value of 1 to 50 characters (trimmed) without control characters. Messages name only
 * the allowed fields, never what the caller sent.
 */
function rectification(changes: readonly FieldChange[]): Record<string, string> {
  if (changes.length === 0) throw badInput('No changes given for SendGrid');
  const wanted: Record<string, string> = {};
  for (const change of changes) {
    const max = Object.hasOwn(RECTIFIABLE, change.field) ? RECTIFIABLE[change.field] : undefined;
    if (max === undefined) throw badInput('SendGrid can correct only first_name and last_name of the marketing contact');
    if (Object.hasOwn(wanted, change.field)) throw badInput(`${change.field} is given more than once`);
    const value = typeof change.value === 'string' ? change.value.trim().normalize('NFC') : '';
    if (value === '' || value.length > max || /\p{Cc}/u.test(value)) {
      throw badInput(`${change.field} must be 1 to ${max} characters without control characters`);
    }
    wanted[change.field] = value;
  }
  return wanted;
}

/**
 * The caller's signal, for the many calls of one collect: every call waiting for a connection
 * listens to it, more than Node's default of 10 listeners. The deadline goes along.
 */
function forManyCalls(caller: AbortSignal): AbortSignal {
  const signal = AbortSignal.any([caller]);
  setMaxListeners(0, signal);
  const at = deadlineOf(caller);
  return at === undefined ? signal : markDeadline(signal, at);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function unique<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const sendgridConnectorFactory: ConnectorFactory = {
  kind: 'sendgrid',
  resolvers: [SendGridSubjectResolver, EmailMessageResolver],
  create(id: string, settings: ConnectorSettings, env: ConnectorEnvironment): Connector {
    const s = parseSendGridSettings(id, settings);
    const headers: Record<string, string> = { authorization: `Bearer ${s.apiKey}` };
    if (s.onBehalfOf) headers['on-behalf-of'] = s.onBehalfOf;
    const http = createHttpClient(id, s, env, { headers });
    return new SendGridConnector(id, http, sendgridDescriptor(isEuHost(s.baseUrl) ? 'EU' : 'US'), { eraseJobLingerMs: s.eraseJobLingerMs });
  },
};
