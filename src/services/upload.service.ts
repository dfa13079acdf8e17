import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Operator } from '../auth/operators';
import type { ConnectorRegistry } from '../connectors/registry';
import { DsrRequestEntity } from '../entities/dsr-request.entity';
import { DsrTaskEntity } from '../entities/dsr-task.entity';
import { ManualUploadEntity } from '../entities/manual-upload.entity';
import { badInput, DsrError, ErrorCode } from '../errors';
import type { Logger } from '../logger';
import type { AuditService } from './audit.service';
import { EXPORT_TYPES, type RequestService } from './request.service';
import { detectUploadType, sanitiseFileName } from './upload-type';

/** Files one system may add to one request. */
export const MAX_FILES_PER_SYSTEM = 50;

export interface UploadedFile {
  /** The zip entry it becomes, e.g. `hogia-lon/upload-1.pdf`. */
  entry: string;
  originalName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedAt: string;
}

export interface IncomingFile {
  /** Where the upload was written (a temporary file under the data dir). */
  path: string;
  originalName?: string;
  declaredType?: string;
}

/**
 * Files an operator found in a system without an API, for an access or portability request that
 * waits on that system. Stored under the data dir by id (the zip entry name is generated), recorded
 * with size and sha256, audited (who, which request; never the content), and deleted with the
 * export when it expires or when the person is erased.
 */
export class UploadService {
  constructor(
    private readonly ds: DataSource,
    private readonly registry: ConnectorRegistry,
    private readonly requests: RequestService,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    private readonly opts: { dataDir: string; maxBytes: number },
  ) {}

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  /** Where uploads are written while they arrive. */
  incomingDir(): string {
    return path.join(this.opts.dataDir, 'uploads', '.incoming');
  }

  /** A request's stored uploads (deleted with its export). */
  requestDir(requestId: string): string {
    return path.join(this.opts.dataDir, 'uploads', requestId);
  }

  storedFile(upload: Pick<ManualUploadEntity, 'requestId' | 'id'>): string {
    return path.join(this.requestDir(upload.requestId), upload.id);
  }

  /**
   * Before any byte is read: the request exists, the system is one a person searches, and the
   * request waits on it. NOT_FOUND or CONFLICT otherwise.
   */
  async check(requestId: string, system: string): Promise<DsrRequestEntity> {
    const r = await this.requests.get(requestId);
    if (!r) throw new DsrError(ErrorCode.NOT_FOUND, 'No request with this id');
    const connector = this.registry.get(system);
    const searchedByHand = connector?.manualInstructions?.('ACCESS') !== undefined;
    if (!connector || !searchedByHand) throw new DsrError(ErrorCode.NOT_FOUND, 'No system with this id takes uploaded files');
    if (!EXPORT_TYPES.includes(r.type)) throw new DsrError(ErrorCode.CONFLICT, 'Files are uploaded only for ACCESS and PORTABILITY requests');
    const task = await this.ds.getRepository(DsrTaskEntity).findOneBy({ requestId: r.id, kind: 'system', system });
    if (!task || task.status !== 'WAITING_FOR_OPERATOR') throw new DsrError(ErrorCode.CONFLICT, 'This request is not waiting for files from this system');
    return r;
  }

  /**
   * Keeps one received file: its type checked against its bytes (UnsupportedTypeError), hashed,
   * moved under the request's folder and recorded, if the request still waits on the system.
   * The temporary file is gone afterwards either way.
   */
  async accept(op: Operator, requestId: string, system: string, incoming: IncomingFile): Promise<UploadedFile> {
    try {
      const { size } = await stat(incoming.path);
      if (size === 0) throw badInput('The file is empty');
      const originalName = sanitiseFileName(incoming.originalName);
      const type = await detectUploadType(incoming.path, incoming.declaredType, originalName);
      const sha256 = await sha256Of(incoming.path);
      const id = randomUUID();
      const stored = this.storedFile({ requestId, id });
      await mkdir(path.dirname(stored), { recursive: true });
      await rename(incoming.path, stored);
      try {
        const upload = await this.record(op, requestId, system, { id, originalName, contentType: type.mime, ext: type.ext, sizeBytes: size, sha256 });
        this.logger.info({ requestId, system, entry: upload.entry, sizeBytes: size, sha256 }, 'file uploaded for a manual step');
        return upload;
      } catch (e) {
        await rm(stored, { force: true });
        throw e;
      }
    } finally {
      await rm(incoming.path, { force: true });
    }
  }

  /** The row, numbered after the system's earlier uploads, under the request's lock; audited. */
  private async record(
    op: Operator,
    requestId: string,
    system: string,
    file: { id: string; originalName: string; contentType: string; ext: string; sizeBytes: number; sha256: string },
  ): Promise<UploadedFile> {
    const row = await this.ds.transaction(async (m) => {
      const q = m.getRepository(DsrRequestEntity).createQueryBuilder('r').where('r.id = :id', { id: requestId });
      if (this.ds.options.type === 'mysql') q.setLock('pessimistic_write');
      // SQLite: take the write lock first, so two uploads cannot both count the same files
      else await m.query('UPDATE dsr_requests SET id = id WHERE id = ?', [requestId]);
      const r = await q.getOne();
      if (!r) throw new DsrError(ErrorCode.NOT_FOUND, 'No request with this id');
      const task = await m.getRepository(DsrTaskEntity).findOneBy({ requestId, kind: 'system', system });
      if (!task || task.status !== 'WAITING_FOR_OPERATOR') throw new DsrError(ErrorCode.CONFLICT, 'This request is not waiting for files from this system');
      const earlier = await m.getRepository(ManualUploadEntity).countBy({ requestId, system });
      if (earlier >= MAX_FILES_PER_SYSTEM) throw new DsrError(ErrorCode.CONFLICT, `At most ${MAX_FILES_PER_SYSTEM} files per system and request`);
      const upload = Object.assign(new ManualUploadEntity(), {
        id: file.id,
        requestId,
        system,
        entry: `${system}/upload-${earlier + 1}.${file.ext}`,
        originalName: file.originalName,
        contentType: file.contentType,
        sizeBytes: String(file.sizeBytes),
        sha256: file.sha256,
        uploadedBy: op.name,
        uploadedAt: new Date().toISOString(),
      });
      await m.getRepository(ManualUploadEntity).insert(upload);
      return { upload, subjectRef: r.subjectRef };
    });
    await this.audit.record({ actor: op.name, action: `request.file_uploaded.${system}`.slice(0, 64), requestId, subjectRef: row.subjectRef });
    return toUploadedFile(row.upload);
  }

  /** A request's uploads, per system in upload order. */
  async list(requestId: string): Promise<ManualUploadEntity[]> {
    const rows = await this.ds.getRepository(ManualUploadEntity).findBy({ requestId });
    return rows.sort((a, b) => a.system.localeCompare(b.system) || a.uploadedAt.localeCompare(b.uploadedAt) || a.entry.localeCompare(b.entry, 'en', { numeric: true }));
  }

  /** Deletes a request's uploaded files and their records. */
  async remove(requestId: string): Promise<void> {
    await rm(this.requestDir(requestId), { recursive: true, force: true });
    await this.ds.getRepository(ManualUploadEntity).delete({ requestId });
  }
}

export function toUploadedFile(u: ManualUploadEntity): UploadedFile {
  return { entry: u.entry, originalName: u.originalName, contentType: u.contentType, sizeBytes: Number(u.sizeBytes), sha256: u.sha256, uploadedAt: u.uploadedAt };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
