import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single row that serialises appends to the audit chain: a writer locks it, appends after
 * last_seq and moves it forward in the same transaction, so the chain never forks, whatever the
 * number of writers or gateway processes.
 */
@Entity('audit_chain_head')
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'last_seq', type: 'int' })
  lastSeq!: number;

  @Column({ name: 'last_hash', type: 'varchar', length: 64 })
  lastHash!: string;
}

export const GENESIS_HASH = '0'.repeat(64);
