import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One file an operator uploaded for a system without an API, for an access or portability request.
 * The bytes are kept under the data dir by id; the zip entry name is generated
 * (`<system>/upload-<n>.<ext>`), never taken from the uploaded name.
 */
@Entity('manual_uploads')
@Index('ux_manual_uploads_entry', ['requestId', 'entry'], { unique: true })
export class ManualUploadEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  @Column({ type: 'varchar', length: 32 })
  system!: string;

  /** The zip entry, e.g. `hogia-lon/upload-1.pdf`. */
  @Column({ type: 'varchar', length: 100 })
  entry!: string;

  /** The uploaded file's name, sanitised (no path, no control characters); may name the person. */
  @Column({ name: 'original_name', type: 'varchar', length: 200 })
  originalName!: string;

  /** The type found in the file's bytes (e.g. application/pdf). */
  @Column({ name: 'content_type', type: 'varchar', length: 100 })
  contentType!: string;

  @Column({ name: 'size_bytes', type: 'bigint' })
  sizeBytes!: string;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ name: 'uploaded_by', type: 'varchar', length: 64 })
  uploadedBy!: string;

  @Column({ name: 'uploaded_at', type: 'varchar', length: 24 })
  uploadedAt!: string;
}
