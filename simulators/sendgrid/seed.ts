/**
 * Turns the demo world's cast into SendGrid's records: email activity of the last 30 days,
 * suppressions and marketing contacts.
 */
import { normalisedEmail } from '../people';
import { base62, between, chance, DAY_MS, hex, isoSeconds, pick, uuid, type Random } from '../common/random';
import type { SuppressionGroupKey, WorldCast, WorldPerson } from '../world';
import type { MarketingContact, Message, MessageEvent, SendGridData, SuppressionGroup } from './types';

export type { SendGridData } from './types';

const SENDER = 'noreply@engagelearning.example';
const NEWS_SENDER = 'news@engagelearning.example';
const ORIGINATING_IP = '10.20.4.17';
const OUTBOUND_IP = '149.72.123.24';
const TRANSACTIONAL_KEY_ID = 'Tx7RkQ2mVb9sLp4wZc1nHa';
const MARKETING_KEY_ID = 'Mk3JdW8qNf6tYr2uXe5oPg';
const NEWSLETTER_LIST_ID = 'b1a4c8e2-5d3f-4a6b-9c7e-0f2d4b6a8c13';
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)',
];

const GROUP_IDS: Record<SuppressionGroupKey | 'account', number> = { newsletter: 18101, digest: 18102, reminders: 18103, account: 18104 };

export const SUPPRESSION_GROUPS: SuppressionGroup[] = [
  { id: GROUP_IDS.newsletter, name: 'Newsletter', description: 'Monthly news about learning and engagement', is_default: false },
  { id: GROUP_IDS.digest, name: 'Weekly digest', description: 'A weekly summary of your missions and courses', is_default: true },
  { id: GROUP_IDS.reminders, name: 'Mission reminders', description: 'Reminders about missions that are due soon', is_default: false },
  { id: GROUP_IDS.account, name: 'Account notices', description: 'Sign-in, password and certificate notices', is_default: false },
];

interface Template {
  key: string;
  templateId: string;
  subject: string;
  group: keyof typeof GROUP_IDS;
  weight: number;
  url: string;
}

const TEMPLATES: Template[] = [
  { key: 'weekly-digest', templateId: 'd-3f6c2a9e8b7d4c1fa2e5b6c7d8e9f001', subject: 'Your week in Engage: new missions and courses', group: 'digest', weight: 45, url: 'https://app.engagelearning.example/home/digest' },
  { key: 'mission-reminder', templateId: 'd-7a1b2c3d4e5f60718293a4b5c6d7e002', subject: 'Reminder: your mission is due soon', group: 'reminders', weight: 30, url: 'https://app.engagelearning.example/missions/open' },
  { key: 'certificate', templateId: 'd-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5003', subject: 'Congratulations, you completed a course', group: 'account', weight: 10, url: 'https://app.engagelearning.example/certificates/latest' },
  { key: 'password-reset', templateId: 'd-1029384756abcdef0192837465abc004', subject: 'Reset your Engage password', group: 'account', weight: 15, url: 'https://app.engagelearning.example/account/reset' },
];
const NEWSLETTER: Template = {
  key: 'newsletter', templateId: 'd-5c4b3a29f8e7d6c5b4a3928170f6e005', subject: 'Engage news', group: 'newsletter', weight: 0,
  url: 'https://www.engagelearning.example/news/latest',
};

/** Messages of the sample subjects (app user id -> count): enough to show drops and a bounce. */
const FIXED_MESSAGE_COUNTS: Record<number, number> = { 1: 12, 2: 5, 3: 4, 7: 4 };

const BOUNCE_REASON = '550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient\'s email address for typos or unnecessary spaces.';
const BLOCK_REASON = 'error dialing remote address: dial tcp 10.57.152.165:25: no route to host';

function messageId(random: Random): string {
  return `${base62(random, 22)}.filterdrecv-${hex(random, 10)}-${base62(random, 5).toLowerCase()}-1-${hex(random, 8).toUpperCase()}-${hex(random, 2).toUpperCase()}.0`;
}

function event(name: MessageEvent['event_name'], at: number, extra: Partial<MessageEvent> = {}): MessageEvent {
  return { event_name: name, processed: isoSeconds(at), bounce_type: 'soft', http_user_agent: '', mx_server: '', ...extra };
}

