import { DateTimeResolver } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { DsrRequestEntity } from '../entities/dsr-request.entity';
import type { RequestType as RequestTypeName } from '../services/request.service';
import { ErasureAction, RequestOrigin, RequestStatus, RequestType, TaskStatus } from './enums';
import { PageInfo } from './page-info.types';
import { Identifier, SubjectInput } from './subject.types';

@ObjectType()
export class SystemTask {
  @Field() system!: string;
  @Field(() => TaskStatus) status!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => DateTimeResolver, { nullable: true }) startedAt!: Date | null;
  @Field(() => DateTimeResolver, { nullable: true }) finishedAt!: Date | null;
  @Field(() => Int, { nullable: true }) recordsExported!: number | null;
  @Field(() => Int, { nullable: true }) recordsDeleted!: number | null;
  @Field(() => Int, { nullable: true }) recordsAnonymized!: number | null;
  @Field(() => Int, { nullable: true }) recordsRetained!: number | null;
  @Field(() => DateTimeResolver, { nullable: true, description: 'when the retained records may be erased' }) retainedUntil!: Date | null;
  @Field(() => String, { nullable: true, description: 'why they are retained, e.g. "bokföringslagen 7 kap. 2 §"' }) legalBasis!: string | null;
  @Field(() => DateTimeResolver, { nullable: true, description: 'erasure re-checked in the system after it ran' }) verifiedAt!: Date | null;
  @Field(() => String, { nullable: true }) note!: string | null;
  @Field(() => String, { nullable: true, description: 'the role that must do a manual step, e.g. "Payroll administrator (HR)"' }) owner!: string | null;
  @Field(() => DateTimeResolver, {
    nullable: true,
    description: "a manual step: when it must be done (the system's days for it from when it began waiting, or the request's dueAt if earlier)",
  })
  dueAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'who confirmed the manual step' }) confirmedBy!: string | null;
  @Field(() => DateTimeResolver, { nullable: true }) confirmedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'what the person who confirmed the manual step said they did (hidden from a VIEWER)' }) evidence!: string | null;
}

@ObjectType()
export class ExportFile {
  @Field(() => Float) sizeBytes!: number;
  @Field() sha256!: string;
  @Field(() => DateTimeResolver) createdAt!: Date;
  @Field(() => DateTimeResolver, { description: 'the file is deleted after this' }) expiresAt!: Date;
  @Field(() => [String], { description: 'paths inside the zip' }) entries!: string[];
}

@ObjectType()
export class DsrRequest {
  @Field(() => ID) id!: string;
  @Field(() => RequestType) type!: string;
  @Field(() => RequestStatus) status!: string;
  @Field(() => RequestOrigin) origin!: string;
  @Field(() => DateTimeResolver) receivedAt!: Date;
  @Field(() => DateTimeResolver, { description: 'receivedAt + 1 month, or + 3 months once extended' }) dueAt!: Date;
  @Field(() => String, { nullable: true }) extensionReason!: string | null;
  @Field() submittedBy!: string;
  @Field(() => String, { nullable: true }) approvedBy!: string | null;
  @Field(() => DateTimeResolver, { nullable: true }) completedAt!: Date | null;

  /** The stored row, for the field resolvers. */
  row!: DsrRequestEntity;

  static from(row: DsrRequestEntity): DsrRequest {
    return Object.assign(new DsrRequest(), {
      id: row.id,
      type: row.type,
      status: row.status,
      origin: row.origin ?? 'OPERATOR',
      receivedAt: new Date(row.receivedAt),
      dueAt: new Date(row.dueAt),
      extensionReason: row.extensionReason,
      submittedBy: row.submittedBy,
      approvedBy: row.approvedBy,
      completedAt: row.completedAt ? new Date(row.completedAt) : null,
      row,
    });
  }
}

@ObjectType()
export class DsrRequestEdge {
  @Field() cursor!: string;
  @Field(() => DsrRequest) node!: DsrRequest;
}

@ObjectType()
export class DsrRequestConnection {
  @Field(() => [DsrRequestEdge]) edges!: DsrRequestEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@ObjectType({ description: 'a correction a RECTIFICATION request asks for' })
export class FieldChange {
  @Field() system!: string;
  @Field() field!: string;
  @Field({ description: 'the corrected value ("<hidden>" for a VIEWER)' }) value!: string;
}

@InputType()
export class FieldChangeInput {
  @Field() system!: string;
  @Field() field!: string;
  @Field() value!: string;
}

@InputType()
export class SubmitRequestInput {
  @Field(() => RequestType) type!: RequestTypeName;
  @Field(() => SubjectInput) subject!: SubjectInput;
  @Field({ description: 'how the identity was checked (Art. 12(6)), e.g. "logged-in app session"' }) verification!: string;
  @Field(() => DateTimeResolver, { nullable: true, description: 'when the request reached the company; default now; not in the future' }) receivedAt?: Date | null;
  @Field(() => String, { nullable: true, description: 'the same key returns the same request' }) idempotencyKey?: string | null;
  @Field(() => String, { nullable: true }) note?: string | null;
  @Field(() => [FieldChangeInput], { nullable: true, description: 'RECTIFICATION only' }) changes?: FieldChangeInput[] | null;
  @Field(() => Boolean, { nullable: true, description: 'RESTRICTION only: lift the restriction (Art. 18) instead of imposing it' }) liftRestriction?: boolean | null;
}

@ObjectType()
export class ErasureReport {
  @Field(() => DateTimeResolver, { nullable: true }) completedAt!: Date | null;
  @Field(() => [SystemTask]) systems!: SystemTask[];
}

@ObjectType()
export class ErasurePlanStep {
  @Field() system!: string;
  @Field() dataset!: string;
  @Field(() => ErasureAction) action!: string;
  @Field(() => Int) records!: number;
  @Field(() => DateTimeResolver, { nullable: true }) retainedUntil!: Date | null;
  @Field(() => String, { nullable: true }) legalBasis!: string | null;
  @Field(() => String, { nullable: true }) note!: string | null;
}

@ObjectType()
export class ErasurePlan {
  @Field(() => [Identifier]) subject!: Identifier[];
  @Field(() => [ErasurePlanStep]) steps!: ErasurePlanStep[];
}

@ObjectType()
export class DownloadLink {
  @Field({ description: 'GET it with no other credential; single subject, expiring' }) url!: string;
  @Field(() => DateTimeResolver) expiresAt!: Date;
}
