import { setMaxListeners } from 'node:events';
import type { ConnectorSettings } from '../../config';
import { normalisePhone } from '../../services/identity';
import {
  emptySnapshot,
  type Connector,
  type ConnectorEnvironment,
  type ConnectorFactory,
  type Identifier,
  type Row,
  type SubjectKey,
  type SystemDescriptor,
  type SystemSnapshot,
} from '../connector';
import { createHttpClient, deadlineOf, markDeadline, type HttpClient } from '../http';
import { messagesTo } from './sendgrid.activity';
import { canonicalEmail, CONTACT_SEARCH_MAX, contactsByEmail, getMessage, isContactEmail, MESSAGES_LIMIT, suppressionsOf } from './sendgrid.client';
import { sendgridDescriptor } from './sendgrid.descriptor';
import { EmailMessageResolver, SendGridSubjectResolver } from './sendgrid.resolver';
import { isEuHost, parseSendGridSettings } from './sendgrid.settings';

export interface SendGridConnectorOptions {
  /** Messages asked for per email activity query: SendGrid's maximum unless a test wants less. */
  messagesLimit?: number;
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

  constructor(
    readonly id: string,
    private readonly http: HttpClient,
    readonly system: SystemDescriptor,
    options: SendGridConnectorOptions = {},
  ) {
    this.messagesLimit = options.messagesLimit ?? MESSAGES_LIMIT;
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

  /** GET /v3/messages/{msg_id} for each id (SendGrid has no batch read): the message, null when gone, or the error. */
  async messageDetails(msgIds: readonly string[], caller: AbortSignal): Promise<(Row | null | Error)[]> {
    const signal = forManyCalls(caller);
    const settled = await Promise.allSettled(msgIds.map((id) => getMessage(this.http, id, signal)));
    return settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason instanceof Error ? s.reason : new Error('SendGrid could not be read')));
  }
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
    return new SendGridConnector(id, http, sendgridDescriptor(isEuHost(s.baseUrl) ? 'EU' : 'US'));
  },
};
