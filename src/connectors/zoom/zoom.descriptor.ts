import type { SystemDescriptor } from '../connector';

export const ZOOM_DESCRIPTOR: SystemDescriptor = {
  name: 'Zoom Webinars',
  processor: 'Zoom Video Communications, Inc.',
  location: 'USA (Zoom Video Communications; data centres chosen in the account settings)',
  transferSafeguard:
    'EU–U.S. Data Privacy Framework (Zoom Video Communications, Inc. is certified) and Standard Contractual Clauses (Zoom Global Data Processing Addendum)',
  capabilities: ['ACCESS', 'ERASURE'],
  datasets: [
    {
      name: 'registrants',
      description:
        "The person's registrations for the company's webinars in Zoom: what they entered in the registration form, the " +
        "registration's status (pending, approved or denied) and their personal join link, with the webinar it is for. " +
        'Found by exact email among the registrants of the configured hosts’ webinars (Zoom cannot search by email).',
      purposes: [
        'Register the person for the webinars they signed up for and send them the join link',
        'Approve or deny registrations and answer questions asked in the registration form',
      ],
      legalBasis: 'CONTRACT',
      retention: 'Until the webinar host deletes the webinar or the registration; at most 1 year after the webinar',
      fields: [
        { name: 'id', category: 'identity.record_id', provenance: 'DERIVED' },
        { name: 'email', category: 'contact.email', provenance: 'PROVIDED' },
        { name: 'first_name', category: 'identity.name', provenance: 'PROVIDED' },
        { name: 'last_name', category: 'identity.name', provenance: 'PROVIDED' },
        { name: 'address', category: 'contact.address', provenance: 'PROVIDED' },
        { name: 'city', category: 'contact.address', provenance: 'PROVIDED' },
        { name: 'country', category: 'contact.address', provenance: 'PROVIDED' },
        { name: 'zip', category: 'contact.address', provenance: 'PROVIDED' },
        { name: 'state', category: 'contact.address', provenance: 'PROVIDED' },
        { name: 'phone', category: 'contact.phone', provenance: 'PROVIDED' },
        { name: 'industry', category: 'employment.industry', provenance: 'PROVIDED' },
        { name: 'org', category: 'employment.employer', provenance: 'PROVIDED' },
        { name: 'job_title', category: 'employment.title', provenance: 'PROVIDED' },
        { name: 'purchasing_time_frame', category: 'commercial.interest', provenance: 'PROVIDED' },
        { name: 'role_in_purchase_process', category: 'commercial.interest', provenance: 'PROVIDED' },
        { name: 'no_of_employees', category: 'employment.employer', provenance: 'PROVIDED' },
        { name: 'comments', category: 'user.content', provenance: 'PROVIDED' },
        { name: 'custom_questions', category: 'user.content', provenance: 'PROVIDED' },
        { name: 'status', category: 'event.registration_status', provenance: 'DERIVED' },
        { name: 'create_time', category: 'event.registered_at', provenance: 'OBSERVED' },
        { name: 'join_url', category: 'event.join_link', provenance: 'DERIVED' },
        { name: 'webinar_id', category: 'event.webinar', provenance: 'DERIVED' },
        { name: 'webinar_topic', category: 'event.webinar', provenance: 'DERIVED' },
        { name: 'webinar_start_time', category: 'event.webinar', provenance: 'DERIVED' },
      ],
    },
  ],
};
