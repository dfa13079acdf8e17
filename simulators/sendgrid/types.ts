/** SendGrid records as the v3 API returns them (field names from SendGrid's OpenAPI specs). */

export type MessageStatus = 'processed' | 'delivered' | 'not_delivered';
export type EventName =
  | 'bounced' | 'opened' | 'clicked' | 'processed' | 'dropped' | 'delivered' | 'deferred'
  | 'spam_report' | 'unsubscribe' | 'group_unsubscribe' | 'group_resubscribe';

export interface MessageEvent {
  event_name: EventName;
  /** ISO 8601. */
  processed: string;
  reason?: string;
  attempt_num?: number;
  url?: string;
  /**
   * The spec requires bounce_type, http_user_agent and mx_server on every event: bounce_type is
   * 'hard' or 'soft' on bounces and 'soft' elsewhere; the two strings are empty where they do not apply.
   */
  bounce_type: 'soft' | 'hard';
  http_user_agent: string;
  mx_server: string;
}

/** The full message (GET /v3/messages/{msg_id}); the list returns `summary()` of it. */
export interface Message {
  from_email: string;
  msg_id: string;
  subject: string;
  to_email: string;
  status: MessageStatus;
  opens_count: number;
  clicks_count: number;
  last_event_time: string;
  template_id: string;
  asm_group_id: number;
  teammate: string;
  api_key_id: string;
  events: MessageEvent[];
  originating_ip: string;
  categories: string[];
  unique_args: string;
  outbound_ip: string;
  outbound_ip_type: 'dedicated' | 'shared';
}

export interface SuppressionGroup {
  id: number;
  name: string;
  description: string;
  is_default: boolean;
}

/** Unix seconds in `created`, emails in lower case (as SendGrid stores suppressions). */
export interface Bounce { created: number; email: string; reason: string; status: string }
export interface Block { created: number; email: string; reason: string; status: string }
export interface SpamReport { created: number; email: string; ip: string }
export interface InvalidEmail { created: number; email: string; reason: string }
export interface GlobalUnsubscribe { created: number; email: string }

export interface MarketingContact {
  id: string;
  first_name: string;
  last_name: string;
  unique_name: string;
  email: string;
  alternate_emails: string[];
  address_line_1: string;
  address_line_2: string;
  city: string;
  state_province_region: string;
  country: string;
  postal_code: string;
  phone_number: string;
  whatsapp: string;
  line: string;
  facebook: string;
  list_ids: string[];
  segment_ids: string[];
  custom_fields: Record<string, string | number>;
  created_at: string;
  updated_at: string;
}

export type SuppressionKind = 'bounces' | 'blocks' | 'spam_reports' | 'invalid_emails';

/** Everything the seed generates from the world. */
export interface SendGridData {
  messages: Message[];
  groups: SuppressionGroup[];
  globalUnsubscribes: GlobalUnsubscribe[];
  /** Group id -> lower-case emails unsubscribed from that group. */
  groupUnsubscribes: Record<string, string[]>;
  bounces: Bounce[];
  blocks: Block[];
  spamReports: SpamReport[];
  invalidEmails: InvalidEmail[];
  contacts: MarketingContact[];
}

/** An accepted POST /v3/recipients/erasejob. */
export interface EraseJob {
  job_id: string;
  email_addresses: string[];
  /** ISO 8601. */
  received_at: string;
  /** Messages removed from the email activity. */
  messages_erased: number;
}

/** An accepted DELETE /v3/marketing/contacts. */
export interface ContactDeletionJob {
  job_id: string;
  ids: string[];
  deleted: number;
  received_at: string;
}

export interface SendGridState extends SendGridData {
  apiKey: string;
  eraseJobs: EraseJob[];
  contactDeletionJobs: ContactDeletionJob[];
}
