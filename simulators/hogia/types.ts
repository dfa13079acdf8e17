/**
 * Hogia ekonomi records as the simulator serves them. The documented contact and invoice fields
 * are kept by name; the shapes inside contactChannels, addresses, invoiceHeader, invoiceLines,
 * customerInvoiceEvents and attachments are ASSUMED (not publicly documented).
 */

export type ChannelType = 'Email' | 'Phone' | 'Mobile';

export interface ContactChannel {
  type: ChannelType;
  value: string;
}

export interface Address {
  type: 'Postal' | 'Invoice';
  addressLine1: string;
  addressLine2: string | null;
  postalCode: string;
  city: string;
  countryCode: string;
}

export interface CustomerInfo {
  eInvoiceReceiverEmail: string | null;
  invoiceReference: string | null;
  isActive: boolean;
}

export interface Contact {
  id: string;
  givenName: string | null;
  surName: string | null;
  companyName: string | null;
  /** The contact number; for customers, the customer number. */
  number: string;
  /** Personal identity number or organisation number. */
  identificationNumber: string | null;
  contactChannels: ContactChannel[];
  addresses: Address[];
  customer: CustomerInfo | null;
  createdDate: string;
  updatedDate: string;
  /** Optimistic concurrency: updates must send the current version. */
  version: number;
}

export interface InvoiceHeader {
  invoiceNumber: number;
  invoiceDate: string;
  dueDate: string;
  /** Fiscal year = calendar year. */
  fiscalYear: number;
  currencyCode: string;
  customerId: string;
  customerNumber: string;
  customerName: string;
  /** The customer's reference: for companies, the contact person's name. */
  yourReference: string | null;
  ourReference: string | null;
  invoiceAddress: Address;
}

export interface InvoiceLine {
  lineNumber: number;
  articleNumber: string;
  description: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  vatRate: number;
  netAmount: number;
}

export interface InvoiceEvent {
  eventType: 'Created' | 'Sent' | 'PaymentReceived' | 'ReminderSent';
  date: string;
  amount: number | null;
}

export interface Attachment {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface CustomerInvoice {
  id: string;
  invoiceHeader: InvoiceHeader;
  invoiceLines: InvoiceLine[];
  grossAmount: number;
  amountLeftToPay: number;
  customerInvoiceState: 'Paid' | 'Unpaid' | 'Overdue';
  customerInvoiceEvents: InvoiceEvent[];
  attachments: Attachment[];
}

export interface HogiaData {
  contacts: Contact[];
  invoices: CustomerInvoice[];
}

export interface HogiaState extends HogiaData {
  organizationGuid: string;
  clientId: string;
  clientSecret: string;
  /** HMAC key of the access tokens the simulator issues (so they survive a restart). */
  signingKey: string;
}
