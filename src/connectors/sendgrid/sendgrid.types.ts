import { DateTimeResolver, GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

@ObjectType({ description: 'One event in the life of an email: processed, delivered, opened, clicked, bounced, ...' })
export class EmailEvent {
  @Field({ description: 'SendGrid event_name, e.g. delivered, opened, clicked, bounced, dropped' })
  name!: string;

  @Field(() => DateTimeResolver)
  processedAt!: Date;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => Int, { nullable: true, description: 'delivery attempt, for deferred events' })
  attemptNum!: number | null;

  @Field(() => String, { nullable: true, description: 'the link, for clicks' })
  url!: string | null;

  @Field(() => String, { nullable: true, description: 'hard or soft, for bounces' })
  bounceType!: string | null;

  @Field(() => String, { nullable: true, description: 'for opens and clicks' })
  httpUserAgent!: string | null;

  @Field(() => String, { nullable: true, description: "the receiving mail server, for delivery events" })
  mxServer!: string | null;
}

@ObjectType({ description: 'A message sent to the subject through SendGrid (email activity of the last 30 days)' })
export class EmailMessage {
  @Field(() => ID)
  msgId!: string;

  @Field()
  fromEmail!: string;

  @Field()
  toEmail!: string;

  @Field()
  subject!: string;

  @Field({ description: 'processed | delivered | not_delivered' })
  status!: string;

  @Field(() => Int)
  opensCount!: number;

  @Field(() => Int)
  clicksCount!: number;

  @Field(() => DateTimeResolver)
  lastEventTime!: Date;
}

export enum EmailSuppressionKind {
  GLOBAL_UNSUBSCRIBE = 'GLOBAL_UNSUBSCRIBE',
  GROUP_UNSUBSCRIBE = 'GROUP_UNSUBSCRIBE',
  BOUNCE = 'BOUNCE',
  BLOCK = 'BLOCK',
  SPAM_REPORT = 'SPAM_REPORT',
  INVALID_EMAIL = 'INVALID_EMAIL',
}
registerEnumType(EmailSuppressionKind, { name: 'EmailSuppressionKind', description: 'Why SendGrid does not send to an address' });

@ObjectType({ description: 'An unsubscribe group (suppression group) of SendGrid' })
export class EmailSuppressionGroup {
  @Field(() => Int)
  id!: number;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;
}

@ObjectType({ description: 'One entry on a SendGrid suppression list for one of the subject\'s addresses' })
export class EmailSuppression {
  @Field(() => EmailSuppressionKind)
  kind!: EmailSuppressionKind;

  @Field(() => String, { nullable: true, description: 'the suppressed address (not given for group unsubscribes)' })
  email!: string | null;

  @Field(() => EmailSuppressionGroup, { nullable: true, description: 'for group unsubscribes' })
  group!: EmailSuppressionGroup | null;

  @Field(() => DateTimeResolver, { nullable: true, description: 'not given for unsubscribes' })
  createdAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'for bounces, blocks and invalid addresses' })
  reason!: string | null;

  @Field(() => String, { nullable: true, description: 'SMTP status, for bounces and blocks' })
  status!: string | null;
}

@ObjectType({ description: 'The contact in SendGrid Marketing Campaigns (newsletter recipients)' })
export class MarketingContact {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field(() => [String])
  alternateEmails!: string[];

  @Field(() => String, { nullable: true })
  firstName!: string | null;

  @Field(() => String, { nullable: true })
  lastName!: string | null;

  @Field(() => String, { nullable: true })
  phoneNumber!: string | null;

  @Field(() => String, { nullable: true })
  addressLine1!: string | null;

  @Field(() => String, { nullable: true })
  addressLine2!: string | null;

  @Field(() => String, { nullable: true })
  city!: string | null;

  @Field(() => String, { nullable: true })
  stateProvinceRegion!: string | null;

  @Field(() => String, { nullable: true })
  postalCode!: string | null;

  @Field(() => String, { nullable: true })
  country!: string | null;

  @Field(() => [String], { description: 'the marketing lists the contact is on' })
  listIds!: string[];

  @Field(() => GraphQLJSON, { nullable: true, description: 'custom fields, as SendGrid returned them' })
  customFields!: unknown;

  @Field(() => DateTimeResolver, { nullable: true })
  createdAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true })
  updatedAt!: Date | null;
}
