import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { PageInfo } from './page-info.types';

@ObjectType()
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTimeResolver)
  at!: Date;

  @Field()
  actor!: string;

  @Field({ description: 'e.g. subject.viewed, request.submitted, request.approved, export.downloaded' })
  action!: string;

  @Field(() => ID, { nullable: true })
  requestId!: string | null;

  @Field(() => String, { nullable: true, description: 'keyed hash (HMAC) of the subject, never the identifier itself' })
  subjectRef!: string | null;

  @Field(() => Int, { nullable: true, description: 'how many subjects the event concerned (e.g. subject.retention_listed); never who' })
  count!: number | null;

  @Field({ description: 'hash of this event chained to the previous one' })
  hash!: string;
}

@ObjectType()
export class AuditEventEdge {
  @Field()
  cursor!: string;

  @Field(() => AuditEvent)
  node!: AuditEvent;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges!: AuditEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class AuditChainReport {
  @Field()
  ok!: boolean;

  @Field(() => Int)
  events!: number;

  @Field(() => ID, { nullable: true })
  firstBrokenEventId!: string | null;
}
