import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { type DataSource, MoreThan } from 'typeorm';
import type { Connector, ManualRequestType, RecordSink, Row, SubjectKey } from '../connectors/connector';
import { isHttpClientError } from '../connectors/http';
import type { ConnectorRegistry } from '../connectors/registry';
import { DsrRequestEntity } from '../entities/dsr-request.entity';
import { DsrTaskEntity } from '../entities/dsr-task.entity';
import { buildExportZip, type ExportSystemInput, plannedEntryShape } from '../exports/package';
import { type StagingResult, StagingWriter } from '../exports/staging';
import { TaskError, type TaskContext, type TaskHandler, type TaskOutcome } from '../jobs/worker';
import type { AuditService } from './audit.service';
import { keyFor } from './identity';
import type { RequestService } from './request.service';
import type { SubjectService } from './subject.service';
import type { SystemLoaders } from './system-loaders';
import type { ActionState } from './action.service';
import { manualStepsOf, waitingForOperator } from './manual-step';
import { toUploadedFile, type UploadService } from './upload.service';

/** Progress of a running export is stored at most this often (one UPDATE each). */
const PROGRESS_EVERY_MS = 250;
/** A running export lets other work of the process run at least this often. */
const YIELD_EVERY_MS = 20;
const ACTOR = 'gateway';

export interface ExportServiceOptions {
  dataDir: string;
  exportTtlMs: number;
  /** Loaders for the identify step (identifiers only, not every record). */
  identifyLoaders: () => SystemLoaders;
  /** Files operators upload for the systems a person must search. */
  uploads: UploadService;
}

/**
 * The durable steps of ACCESS and PORTABILITY requests: identify the subject across the systems,
 * stream each system's records to a staging file, package the zip, and delete it when it expires.
 * Every step is idempotent: a step taken over from a crashed worker starts again from scratch.
 */
export class ExportService {
  constructor(
    private readonly ds: DataSource,
    private readonly registry: ConnectorRegistry,
    private readonly subjects: SubjectService,
    private readonly requests: RequestService,
    private readonly audit: AuditService,
    private readonly opts: ExportServiceOptions,
  ) {}

  /** The steps of an export; the per-system step is `exportSystem`, dispatched with the other request types. */
  handlers(): Record<string, TaskHandler> {
    return {
      identify: (task) => this.identify(task),
      package: (task, ctx) => this.package(task, ctx),
      'expire-export': (task) => this.expire(task),
    };
  }

  private stagingDir(requestId: string): string {
    return path.join(this.opts.dataDir, 'staging', requestId);
  }

  exportFile(requestId: string): string {
    return path.join(this.opts.dataDir, 'exports', `${requestId}.zip`);
  }

  private async request(task: DsrTaskEntity): Promise<DsrRequestEntity> {
    const r = await this.requests.get(task.requestId);
    if (!r) throw new TaskError('the request no longer exists', { retryable: false });
    return r;
  }

  /** Enrichment across every system: the identifiers the later steps read by. */
  private async identify(task: DsrTaskEntity): Promise<TaskOutcome> {
    const r = await this.request(task);
    const given = this.requests.subjectOf(r).filter((i) => i.source === 'input');
    const key: SubjectKey = {};
    for (const id of given) (key[id.kind] ??= []).push(id.value);
    await this.audit.record({ actor: ACTOR, action: 'request.subject_identified', requestId: r.id, subjectRef: r.subjectRef });
    const view = await this.subjects.identify(this.opts.identifyLoaders(), key);
    await this.requests.setIdentifiers(r.id, view.identifiers);
    const unavailable = view.systems.filter((s) => s.status === 'ERROR' || s.status === 'TIMEOUT').map((s) => s.system);
    return { status: 'SUCCEEDED', note: unavailable.length ? `not reachable while identifying: ${unavailable.join(', ')}` : null };
  }

