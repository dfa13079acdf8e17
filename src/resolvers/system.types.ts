import { Field, ObjectType } from 'type-graphql';
import type { Capability as CapabilityName, LegalBasis as LegalBasisName, Provenance as ProvenanceName } from '../connectors/connector';
import { Capability, LegalBasis, Provenance } from './enums';

@ObjectType()
export class DatasetField {
  @Field()
  name!: string;

  @Field({ description: 'e.g. contact.email, user.behavior.viewed, user.content.answer, financial.invoice' })
  category!: string;

  @Field(() => Provenance)
  provenance!: ProvenanceName;
}

@ObjectType()
export class Dataset {
  @Field()
  name!: string;

  @Field()
  description!: string;

  @Field(() => [String])
  purposes!: string[];

  @Field(() => LegalBasis)
  legalBasis!: LegalBasisName;

  @Field({ description: 'human-readable rule, e.g. "7 years after the fiscal year (bokföringslagen 7:2)"' })
  retention!: string;

  @Field(() => [DatasetField])
  fields!: DatasetField[];
}

@ObjectType({ description: 'One connected system: the data map (GDPR Art. 30) and the source of Art. 15 information.' })
export class System {
  @Field({ description: 'connector id, e.g. app, sendgrid, limego, hogia' })
  id!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true, description: 'the processor (personuppgiftsbiträde), if any' })
  processor!: string | null;

  @Field({ description: 'where the data is processed, e.g. "EU (Azure West Europe)"' })
  location!: string;

  @Field(() => String, { nullable: true, description: 'Art. 46 safeguard when outside the EU/EEA' })
  transferSafeguard!: string | null;

  @Field(() => [Capability])
  capabilities!: CapabilityName[];

  @Field(() => [Dataset])
  datasets!: Dataset[];
}