type Outcome = 'delivered' | 'dropped' | 'bounce' | 'block' | 'spam';

function buildMessage(random: Random, person: WorldPerson, template: Template, at: number, outcome: Outcome, now: number, unsubscribeAt?: number): Message {
  const email = person.email;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  const mx = `mx1.${domain}`;
  const events: MessageEvent[] = [event('processed', at)];
  let status: Message['status'] = 'delivered';
  let opens = 0;
  let clicks = 0;
  const sent = at + between(random, 1, 20) * 1000;
  if (outcome === 'dropped') {
    events.push(event('dropped', sent, { reason: 'Unsubscribed Address' }));
    status = 'not_delivered';
  } else if (outcome === 'bounce') {
    events.push(event('bounced', sent, { reason: BOUNCE_REASON, bounce_type: 'hard', mx_server: mx }));
    status = 'not_delivered';
  } else if (outcome === 'block') {
    events.push(event('bounced', sent, { reason: BLOCK_REASON, bounce_type: 'soft', mx_server: mx }));
    status = 'not_delivered';
  } else {
    let deliveredAt = sent;
    if (chance(random, 0.05)) {
      events.push(event('deferred', sent, { reason: '421 4.7.28 Try again later', attempt_num: 1, mx_server: mx }));
      deliveredAt = sent + between(random, 5, 30) * 60_000;
    }
    events.push(event('delivered', deliveredAt, { reason: '250 2.0.0 OK', mx_server: mx }));
    let last = deliveredAt;
    const latest = now - 60_000;
    const openCount = chance(random, 0.7) ? between(random, 1, 3) : 0;
    for (let i = 0; i < openCount && last < latest; i++) {
      last = Math.min(latest, last + between(random, 2, 600) * 60_000);
      events.push(event('opened', last, { http_user_agent: pick(random, USER_AGENTS) }));
      opens += 1;
      if (chance(random, 0.3)) {
        last = Math.min(latest, last + between(random, 5, 120) * 1000);
        events.push(event('clicked', last, { url: template.url, http_user_agent: pick(random, USER_AGENTS) }));
        clicks += 1;
      }
    }
    if (unsubscribeAt !== undefined) {
      events.push(event('unsubscribe', unsubscribeAt, { http_user_agent: pick(random, USER_AGENTS) }));
    }
    if (outcome === 'spam') events.push(event('spam_report', Math.min(latest, last + 3_600_000)));
  }
  events.sort((a, b) => a.processed.localeCompare(b.processed));
  const newsletter = template === NEWSLETTER;
  const month = new Date(at).toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return {
    from_email: newsletter ? NEWS_SENDER : SENDER,
    msg_id: messageId(random),
    subject: newsletter ? `${template.subject}, ${month}` : template.subject,
    to_email: email,
    status,
    opens_count: opens,
    clicks_count: clicks,
    last_event_time: events[events.length - 1].processed,
    template_id: template.templateId,
    asm_group_id: GROUP_IDS[template.group],
    teammate: '',
    api_key_id: newsletter ? MARKETING_KEY_ID : TRANSACTIONAL_KEY_ID,
    events,
    originating_ip: ORIGINATING_IP,
    categories: [template.key],
    unique_args: JSON.stringify({ template: template.key }),
    outbound_ip: OUTBOUND_IP,
    outbound_ip_type: 'shared',
  };
}

function pickTemplate(random: Random): Template {
  const total = TEMPLATES.reduce((sum, t) => sum + t.weight, 0);
  let r = random() * total;
  for (const t of TEMPLATES) {
    r -= t.weight;
    if (r < 0) return t;
  }
  return TEMPLATES[0];
}

/** App users get mail until their employer's contract ends; everyone else until now. */
function mailableUntil(person: WorldPerson, now: number): number {
  const end = person.appUserId !== null ? person.organisation?.contractEnd : null;
  return end ? Math.min(now, Date.parse(`${end}T23:59:59Z`)) : now;
}

