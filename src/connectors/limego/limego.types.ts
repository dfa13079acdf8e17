import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'The organisation a CRM person is registered at, as shown with the person (not its other contacts or deals)' })
export class CrmOrganization {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => String, { nullable: true }) city!: string | null;
  @Field(() => String, { nullable: true }) organizationNumber!: string | null;
}

@ObjectType({ description: 'A custom field of a CRM person, e.g. the title' })
export class CrmCustomField {
  @Field() title!: string;
  @Field() type!: string;
  @Field(() => String, { nullable: true }) value!: string | null;
}

@ObjectType({ description: 'A person in the CRM (Lime Go)' })
export class CrmPerson {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => [String], { description: 'as the CRM holds them' }) phoneNumbers!: string[];
  @Field(() => String, { nullable: true, description: 'the custom field "Title", when there is one' }) title!: string | null;
  @Field(() => [CrmCustomField]) customFields!: CrmCustomField[];
  @Field(() => CrmOrganization, { nullable: true }) organization!: CrmOrganization | null;
}
