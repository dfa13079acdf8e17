import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * What is left of an erased person: the HMAC of each identifier they were known by, so that a
 * later look-up can say "this person was erased on <date>" without anyone being able to read who.
 */
@Entity('subject_tombstones')
export class TombstoneEntity {
  @PrimaryColumn({ name: 'identifier_hash', type: 'varchar', length: 64 })
  identifierHash!: string;

  @Index('ix_subject_tombstones_request')
  @Column({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  @Column({ name: 'erased_at', type: 'varchar', length: 24 })
  erasedAt!: string;
}
