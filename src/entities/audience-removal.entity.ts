import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The evidence of an audience removal: which SHA-256 hash of the subject's address the gateway
 * removed from which audience of an advertising system (LinkedIn, Google Ads), for which request,
 * when, through which remote job, and how that job ended. Neither system can say whether a person
 * is in an audience, so these rows are what verifies the erasure or objection there.
 */
@Entity('audience_removals')
@Index('ux_audience_removals_target', ['requestId', 'system', 'audience', 'emailHash'], { unique: true })
export class AudienceRemovalEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('ix_audience_removals_request')
  @Column({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  /** Connector id. */
  @Column({ type: 'varchar', length: 32 })
  system!: string;

  /** The audience's id at the system (DMP segment id, user list id). */
  @Column({ type: 'varchar', length: 128 })
  audience!: string;

  /** SHA-256 hex of the normalised address: what was sent, never the address itself. */
  @Column({ name: 'email_hash', type: 'varchar', length: 64 })
  emailHash!: string;

  @Column({ name: 'removed_at', type: 'varchar', length: 24 })
  removedAt!: string;

  /** The system's job (e.g. customers/1/offlineUserDataJobs/2), when it works asynchronously. */
  @Column({ name: 'job_ref', type: 'varchar', length: 255, nullable: true })
  jobRef!: string | null;

  /** PENDING, RUNNING, SUCCESS or FAILED. */
  @Column({ name: 'job_state', type: 'varchar', length: 16 })
  jobState!: string;

  /** When the final state was seen. */
  @Column({ name: 'finished_at', type: 'varchar', length: 24, nullable: true })
  finishedAt!: string | null;

  static create(fields: Omit<AudienceRemovalEntity, 'id'>): AudienceRemovalEntity {
    return Object.assign(new AudienceRemovalEntity(), { id: randomUUID(), ...fields });
  }
}
