import type { SystemDescriptor } from '../connector';

const PURPOSE = 'Manage the relationships with customers and suppliers: contacts, sales, orders and support';

export const LIMEGO_DESCRIPTOR: SystemDescriptor = {
  name: 'Lime Go CRM',
  processor: 'Lundalogik AB (Lime Go)',
  location: 'EU (Sweden)',
  capabilities: ['ACCESS', 'MANUAL_STEPS'],
  datasets: [
    {
      name: 'persons',
      description:
        "The person's contact record in the CRM, with the organisation they are registered at (name, city and organisation number only; not its other contacts or deals)",
      purposes: [PURPOSE],
      legalBasis: 'LEGITIMATE_INTEREST',
      retention: 'While the organisation is a customer or supplier, then at most 7 years (company rule)',
      retentionRule: { after: 'customer-contract-end', period: { years: 7 } },
      fields: [
        { name: 'id', category: 'identity.crm_id', provenance: 'DERIVED' },
        { name: 'name', category: 'identity.name', provenance: 'PROVIDED' },
        { name: 'email', category: 'contact.email', provenance: 'PROVIDED' },
        { name: 'phoneNumber', category: 'contact.phone', provenance: 'PROVIDED' },
        { name: 'employerName', category: 'employment.employer', provenance: 'PROVIDED' },
        { name: 'employer', category: 'employment.employer', provenance: 'PROVIDED' },
        { name: 'customFields', category: 'employment.title', provenance: 'PROVIDED' },
      ],
    },
  ],
};
