import type { SystemDescriptor } from '../connector';

/** Where a suppression record came from: the `source` field the connector adds to each one. */
export const SUPPRESSION_SOURCES = [
  'global_unsubscribes',
  'group_unsubscribes',
  'bounces',
  'blocks',
  'spam_reports',
  'invalid_emails',
] as const;
export type SuppressionSource = (typeof SUPPRESSION_SOURCES)[number];

const PROCESSOR = 'Twilio Inc. (SendGrid)';
const SAFEGUARD = 'EU–U.S. Data Privacy Framework (Twilio Inc. is certified) and Standard Contractual Clauses (Twilio Data Protection Addendum)';

/**
 * The data map of SendGrid. Its location follows the configured host: the regional EU host keeps
 * a regional subuser's data in the EU, any other host is SendGrid's US service.
 */
export function sendgridDescriptor(region: 'US' | 'EU'): SystemDescriptor {
  return {
    name: 'Twilio SendGrid (email delivery)',
    processor: PROCESSOR,
    location: region === 'EU' ? 'EU (SendGrid regional EU subuser, api.eu.sendgrid.com)' : 'USA (Twilio SendGrid)',
    transferSafeguard:
      region === 'EU' ? `Stored in the EU; access from the USA by Twilio under the ${SAFEGUARD}` : SAFEGUARD,
    capabilities: ['ACCESS', 'ERASURE', 'RECTIFICATION', 'RESTRICTION', 'MARKETING_SUPPRESSION'],
    datasets: [
      {
        name: 'messages',
        description:
          "Email activity: each message sent to the person's address through SendGrid in the last 30 days, with its delivery status, " +
          'open and click counts and the time of its last event. The events of a message (delivery, opens with the user agent, clicks ' +
          'with the link) are read from SendGrid on demand.',
        purposes: [
          'Send service email under the contract: account notices, mission reminders, weekly digests and certificates',
          'Check and troubleshoot the delivery of that email',
        ],
        legalBasis: 'CONTRACT',
        retention: '30 days: SendGrid keeps email activity for 30 days',
        fields: [
          { name: 'msg_id', category: 'email.message_id', provenance: 'DERIVED' },
          { name: 'from_email', category: 'email.sender', provenance: 'DERIVED' },
          { name: 'to_email', category: 'contact.email', provenance: 'PROVIDED' },
          { name: 'subject', category: 'email.subject', provenance: 'DERIVED' },
          { name: 'status', category: 'email.delivery_status', provenance: 'OBSERVED' },
          { name: 'opens_count', category: 'user.behavior.email_opened', provenance: 'OBSERVED' },
          { name: 'clicks_count', category: 'user.behavior.email_clicked', provenance: 'OBSERVED' },
          { name: 'last_event_time', category: 'email.delivery_status', provenance: 'OBSERVED' },
        ],
      },
      {
        name: 'suppressions',
        description:
          'Lists that stop SendGrid from sending to the address: a global unsubscribe, unsubscribes from groups, bounces, blocks, ' +
          'spam reports and invalid addresses. Each record is as SendGrid returned it, with `source` added to name its list: ' +
          `${SUPPRESSION_SOURCES.join(', ')}. Group records are the groups the address is unsubscribed from.`,
        purposes: [
          'Honour objections to email and unsubscribes (GDPR Art. 21)',
          'Stop sending to addresses that bounce, are blocked or reported email as spam',
        ],
        legalBasis: 'LEGAL_OBLIGATION',
        retention:
          'Unsubscribes: kept while needed to honour the objection, also after erasure. Bounces, blocks, spam reports and invalid ' +
          'addresses: until the address is erased',
        fields: [
          { name: 'source', category: 'email.suppression_list', provenance: 'DERIVED' },
          { name: 'recipient_email', category: 'contact.email', provenance: 'PROVIDED' },
          { name: 'email', category: 'contact.email', provenance: 'PROVIDED' },
          { name: 'id', category: 'preference.unsubscribe_group', provenance: 'DERIVED' },
          { name: 'name', category: 'preference.unsubscribe_group', provenance: 'DERIVED' },
          { name: 'description', category: 'preference.unsubscribe_group', provenance: 'DERIVED' },
          { name: 'is_default', category: 'preference.unsubscribe_group', provenance: 'DERIVED' },
          { name: 'suppressed', category: 'preference.unsubscribe', provenance: 'PROVIDED' },
          { name: 'created', category: 'email.suppression_time', provenance: 'OBSERVED' },
          { name: 'reason', category: 'email.delivery_failure', provenance: 'OBSERVED' },
          { name: 'status', category: 'email.delivery_failure', provenance: 'OBSERVED' },
          { name: 'ip', category: 'email.sending_ip', provenance: 'OBSERVED' },
        ],
      },
      {
        name: 'marketing_contacts',
        description: 'The contact in SendGrid Marketing Campaigns who receives the newsletter: name, addresses, phone, lists and custom fields',
        purposes: ['Send the newsletter to people who asked for it'],
        legalBasis: 'CONSENT',
        retention: 'Until consent is withdrawn',
        fields: [
          { name: 'id', category: 'identity.marketing_contact_id', provenance: 'DERIVED' },
          { name: 'first_name', category: 'identity.name', provenance: 'PROVIDED' },
          { name: 'last_name', category: 'identity.name', provenance: 'PROVIDED' },
          { name: 'unique_name', category: 'identity.name', provenance: 'PROVIDED' },
          { name: 'email', category: 'contact.email', provenance: 'PROVIDED' },
          { name: 'alternate_emails', category: 'contact.email', provenance: 'PROVIDED' },
          { name: 'address_line_1', category: 'contact.address', provenance: 'PROVIDED' },
          { name: 'address_line_2', category: 'contact.address', provenance: 'PROVIDED' },
          { name: 'city', category: 'contact.address', provenance: 'PROVIDED' },
          { name: 'state_province_region', category: 'contact.address', provenance: 'PROVIDED' },
          { name: 'postal_code', category: 'contact.address', provenance: 'PROVIDED' },
          { name: 'country', category: 'contact.address', provenance: 'PROVIDED' },
          { name: 'phone_number', category: 'contact.phone', provenance: 'PROVIDED' },
          { name: 'whatsapp', category: 'contact.social', provenance: 'PROVIDED' },
          { name: 'line', category: 'contact.social', provenance: 'PROVIDED' },
          { name: 'facebook', category: 'contact.social', provenance: 'PROVIDED' },
          { name: 'list_ids', category: 'marketing.list_membership', provenance: 'DERIVED' },
          { name: 'segment_ids', category: 'marketing.segment_membership', provenance: 'DERIVED' },
          { name: 'custom_fields', category: 'marketing.custom_fields', provenance: 'DERIVED' },
          { name: 'created_at', category: 'account.created', provenance: 'OBSERVED' },
          { name: 'updated_at', category: 'account.updated', provenance: 'OBSERVED' },
          { name: '_metadata', category: 'system.metadata', provenance: 'DERIVED' },
        ],
      },
    ],
  };
}
