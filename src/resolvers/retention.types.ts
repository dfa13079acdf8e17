import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { PageInfo } from './page-info.types';
import { DsrRequest } from './request.types';
import { Identifier } from './subject.types';

@ObjectType({ description: 'A subject whose data in one system is past its retention rule' })
export class RetentionCandidate {
  @Field(() => [Identifier]) subject!: Identifier[];
  @Field() system!: string;
  @Field() dataset!: string;
  @Field({ description: "the dataset's retention rule, as the data map states it" }) rule!: string;
  @Field(() => String, { nullable: true, description: 'e.g. "bokföringslagen 7 kap. 2 §"' }) legalBasis!: string | null;
  @Field(() => DateTimeResolver, { description: "when the rule's period ended" }) since!: Date;
  @Field(() => ID, { nullable: true, description: 'an open request of any type that names the subject (a sweep skips them)' }) openRequestId!: string | null;
}

@ObjectType()
export class RetentionCandidateEdge {
  @Field() cursor!: string;
  @Field(() => RetentionCandidate) node!: RetentionCandidate;
}

@ObjectType()
export class RetentionCandidateConnection {
  @Field(() => [RetentionCandidateEdge]) edges!: RetentionCandidateEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@ObjectType({ description: 'One person a sweep found, merged over the systems that flag them' })
export class RetentionSweepSubject {
  @Field(() => [Identifier]) subject!: Identifier[];
  @Field(() => [String]) systems!: string[];
  @Field(() => DateTimeResolver, { description: 'the earliest moment one of their rules ended' }) since!: Date;
  @Field(() => ID, { nullable: true, description: 'the request created for them, or the open request they were skipped for' }) requestId!: string | null;
  @Field({ description: 'already named by an open request, or already proposed for the same rule and date' }) skipped!: boolean;
}

@ObjectType()
export class RetentionSweepResult {
  @Field() dryRun!: boolean;
  @Field(() => Int, { description: 'subjects past a rule (one per person, however many systems flag them)' }) candidates!: number;
  @Field(() => Int, { description: 'ERASURE requests created (0 in a dry run); they await approval' }) created!: number;
  @Field(() => Int, { description: 'subjects skipped: in an open request, or proposed before for the same rule' }) skipped!: number;
  @Field(() => [DsrRequest]) requests!: DsrRequest[];
  @Field(() => [RetentionSweepSubject]) subjects!: RetentionSweepSubject[];
}