function contact(random: Random, person: WorldPerson, now: number): MarketingContact {
  const created = now - between(random, 60, 5 * 365) * DAY_MS - between(random, 0, DAY_MS / 1000) * 1000;
  const updated = Math.min(now - DAY_MS, created + between(random, 0, 400) * DAY_MS);
  const kind = person.appUserId !== null ? 'app_user' : person.organisation ? person.organisation.kind : 'private';
  return {
    id: uuid(random),
    first_name: person.firstName,
    last_name: person.lastName,
    unique_name: '',
    email: normalisedEmail(person.email),
    alternate_emails: [],
    address_line_1: '',
    address_line_2: '',
    city: person.organisation?.city ?? '',
    state_province_region: '',
    country: 'Sweden',
    postal_code: '',
    phone_number: person.phone ?? '',
    whatsapp: '',
    line: '',
    facebook: '',
    list_ids: [NEWSLETTER_LIST_ID],
    segment_ids: [],
    custom_fields: { e1_T: kind },
    created_at: isoSeconds(created),
    updated_at: isoSeconds(Math.max(created, updated)),
  };
}

export function seedSendGrid(cast: WorldCast, random: Random, now: number): SendGridData {
  const data: SendGridData = {
    messages: [], groups: SUPPRESSION_GROUPS.map((g) => ({ ...g })), globalUnsubscribes: [], groupUnsubscribes: {},
    bounces: [], blocks: [], spamReports: [], invalidEmails: [], contacts: [],
  };
  for (const g of data.groups) data.groupUnsubscribes[String(g.id)] = [];
  const windowStart = now - 30 * DAY_MS;
  const newsletterIssues = [now - 27 * DAY_MS + 7 * 3_600_000, now - 13 * DAY_MS + 7 * 3_600_000];

  for (const person of cast.people) {
    const plan = person.sendgrid;
    if (!plan) continue;
    const email = normalisedEmail(person.email);
    const until = mailableUntil(person, now);

    // Transactional messages, oldest first; the outcome plan decides what happens to the last one.
    const sends: { at: number; template: Template }[] = [];
    if (plan.recipient) {
      const n = FIXED_MESSAGE_COUNTS[person.appUserId ?? 0] ?? between(random, 1, 8);
      const span = Math.max(until - windowStart - 3_600_000, 3_600_000);
      for (let i = 0; i < n; i++) sends.push({ at: windowStart + 600_000 + Math.floor(random() * span), template: pickTemplate(random) });
    }
    const newsletterUnsubscribed = plan.globalUnsubscribe || plan.groupUnsubscribes.includes('newsletter');
    if (plan.marketingContact && !(newsletterUnsubscribed && !plan.recipient)) {
      for (const issue of newsletterIssues) if (issue < until) sends.push({ at: issue + between(random, 0, 3600) * 1000, template: NEWSLETTER });
    }
    sends.sort((a, b) => a.at - b.at);

    let unsubscribeAt: number | undefined;
    if (plan.globalUnsubscribe) {
      if (sends.length > 0) {
        unsubscribeAt = sends[0].at + between(random, 30, 180) * 60_000;
      }
      const created = unsubscribeAt ?? now - between(random, 40, 900) * DAY_MS;
      data.globalUnsubscribes.push({ email, created: Math.floor(created / 1000) });
    }
    sends.forEach((send, i) => {
      const last = i === sends.length - 1;
      let outcome: Outcome = 'delivered';
      if (unsubscribeAt !== undefined && send.at > unsubscribeAt) outcome = 'dropped';
      else if (last && plan.bounce) outcome = 'bounce';
      else if (last && plan.block) outcome = 'block';
      else if (last && plan.spamReport) outcome = 'spam';
      const message = buildMessage(random, person, send.template, send.at, outcome, now, i === 0 ? unsubscribeAt : undefined);
      data.messages.push(message);
      const at = Math.floor(Date.parse(message.last_event_time) / 1000);
      if (outcome === 'bounce') data.bounces.push({ created: at, email, reason: BOUNCE_REASON, status: '5.1.1' });
      if (outcome === 'block') data.blocks.push({ created: at, email, reason: BLOCK_REASON, status: '4.0.0' });
      if (outcome === 'spam') data.spamReports.push({ created: at, email, ip: OUTBOUND_IP });
    });
    if (plan.invalidEmail) {
      data.invalidEmails.push({ created: Math.floor((now - between(random, 1, 29) * DAY_MS) / 1000), email, reason: 'Mail domain mentioned in email address is unknown' });
    }
    for (const key of plan.groupUnsubscribes) data.groupUnsubscribes[String(GROUP_IDS[key])].push(email);
    if (plan.marketingContact) data.contacts.push(contact(random, person, now));
  }
  return data;
}
