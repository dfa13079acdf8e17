import { FieldResolver, Resolver, Root } from 'type-graphql';
import { Subject } from '../../resolvers/subject.types';
import type { Row } from '../connector';
import { Invoice, InvoiceContact } from './hogia.types';

const SYSTEM = 'hogia';

/** Typed views of the invoicing records on Subject; they read what the subject query already fetched. */
@Resolver(() => Subject)
export class HogiaSubjectResolver {
  @FieldResolver(() => [InvoiceContact], { description: "The subject's own contact records in invoicing (hogia connector)" })
  invoiceContacts(@Root() subject: Subject): InvoiceContact[] {
    return subject.records(SYSTEM, 'contacts').map((c) => {
      const customer = isRow(c.customer) ? c.customer : null;
      const channels = Array.isArray(c.contactChannels) ? c.contactChannels.filter(isRow) : [];
      const companyName = text(c.companyName);
      return {
        id: String(c.id),
        number: String(c.number),
        givenName: text(c.givenName),
        surName: text(c.surName),
        companyName,
        channels: channels.map((ch) => ({ type: String(ch.type), value: String(ch.value) })),
        isCustomer: customer !== null,
        customerActive: customer ? bool(customer.isActive) : null,
        isContactPerson: companyName !== null && companyName.trim() !== '',
      };
    });
  }

  @FieldResolver(() => [Invoice], { description: "Customer invoices that are the subject's (hogia connector)" })
  invoices(@Root() subject: Subject): Invoice[] {
    return subject.records(SYSTEM, 'invoices').map((i) => {
      const h = isRow(i.invoiceHeader) ? i.invoiceHeader : {};
      return {
        id: String(i.id),
        number: h.invoiceNumber === undefined || h.invoiceNumber === null ? null : String(h.invoiceNumber),
        invoiceDate: text(h.invoiceDate),
        dueDate: text(h.dueDate),
        fiscalYear: Number.isInteger(h.fiscalYear) ? (h.fiscalYear as number) : null,
        currency: text(h.currencyCode),
        customerNumber: text(h.customerNumber),
        customerName: text(h.customerName),
        grossAmount: amount(i.grossAmount),
        amountLeftToPay: amount(i.amountLeftToPay),
        state: text(i.customerInvoiceState),
        reference: text(h.yourReference),
      };
    });
  }
}

const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const amount = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
