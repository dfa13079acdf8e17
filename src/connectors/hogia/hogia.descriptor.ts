import type { SystemDescriptor } from '../connector';
import { BOOKKEEPING_LEGAL_BASIS, BOOKKEEPING_YEARS } from './hogia.retention';

/** Bookkeeping retention of accounting records (bokföringslagen 7 kap. 2 §). */
export const INVOICE_RETENTION = 'through the 7th calendar year after the fiscal year ends, bokföringslagen 7 kap. 2 §';

export const HOGIA_DESCRIPTOR: SystemDescriptor = {
  name: 'Hogia ekonomi (invoicing)',
  processor: 'Hogia (Hogia ekonomi)',
  location: 'EU (Sweden)',
  capabilities: ['ACCESS', 'ERASURE', 'RESTRICTION', 'RECTIFICATION', 'MANUAL_STEPS'],
  datasets: [
    {
      name: 'contacts',
      description:
        "The subject's own contact records in invoicing: as a private customer (name, personal identity number, " +
        "addresses, contact details, customer number) or as a customer's or supplier's contact person. Found by " +
        'customer number, or by email through a contact search whose email filter is ASSUMED (not publicly documented)',
      purposes: ['Invoice customers and pay suppliers under the contract', "Reach a customer's or supplier's contact person about invoices"],
      legalBasis: 'CONTRACT',
      retention: 'At most 1 year after the customer or supplier contract ends; names and addresses on invoices are kept with the invoices',
      retentionRule: { after: 'customer-contract-end', period: { years: 1 } },
      fields: [
        { name: 'id', category: 'identity.record_id', provenance: 'DERIVED' },
        { name: 'givenName', category: 'identity.name', provenance: 'PROVIDED' },
        { name: 'surName', category: 'identity.name', provenance: 'PROVIDED' },
        { name: 'companyName', category: 'employment.employer', provenance: 'PROVIDED' },
        { name: 'number', category: 'identity.customer_number', provenance: 'DERIVED' },
        { name: 'identificationNumber', category: 'identity.national_id', provenance: 'PROVIDED' },
        {
          name: 'contactChannels',
          category: 'contact.email',
          provenance: 'PROVIDED',
          parts: [
            { name: 'Email', category: 'contact.email', provenance: 'PROVIDED' },
            { name: 'Phone', category: 'contact.phone', provenance: 'PROVIDED' },
            { name: 'Mobile', category: 'contact.phone', provenance: 'PROVIDED' },
          ],
        },
        { name: 'addresses', category: 'contact.address', provenance: 'PROVIDED' },
        {
          // as a private customer; kept whole in a portability export (isActive rides along)
          name: 'customer',
          category: 'contact.email',
          provenance: 'PROVIDED',
          parts: [
            { name: 'eInvoiceReceiverEmail', category: 'contact.email', provenance: 'PROVIDED' },
            { name: 'invoiceReference', category: 'identity.name', provenance: 'PROVIDED' },
            { name: 'isActive', category: 'financial.customer_status', provenance: 'DERIVED' },
          ],
        },
        { name: 'createdDate', category: 'record.created', provenance: 'OBSERVED' },
        { name: 'updatedDate', category: 'record.updated', provenance: 'OBSERVED' },
        { name: 'version', category: 'record.version', provenance: 'DERIVED' },
      ],
    },
    {
      name: 'invoices',
      description:
        "Customer invoices that are the subject's: a private customer's invoices in their own name, and for a " +
        "customer's contact person only the invoices that name them as the reference (never the company's other " +
        'invoices). Invoice list filters are ASSUMED (not publicly documented)',
      purposes: ['Invoice customers and collect payment under the contract', 'Keep the accounting records bokföringslagen requires'],
      legalBasis: 'LEGAL_OBLIGATION',
      retention: INVOICE_RETENTION,
      retentionRule: { after: 'fiscal-year-end', period: { years: BOOKKEEPING_YEARS }, legalBasis: BOOKKEEPING_LEGAL_BASIS },
      fields: [
        { name: 'id', category: 'financial.invoice', provenance: 'DERIVED' },
        {
          name: 'invoiceHeader',
          category: 'financial.invoice',
          provenance: 'DERIVED',
          parts: [
            { name: 'invoiceNumber', category: 'financial.invoice', provenance: 'DERIVED' },
            { name: 'invoiceDate', category: 'financial.invoice', provenance: 'DERIVED' },
            { name: 'dueDate', category: 'financial.invoice', provenance: 'DERIVED' },
            { name: 'fiscalYear', category: 'financial.invoice', provenance: 'DERIVED' },
            { name: 'currencyCode', category: 'financial.invoice', provenance: 'DERIVED' },
            { name: 'customerId', category: 'identity.record_id', provenance: 'DERIVED' },
            { name: 'customerNumber', category: 'identity.customer_number', provenance: 'DERIVED' },
            { name: 'customerName', category: 'identity.name', provenance: 'PROVIDED' },
            { name: 'yourReference', category: 'identity.name', provenance: 'PROVIDED' },
            { name: 'ourReference', category: 'financial.invoice', provenance: 'DERIVED' },
            { name: 'invoiceAddress', category: 'contact.address', provenance: 'PROVIDED' },
          ],
        },
        { name: 'invoiceLines', category: 'financial.purchase', provenance: 'OBSERVED' },
        { name: 'grossAmount', category: 'financial.amount', provenance: 'DERIVED' },
        { name: 'amountLeftToPay', category: 'financial.amount', provenance: 'DERIVED' },
        { name: 'customerInvoiceState', category: 'financial.payment_status', provenance: 'DERIVED' },
        { name: 'customerInvoiceEvents', category: 'financial.payment', provenance: 'OBSERVED' },
        { name: 'attachments', category: 'financial.invoice', provenance: 'DERIVED' },
      ],
    },
  ],
};