  /** One system's records, streamed to its staging files (the 'system' step of ACCESS and PORTABILITY). */
  async exportSystem(task: DsrTaskEntity, ctx: TaskContext): Promise<TaskOutcome> {
    const r = await this.request(task);
    const connector = this.registry.get(task.system);
    if (!connector) throw new TaskError('this system is no longer configured', { retryable: false });
    const instructions = connector.manualInstructions?.(r.type as ManualRequestType);
    if (instructions) return this.searchedByHand(task, r, connector, instructions);
    const key = keyFor(connector, this.requests.subjectOf(r));
    if (Object.keys(key).length === 0) return { status: 'NOT_FOUND', recordsExported: 0, result: { staged: { datasets: [] } } };
    await this.audit.record({ actor: ACTOR, action: 'request.system_read', requestId: r.id, subjectRef: r.subjectRef });

    // Each dataset staged as its finished zip entries, in the shape the package step plans for
    // them from the data map (it rebuilds an entry only when the data turned out otherwise).
    const writer = new StagingWriter(this.stagingDir(r.id), connector.id, { entries: plannedEntryShape(connector.system, r.type as 'ACCESS' | 'PORTABILITY') });
    let written = 0;
    let reported = Date.now();
    let yielded = Date.now();
    const sink = async (dataset: string, records: Row[]) => {
      await writer.writeMany(dataset, records);
      written += records.length;
      if (Date.now() - reported >= PROGRESS_EVERY_MS) {
        reported = Date.now();
        await ctx.progress(written);
      }
      // Reading and staging can go on for seconds without waiting for any I/O: let the
      // process serve its other requests (and lease renewals) in between.
      if (Date.now() - yielded >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = Date.now();
      }
    };
    let found: boolean;
    try {
      found = await this.read(connector, key, sink, ctx.signal);
    } catch (e) {
      await writer.abort();
      if (ctx.signal.aborted) throw e;
      throw new TaskError(isHttpClientError(e) ? e.message : `${connector.system.name} could not be read`, { retryable: true });
    }
    const staged: StagingResult = await writer.close();
    return { status: found ? 'SUCCEEDED' : 'NOT_FOUND', recordsExported: written, result: { staged } };
  }

  /**
   * A system a person searches: the step waits (WAITING_FOR_OPERATOR, with the instructions and
   * the owner) until confirmManualStep; then it holds the files uploaded meanwhile (SUCCEEDED), or
   * nothing was found (NOT_FOUND).
   */
  private async searchedByHand(task: DsrTaskEntity, r: DsrRequestEntity, connector: Connector, instructions: string): Promise<TaskOutcome> {
    const state = (task.resultJson ? JSON.parse(task.resultJson) : {}) as ActionState;
    if (!state.confirmed) return waitingForOperator(connector, instructions);
    const files = (await this.opts.uploads.list(r.id)).filter((u) => u.system === connector.id);
    const status = files.length ? 'SUCCEEDED' : 'NOT_FOUND';
    const note = `confirmed by ${state.confirmed.by}; ${files.length ? `${files.length} file(s) uploaded` : 'nothing found'}`;
    return { status, note, recordsExported: files.length, result: { ...state, outcome: { status, note }, staged: { datasets: [] } } };
  }

  private async read(connector: Connector, key: SubjectKey, sink: RecordSink, signal: AbortSignal): Promise<boolean> {
    if (connector.exportRecords) return (await connector.exportRecords(key, sink, signal)).found;
    const [snapshot] = await connector.collect([key], signal);
    for (const d of snapshot!.datasets) if (d.records.length) await sink(d.name, d.records);
    return snapshot!.found;
  }

