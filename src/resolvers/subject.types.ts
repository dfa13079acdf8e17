import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { DateTimeResolver } from 'graphql-scalars';
import type { Row } from '../connectors/connector';
import type { SubjectView } from '../services/subject.service';
import type { SystemResult, SystemStatus as SystemStatusName } from '../services/system-loaders';
import { SystemStatus } from './enums';

@InputType({
  description:
    'One person, named by any identifiers the caller has. At least one field is required.\n' +
    'Matching is exact: emails are trimmed, Unicode-NFC-normalised and compared case-insensitively;\n' +
    'no identifier is ever used as a pattern (no LIKE, no regex, no fuzzy search result is trusted).',
})
export class SubjectInput {
  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'E.164 after normalisation (+46...)' })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  appUserId?: string | null;

  @Field(() => String, { nullable: true, description: 'invoicing customer number' })
  customerNumber?: string | null;

  @Field(() => String, { nullable: true })
  crmPersonId?: string | null;
}

@ObjectType()
export class Identifier {
  @Field({ description: 'email | phone | appUserId | customerNumber | crmPersonId | ...' })
  kind!: string;

  @Field()
  value!: string;

  @Field({ description: '"input" or the id of the system that revealed it (identity enrichment)' })
  source!: string;
}

@ObjectType()
export class DatasetData {
  @Field()
  name!: string;

  @Field(() => Int)
  totalCount!: number;

  /** All records; the `records` field pages through them. */
  rows!: Row[];
}

@ObjectType()
export class SystemData {
  @Field()
  system!: string;

  @Field(() => SystemStatus)
  status!: SystemStatusName;

  @Field(() => String, { nullable: true, description: 'safe, human-readable; never a stack trace or a secret' })
  error!: string | null;

  @Field(() => DateTimeResolver)
  fetchedAt!: Date;

  @Field(() => Int)
  recordCount!: number;

  @Field(() => [DatasetData])
  datasets!: DatasetData[];

  @Field(() => String, { nullable: true, description: 'what the gateway could not see here, e.g. a system without an API that a person must search' })
  note!: string | null;

  static from(result: SystemResult): SystemData {
    const datasets = (result.snapshot?.datasets ?? []).map((d) => Object.assign(new DatasetData(), { name: d.name, totalCount: d.records.length, rows: d.records }));
    return Object.assign(new SystemData(), {
      system: result.system,
      status: result.status,
      error: result.error,
      fetchedAt: result.fetchedAt,
      recordCount: datasets.reduce((n, d) => n + d.totalCount, 0),
      datasets,
      note: result.snapshot?.note ?? null,
    });
  }
}

@ObjectType({ description: 'Everything the connected systems hold about one subject, fetched live.' })
export class Subject {
  @Field(() => [Identifier], { description: 'given ones plus those discovered in the systems' })
  identifiers!: Identifier[];

  @Field({ description: 'some system holds data about this subject' })
  found!: boolean;

  @Field({ description: 'processing is restricted (Art. 18)' })
  restricted!: boolean;

  @Field(() => [SystemData], { description: 'one entry per enabled system' })
  systems!: SystemData[];

  @Field(() => DateTimeResolver, { nullable: true, description: 'this person was erased on this date (a tombstone matches one of the identifiers): data shown now has appeared again' })
  erasedAt!: Date | null;

  /** The service's view, for the typed views of the built-in connectors. */
  view!: SubjectView;

  static from(view: SubjectView): Subject {
    return Object.assign(new Subject(), {
      identifiers: view.identifiers,
      found: view.found,
      restricted: view.restricted,
      systems: view.systems.map((s) => SystemData.from(s)),
      erasedAt: view.erasedAt,
      view,
    });
  }

  /** The records of one dataset of one system, or [] when that system has none. */
  records(system: string, dataset: string): Row[] {
    const result = this.view.systems.find((s) => s.system === system);
    return result?.snapshot?.datasets.find((d) => d.name === dataset)?.records ?? [];
  }
}
