import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One unit of durable work: one system's part of a request (kind 'system'), or a request-level
 * step such as packaging the export (kind 'package'). Workers claim a task under a lease, renew
 * it while working, and a crashed worker's lease simply expires.
 */
@Entity('dsr_tasks')
@Index('ux_dsr_tasks_request_system', ['requestId', 'kind', 'system'], { unique: true })
@Index('ix_dsr_tasks_claim', ['state', 'runAfter'])
@Index('ix_dsr_tasks_waiting', ['status', 'dueAt'])
export class DsrTaskEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  /** 'system' | 'package' */
  @Column({ type: 'varchar', length: 16 })
  kind!: string;

  /** Connector id (kind 'system') or '-' (request-level steps). */
  @Column({ type: 'varchar', length: 32 })
  system!: string;

  /** The contract's TaskStatus: PENDING RUNNING SUCCEEDED NOT_FOUND RETAINED FAILED WAITING_FOR_OPERATOR SKIPPED */
  @Column({ type: 'varchar', length: 24 })
  status!: string;

  /** Scheduling state: 'ready' (claimable from runAfter), 'leased', 'done', 'blocked' (waits for other tasks or a person). */
  @Column({ type: 'varchar', length: 12 })
  state!: string;

  @Column({ name: 'run_after', type: 'varchar', length: 24 })
  runAfter!: string;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'max_attempts', type: 'int' })
  maxAttempts!: number;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'varchar', length: 24, nullable: true })
  leaseExpiresAt!: string | null;

  /** Safe, human-readable (no upstream text, no personal data). */
  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ name: 'started_at', type: 'varchar', length: 24, nullable: true })
  startedAt!: string | null;

  @Column({ name: 'finished_at', type: 'varchar', length: 24, nullable: true })
  finishedAt!: string | null;

  @Column({ name: 'records_exported', type: 'int', nullable: true })
  recordsExported!: number | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  note!: string | null;

  /**
   * A step waiting for a person (WAITING_FOR_OPERATOR): when its time is up (the system's
   * dueDays after it began waiting). ISO-8601 UTC.
   */
  @Column({ name: 'due_at', type: 'varchar', length: 24, nullable: true })
  dueAt!: string | null;

  /** Step-specific state as JSON (e.g. the staged files of an export), never shown to callers. */
  @Column({ name: 'result_json', type: 'text', nullable: true })
  resultJson!: string | null;

  /** A new, never attempted task. */
  static create(fields: { requestId: string; kind: string; system: string; state: 'ready' | 'blocked'; runAfter: string; maxAttempts: number }): DsrTaskEntity {
    return Object.assign(new DsrTaskEntity(), {
      id: randomUUID(),
      status: 'PENDING',
      attempts: 0,
      leaseOwner: null,
      leaseExpiresAt: null,
      lastError: null,
      startedAt: null,
      finishedAt: null,
      recordsExported: null,
      note: null,
      dueAt: null,
      resultJson: null,
      ...fields,
    });
  }
}
