import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A data subject request, from receipt to completion (GDPR Art. 12(3): one month). */
@Entity('dsr_requests')
@Index('ux_dsr_requests_idempotency', ['submittedBy', 'idempotencyKey'], { unique: true })
@Index('ux_dsr_requests_retention_key', ['retentionKey'], { unique: true })
export class DsrRequestEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** ACCESS | PORTABILITY | ERASURE | RECTIFICATION | RESTRICTION | OBJECTION */
  @Column({ type: 'varchar', length: 20 })
  type!: string;

  /** AWAITING_APPROVAL | IN_PROGRESS | AWAITING_MANUAL_STEPS | COMPLETED | PARTIALLY_COMPLETED | REJECTED | CANCELLED */
  @Index('ix_dsr_requests_status')
  @Column({ type: 'varchar', length: 24 })
  status!: string;

  /** The subject's normalised identifiers as JSON ([{kind, value, source}]); personal data. */
  @Column({ name: 'subject_json', type: 'text' })
  subjectJson!: string;

  /** HMAC of the subject, for the audit trail and look-ups without the identifiers. */
  @Index('ix_dsr_requests_subject_ref')
  @Column({ name: 'subject_ref', type: 'varchar', length: 64 })
  subjectRef!: string;

  @Column({ type: 'varchar', length: 500 })
  verification!: string;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  note!: string | null;

  /** ISO-8601 UTC. */
  @Index('ix_dsr_requests_received')
  @Column({ name: 'received_at', type: 'varchar', length: 24 })
  receivedAt!: string;

  @Index('ix_dsr_requests_due')
  @Column({ name: 'due_at', type: 'varchar', length: 24 })
  dueAt!: string;

  @Column({ name: 'extension_reason', type: 'varchar', length: 1000, nullable: true })
  extensionReason!: string | null;

  @Column({ name: 'submitted_by', type: 'varchar', length: 64 })
  submittedBy!: string;

  @Column({ name: 'approved_by', type: 'varchar', length: 64, nullable: true })
  approvedBy!: string | null;

  @Column({ name: 'completed_at', type: 'varchar', length: 24, nullable: true })
  completedAt!: string | null;

  @Column({ name: 'closed_reason', type: 'varchar', length: 1000, nullable: true })
  closedReason!: string | null;

  /** The caller's idempotency key, scoped to the submitting operator. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  /** The export file (ACCESS, PORTABILITY), once packaged. */
  @Column({ name: 'export_file', type: 'varchar', length: 200, nullable: true })
  exportFile!: string | null;

  @Column({ name: 'export_size', type: 'bigint', nullable: true })
  exportSize!: string | null;

  @Column({ name: 'export_sha256', type: 'varchar', length: 64, nullable: true })
  exportSha256!: string | null;

  @Column({ name: 'export_created_at', type: 'varchar', length: 24, nullable: true })
  exportCreatedAt!: string | null;

  @Column({ name: 'export_expires_at', type: 'varchar', length: 24, nullable: true })
  exportExpiresAt!: string | null;

  /** JSON array of the paths inside the zip. */
  @Column({ name: 'export_entries', type: 'text', nullable: true })
  exportEntries!: string | null;

  /** RECTIFICATION: the corrections, [{system, field, value}] as JSON; personal data. */
  @Column({ name: 'changes_json', type: 'text', nullable: true })
  changesJson!: string | null;

  /** RESTRICTION: 1 when the request lifts a restriction instead of imposing it. */
  @Column({ name: 'lift_restriction', type: 'smallint', default: 0 })
  liftRestriction!: number;

  @Column({ name: 'rejected_by', type: 'varchar', length: 64, nullable: true })
  rejectedBy!: string | null;

  /** OPERATOR (submitted by a person) | RETENTION (proposed by a retention sweep). */
  @Column({ type: 'varchar', length: 16, default: 'OPERATOR' })
  origin!: string;

  /** RETENTION: HMAC of the subject and the rule, so one sweep or several at once propose one request. */
  @Column({ name: 'retention_key', type: 'varchar', length: 64, nullable: true })
  retentionKey!: string | null;
}
