import DataLoader from 'dataloader';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { GatewayContext } from '../../context';
import { DsrError, ErrorCode } from '../../errors';
import { Subject } from '../../resolvers/subject.types';
import type { Row } from '../connector';
import { isHttpClientError, withDeadline } from '../http';
import type { SuppressionSource } from './sendgrid.descriptor';
import { EmailEvent, EmailMessage, EmailSuppression, EmailSuppressionKind, MarketingContact } from './sendgrid.types';

/** The typed views are those of the connector running under its kind's id. */
const SYSTEM = 'sendgrid';

/** Typed views of SendGrid's records on Subject; they read what the subject query already fetched. */
@Resolver(() => Subject)
export class SendGridSubjectResolver {
  @FieldResolver(() => [EmailMessage], { description: 'Email sent to the subject through SendGrid in the last 30 days (sendgrid connector)' })
  emailMessages(@Root() subject: Subject): EmailMessage[] {
    return subject.records(SYSTEM, 'messages').map((m) => ({
      msgId: String(m.msg_id),
      fromEmail: String(m.from_email),
      toEmail: String(m.to_email),
      subject: String(m.subject),
      status: String(m.status),
      opensCount: Number(m.opens_count),
      clicksCount: Number(m.clicks_count),
      lastEventTime: toDate(m.last_event_time)!,
    }));
  }

  @FieldResolver(() => [EmailSuppression], { description: "SendGrid's suppressions of the subject's addresses: unsubscribes, bounces, blocks, spam reports" })
  emailSuppressions(@Root() subject: Subject): EmailSuppression[] {
    return subject.records(SYSTEM, 'suppressions').map((r) => {
      const kind = KINDS[r.source as SuppressionSource];
      const isGroup = kind === EmailSuppressionKind.GROUP_UNSUBSCRIBE;
      return {
        kind,
        email: text(r.email) ?? text(r.recipient_email),
        group: isGroup ? { id: Number(r.id), name: String(r.name), description: text(r.description) } : null,
        createdAt: toDate(r.created),
        reason: text(r.reason),
        status: isGroup ? null : text(r.status),
      };
    });
  }

  @FieldResolver(() => MarketingContact, { nullable: true, description: 'The SendGrid Marketing Campaigns contact (newsletter)' })
  marketingContact(@Root() subject: Subject): MarketingContact | null {
    const c = subject.records(SYSTEM, 'marketing_contacts')[0];
    if (!c) return null;
    return {
      id: String(c.id),
      email: String(c.email),
      alternateEmails: strings(c.alternate_emails),
      firstName: text(c.first_name),
      lastName: text(c.last_name),
      phoneNumber: text(c.phone_number),
      addressLine1: text(c.address_line_1),
      addressLine2: text(c.address_line_2),
      city: text(c.city),
      stateProvinceRegion: text(c.state_province_region),
      postalCode: text(c.postal_code),
      country: text(c.country),
      listIds: strings(c.list_ids),
      customFields: c.custom_fields ?? null,
      createdAt: toDate(c.created_at),
      updatedAt: toDate(c.updated_at),
    };
  }
}

/** The events of a message, read from SendGrid only when asked for, one call per message per request. */
@Resolver(() => EmailMessage)
export class EmailMessageResolver {
  @FieldResolver(() => [EmailEvent], {
    nullable: true,
    description: 'Read from SendGrid on demand; empty when SendGrid no longer has the message, null (with an error) when it cannot be read',
  })
  async events(@Root() message: EmailMessage, @Ctx() ctx: GatewayContext): Promise<EmailEvent[]> {
    let detail: Row | null;
    try {
      detail = await messageLoader(ctx).load(message.msgId);
    } catch (e) {
      if (isHttpClientError(e)) throw new DsrError(ErrorCode.SYSTEM_UNAVAILABLE, e.message);
      throw e;
    }
    return ((detail?.events as Row[] | undefined) ?? []).map((e) => ({
      name: String(e.event_name),
      processedAt: toDate(e.processed)!,
      reason: text(e.reason),
      attemptNum: typeof e.attempt_num === 'number' ? e.attempt_num : null,
      url: text(e.url),
      bounceType: e.event_name === 'bounced' ? text(e.bounce_type) : null,
      httpUserAgent: text(e.http_user_agent),
      mxServer: text(e.mx_server),
    }));
  }
}

/** What the events field needs of the connector (structural, so this file does not import it). */
interface MessageDetailSource {
  messageDetails(msgIds: readonly string[], signal: AbortSignal): Promise<(Row | null | Error)[]>;
}

/** One DataLoader per request: the messages asked for in one tick are read together, each once. */
function messageLoader(ctx: GatewayContext): DataLoader<string, Row | null> {
  return ctx.scoped(`${SYSTEM}:messages`, () => {
    const connector = ctx.services.registry.get(SYSTEM) as Partial<MessageDetailSource> | undefined;
    if (typeof connector?.messageDetails !== 'function') throw new DsrError(ErrorCode.SYSTEM_UNAVAILABLE, 'SendGrid is not connected');
    const source = connector as MessageDetailSource;
    return new DataLoader<string, Row | null>((ids) => source.messageDetails(ids, withDeadline(ctx.services.deadlineMs(SYSTEM))));
  });
}

const KINDS: Record<SuppressionSource, EmailSuppressionKind> = {
  global_unsubscribes: EmailSuppressionKind.GLOBAL_UNSUBSCRIBE,
  group_unsubscribes: EmailSuppressionKind.GROUP_UNSUBSCRIBE,
  bounces: EmailSuppressionKind.BOUNCE,
  blocks: EmailSuppressionKind.BLOCK,
  spam_reports: EmailSuppressionKind.SPAM_REPORT,
  invalid_emails: EmailSuppressionKind.INVALID_EMAIL,
};

/** SendGrid leaves fields that do not apply as empty strings: those become null. */
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** ISO 8601 strings, or Unix seconds (suppressions' `created`). */
function toDate(v: unknown): Date | null {
  if (typeof v === 'number') return new Date(v * 1000);
  if (typeof v !== 'string' || v === '') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}
