import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { DataSource } from 'typeorm';
import type { Operator } from '../auth/operators';
import { DownloadLinkEntity } from '../entities/download-link.entity';
import { DsrError, ErrorCode } from '../errors';
import type { AuditService } from './audit.service';
import type { RequestService } from './request.service';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface DownloadableExport {
  file: string;
  size: number;
  filename: string;
}

/**
 * Download links: a random 256-bit token bound to one request, stored only as its SHA-256,
 * expiring. Whatever is wrong with a link (unknown, expired, another request's, file gone), the
 * answer is the same "not found".
 */
export class DownloadService {
  constructor(
    private readonly ds: DataSource,
    private readonly requests: RequestService,
    private readonly audit: AuditService,
    private readonly opts: { linkTtlMs: number; publicUrl: () => string; exportFile: (requestId: string) => string },
  ) {}

  async createLink(op: Operator, requestId: string): Promise<{ url: string; expiresAt: Date }> {
    const r = await this.requests.getOrFail(requestId);
    if (!r.exportFile || !r.exportExpiresAt || Date.parse(r.exportExpiresAt) <= Date.now()) {
      throw new DsrError(ErrorCode.CONFLICT, 'This request has no export to download (not finished, or expired)');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Math.min(Date.now() + this.opts.linkTtlMs, Date.parse(r.exportExpiresAt)));
    await this.ds.getRepository(DownloadLinkEntity).insert({
      id: randomUUID(),
      tokenHash: sha256(token),
      requestId: r.id,
      createdBy: op.name,
      createdAt: new Date().toISOString(),
      expiresAt: expiresAt.toISOString(),
    });
    await this.audit.record({ actor: op.name, action: 'export.link_created', requestId: r.id, subjectRef: r.subjectRef });
    return { url: `${this.opts.publicUrl()}/exports/${r.id}/download?token=${token}`, expiresAt };
  }

  /** The export behind a valid link, after auditing the download; undefined for anything else. */
  async open(requestId: string, token: unknown): Promise<DownloadableExport | undefined> {
    if (typeof token !== 'string' || !TOKEN.test(token) || !/^[0-9a-f-]{36}$/.test(requestId)) return undefined;
    const link = await this.ds.getRepository(DownloadLinkEntity).findOneBy({ tokenHash: sha256(token) });
    if (!link || link.requestId !== requestId || Date.parse(link.expiresAt) <= Date.now()) return undefined;
    const r = await this.requests.get(requestId);
    if (!r?.exportFile) return undefined;
    const file = this.opts.exportFile(r.id);
    const size = await stat(file).then((s) => s.size, () => undefined);
    if (size === undefined) return undefined;
    await this.audit.record({ actor: `link:${link.createdBy}`, action: 'export.downloaded', requestId: r.id, subjectRef: r.subjectRef });
    return { file, size, filename: `dsr-export-${r.id}.zip` };
  }
}
