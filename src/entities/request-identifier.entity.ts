import { Entity, Index, PrimaryColumn } from 'typeorm';

/** Which requests named an identifier, by its HMAC: how an erasure finds the earlier requests to scrub. */
@Entity('request_identifiers')
export class RequestIdentifierEntity {
  @PrimaryColumn({ name: 'identifier_hash', type: 'varchar', length: 64 })
  identifierHash!: string;

  @Index('ix_request_identifiers_request')
  @PrimaryColumn({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;
}