  /** The zip: every system's staged records, index.html and the manifest. */
  private async package(task: DsrTaskEntity, ctx: TaskContext): Promise<TaskOutcome> {
    const r = await this.request(task);
    const tasks = await this.ds.getRepository(DsrTaskEntity).findBy({ requestId: r.id, kind: 'system' });
    const uploads = await this.opts.uploads.list(r.id);
    const systems: ExportSystemInput[] = [];
    for (const t of tasks) {
      const connector = this.registry.get(t.system);
      if (!connector) continue;
      const state = t.resultJson ? (JSON.parse(t.resultJson) as ActionState & { staged?: StagingResult }) : {};
      const staged = state.staged;
      const files = t.status === 'SUCCEEDED' ? uploads.filter((u) => u.system === t.system) : [];
      systems.push({
        id: t.system,
        descriptor: connector.system,
        status: t.status === 'FAILED' ? 'FAILED' : t.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'NOT_FOUND',
        error: t.status === 'FAILED' ? (t.lastError ?? 'the system could not be read') : undefined,
        staged: t.status === 'SUCCEEDED' ? staged : undefined,
        ...(state.confirmed && connector.manualInstructions?.(r.type as ManualRequestType)
          ? { manualStep: { owner: state.owner ?? (manualStepsOf(connector).owner || null), confirmedAt: state.confirmed.at } }
          : {}),
        files: files.map((u) => ({ ...toUploadedFile(u), file: this.opts.uploads.storedFile(u) })),
      });
    }
    const order = this.registry.connectors.map((c) => c.id);
    systems.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    const file = this.exportFile(r.id);
    await mkdir(path.dirname(file), { recursive: true });
    const zip = await buildExportZip(
      { request: { id: r.id, type: r.type as 'ACCESS' | 'PORTABILITY', subject: this.requests.subjectOf(r), createdAt: new Date(r.createdAt) }, systems },
      file,
      { signal: ctx.signal },
    );
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.opts.exportTtlMs).toISOString();
    await this.ds.transaction(async (m) => {
      await m.getRepository(DsrRequestEntity).update(
        { id: r.id },
        {
          exportFile: path.basename(file),
          exportSize: String(zip.sizeBytes),
          exportSha256: zip.sha256,
          exportCreatedAt: now.toISOString(),
          exportExpiresAt: expiresAt,
          exportEntries: JSON.stringify(zip.entries),
        },
      );
      const expiry = await m.getRepository(DsrTaskEntity).findOneBy({ requestId: r.id, kind: 'expire-export' });
      if (expiry) await m.getRepository(DsrTaskEntity).update({ id: expiry.id }, { state: 'ready', status: 'PENDING', runAfter: expiresAt, attempts: 0 });
      else await m.getRepository(DsrTaskEntity).insert(DsrTaskEntity.create({ requestId: r.id, kind: 'expire-export', system: '-', state: 'ready', runAfter: expiresAt, maxAttempts: task.maxAttempts }));
    });
    await this.audit.record({ actor: ACTOR, action: `request.${r.type.toLowerCase()}_completed`, requestId: r.id, subjectRef: r.subjectRef });
    return {
      status: 'SUCCEEDED',
      recordsExported: systems.reduce((n, s) => n + (s.staged?.datasets.reduce((k, d) => k + d.count, 0) ?? 0) + (s.files?.length ?? 0), 0),
    };
  }

  /** The export file, the staged records and the uploaded files are deleted when the export expires. */
  private async expire(task: DsrTaskEntity): Promise<TaskOutcome> {
    const r = await this.request(task);
    await this.removeExport(r.id);
    await this.audit.record({ actor: ACTOR, action: 'export.expired', requestId: r.id, subjectRef: r.subjectRef });
    return { status: 'SUCCEEDED' };
  }

  /** Deletes a request's export file, staged records and uploaded files (at expiry, or when the person is erased). */
  async removeExport(requestId: string): Promise<void> {
    // the zip last: once it is gone, so is everything it was made from
    await rm(this.stagingDir(requestId), { recursive: true, force: true });
    await this.opts.uploads.remove(requestId);
    await rm(this.exportFile(requestId), { force: true });
    // the request still shows what was delivered (size, sha256, entries); deleted early (the person
    // was erased), its expiresAt becomes the time it was deleted
    const repo = this.ds.getRepository(DsrRequestEntity);
    const now = new Date().toISOString();
    await repo.update({ id: requestId }, { exportFile: null });
    await repo.update({ id: requestId, exportExpiresAt: MoreThan(now) }, { exportExpiresAt: now });
  }
}

