import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One entry of the append-only, hash-chained audit trail. */
@Entity('audit_events')
export class AuditEventEntity {
  /** Position in the chain (1, 2, 3 ...); also the event's public id. */
  @PrimaryColumn({ type: 'int' })
  seq!: number;

  /** ISO-8601 UTC with milliseconds; kept as text so the hashed form survives every database. */
  @Column({ type: 'varchar', length: 24 })
  at!: string;

  @Column({ type: 'varchar', length: 64 })
  actor!: string;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Index('ix_audit_events_request')
  @Column({ name: 'request_id', type: 'varchar', length: 36, nullable: true })
  requestId!: string | null;

  /** HMAC of the subject, never the identifier itself. */
  @Index('ix_audit_events_subject')
  @Column({ name: 'subject_ref', type: 'varchar', length: 64, nullable: true })
  subjectRef!: string | null;

  /** How many subjects an event concerned (e.g. a retention listing), never who they are. */
  @Column({ type: 'int', nullable: true })
  count!: number | null;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
