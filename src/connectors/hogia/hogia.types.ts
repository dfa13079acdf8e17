import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One contact channel of an invoicing contact' })
export class InvoiceContactChannel {
  @Field({ description: 'Email, Phone or Mobile' }) type!: string;
  @Field() value!: string;
}

@ObjectType({ description: "The subject's own contact record in invoicing (Hogia ekonomi)" })
export class InvoiceContact {
  @Field(() => ID) id!: string;
  @Field({ description: "the contact number; a private customer's customer number" }) number!: string;
  @Field(() => String, { nullable: true }) givenName!: string | null;
  @Field(() => String, { nullable: true }) surName!: string | null;
  @Field(() => String, { nullable: true, description: "the company, when the subject is a customer's or supplier's contact person" })
  companyName!: string | null;
  @Field(() => [InvoiceContactChannel]) channels!: InvoiceContactChannel[];
  @Field({ description: 'the contact has the customer role (invoices are made out to it)' }) isCustomer!: boolean;
  @Field(() => Boolean, { nullable: true, description: 'the customer is active (null when not a customer)' }) customerActive!: boolean | null;
  @Field({ description: "a customer's or supplier's contact person, named on the company's invoices at most" }) isContactPerson!: boolean;
}

@ObjectType({ description: "A customer invoice that is the subject's (Hogia ekonomi)" })
export class Invoice {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true, description: 'the invoice number' }) number!: string | null;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD' }) invoiceDate!: string | null;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD' }) dueDate!: string | null;
  @Field(() => Int, { nullable: true }) fiscalYear!: number | null;
  @Field(() => String, { nullable: true }) currency!: string | null;
  @Field(() => String, { nullable: true }) customerNumber!: string | null;
  @Field(() => String, { nullable: true }) customerName!: string | null;
  @Field(() => Float, { nullable: true, description: 'including VAT' }) grossAmount!: number | null;
  @Field(() => Float, { nullable: true }) amountLeftToPay!: number | null;
  @Field(() => String, { nullable: true, description: 'e.g. Paid, Unpaid, Overdue' }) state!: string | null;
  @Field(() => String, { nullable: true, description: "the customer's reference: on a company's invoice, the contact person named" })
  reference!: string | null;
}
