import { randomUUID } from 'node:crypto';
import { type DataSource, type EntityManager, In, Not } from 'typeorm';
import type { Operator } from '../auth/operators';
import type { Identifier, SubjectKey } from '../connectors/connector';
import type { ConnectorRegistry } from '../connectors/registry';
import { DsrRequestEntity } from '../entities/dsr-request.entity';
import { DsrTaskEntity } from '../entities/dsr-task.entity';
import { RequestIdentifierEntity } from '../entities/request-identifier.entity';
import { isUniqueViolation, retryTransient } from '../db/retry';
import { insertInSlices } from '../db/insert';
import { badInput, DsrError, ErrorCode } from '../errors';
import type { AuditService } from './audit.service';
import { dueDate } from './deadline';
import { canonicalKey, identifiersOf, normaliseSubject, type SubjectInputLike } from './identity';
import type { KeyedHash } from './keyed-hash';
import type { TombstoneService } from './tombstone.service';

export const REQUEST_TYPES = ['ACCESS', 'PORTABILITY', 'ERASURE', 'RECTIFICATION', 'RESTRICTION', 'OBJECTION'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export const REQUEST_STATUSES = ['AWAITING_APPROVAL', 'IN_PROGRESS', 'AWAITING_MANUAL_STEPS', 'COMPLETED', 'PARTIALLY_COMPLETED', 'REJECTED', 'CANCELLED'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export const TASK_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'NOT_FOUND', 'RETAINED', 'FAILED', 'WAITING_FOR_OPERATOR', 'SKIPPED'] as const;

/** Request types answered with an export file; the others act on the systems. */
export const EXPORT_TYPES: readonly string[] = ['ACCESS', 'PORTABILITY'];
/** The last step of a request: packaging the export, or finalising an action. */
const FINAL_STEPS = ['package', 'finalize'];
export const OPEN_STATUSES: readonly string[] = ['AWAITING_APPROVAL', 'IN_PROGRESS', 'AWAITING_MANUAL_STEPS', 'PARTIALLY_COMPLETED'];
const FINISHED_TASK = ['SUCCEEDED', 'NOT_FOUND', 'RETAINED', 'FAILED', 'SKIPPED'];
/** Clock skew allowed for a receivedAt "now" sent by another machine. */
const FUTURE_TOLERANCE_MS = 60_000;
/** The day the GDPR took effect: no earlier request is one under it. */
const GDPR_APPLIES_FROM = Date.parse('2018-05-25T00:00:00Z');

export interface SubmitInput {
  type: RequestType;
  subject: SubjectInputLike;
  verification: string;
  receivedAt?: Date | null;
  idempotencyKey?: string | null;
  note?: string | null;
  changes?: { system: string; field: string; value: string }[] | null;
  /** RESTRICTION only: lift the restriction instead of imposing it. */
  liftRestriction?: boolean | null;
}

/** An erasure a retention sweep proposes for one subject. */
export interface RetentionProposal {
  identifiers: Pick<Identifier, 'kind' | 'value'>[];
  /** Deterministic per subject and rule: the same proposal is never stored twice. */
  retentionKey: string;
  /** Which rule applies and since when; no identifiers. */
  note: string;
}

const RETENTION_VERIFICATION = "Found by the company's own records under a retention rule (no request from the person)";

export interface RequestFilter {
  status?: string[] | null;
  type?: string[] | null;
  overdue?: boolean | null;
  first: number;
  after?: string | null;
}

export interface RequestPage {
  rows: DsrRequestEntity[];
  totalCount: number;
  hasNextPage: boolean;
}

const nowIso = () => new Date().toISOString();

/**
 * The request lifecycle: submit (idempotent), list, cancel, extend, retry, and advancing a request
 * as its tasks settle. Each request has an `identify` step (enrichment across the systems), one
 * task per system, and a `package` step that builds the export.
 */
export class RequestService {
  constructor(
    private readonly ds: DataSource,
    private readonly registry: ConnectorRegistry,
    private readonly audit: AuditService,
    private readonly keyed: KeyedHash,
    private readonly opts: { maxAttempts: number; wake: () => void },
    private readonly tombstones: TombstoneService,
  ) {}

  async submit(op: Operator, input: SubmitInput): Promise<DsrRequestEntity> {
    if (!REQUEST_TYPES.includes(input.type)) throw badInput(`type must be one of ${REQUEST_TYPES.join(', ')}`);
    const changes = this.validChanges(input);
    if (input.liftRestriction && input.type !== 'RESTRICTION') throw badInput('liftRestriction is only for RESTRICTION requests');
    const key = normaliseSubject(input.subject);
    const verification = requireText('verification', input.verification, 3, 500, 'verification must say how the identity was checked (3-500 characters)');
    const note = input.note?.trim() ? requireText('note', input.note, 1, 2000, 'note must be at most 2000 characters') : null;
    const idempotencyKey = input.idempotencyKey?.trim() || null;
    if (idempotencyKey && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) throw badInput('idempotencyKey must be 1-200 printable ASCII characters');
    const receivedAt = input.receivedAt ?? new Date();
    if (Number.isNaN(receivedAt.getTime())) throw badInput('receivedAt must be a date-time');
    if (receivedAt.getTime() > Date.now() + FUTURE_TOLERANCE_MS) throw badInput('receivedAt must not be in the future');
    if (receivedAt.getTime() < GDPR_APPLIES_FROM) throw badInput('receivedAt must not be before 2018-05-25, when the GDPR took effect');
    const subjectRef = this.keyed.hex(canonicalKey(key));

    if (idempotencyKey) {
      const existing = await this.ds.getRepository(DsrRequestEntity).findOneBy({ submittedBy: op.name, idempotencyKey });
      if (existing) return this.sameRequest(existing, input.type, subjectRef);
    }

    const request = Object.assign(new DsrRequestEntity(), {
      id: randomUUID(),
      type: input.type,
      // erasure waits for a second person (four eyes)
      status: input.type === 'ERASURE' ? 'AWAITING_APPROVAL' : 'IN_PROGRESS',
      changesJson: changes ? JSON.stringify(changes) : null,
      liftRestriction: input.liftRestriction ? 1 : 0,
      rejectedBy: null,
      subjectJson: JSON.stringify(identifiersOf(key, 'input')),
      subjectRef,
      verification,
      note,
      receivedAt: receivedAt.toISOString(),
      dueAt: dueDate(receivedAt, false).toISOString(),
      extensionReason: null,
      submittedBy: op.name,
      approvedBy: null,
      completedAt: null,
      closedReason: null,
      idempotencyKey,
      createdAt: nowIso(),
      origin: 'OPERATOR',
      retentionKey: null,
      exportFile: null,
      exportSize: null,
      exportSha256: null,
      exportCreatedAt: null,
      exportExpiresAt: null,
      exportEntries: null,
    });
    try {
      await retryTransient(() =>
        this.ds.transaction(async (m) => {
          await m.getRepository(DsrRequestEntity).insert(request);
          await m.getRepository(DsrTaskEntity).insert(this.plan(request));
          await this.tombstones.index(request.id, identifiersOf(key, 'input'), m);
        }),
      );
    } catch (e) {
      // the same key submitted twice at once: the other one won
      if (idempotencyKey) {
        const existing = await this.ds.getRepository(DsrRequestEntity).findOneBy({ submittedBy: op.name, idempotencyKey });
        if (existing) return this.sameRequest(existing, input.type, subjectRef);
      }
      throw e;
    }
    await this.audit.record({ actor: op.name, action: 'request.submitted', requestId: request.id, subjectRef });
    this.opts.wake();
    return request;
  }

  /**
   * Erasure requests proposed by a retention sweep (origin RETENTION), all in one transaction;
   * like every erasure they wait for an APPROVER who is not `actor`. A proposal whose key is
   * stored already (an earlier sweep, or another process's sweep right now) is left out; a
   * collision while inserting makes the batch look again and insert only the rest.
   */
  async submitRetention(actor: string, proposals: RetentionProposal[], receivedAt = new Date()): Promise<DsrRequestEntity[]> {
    for (let attempt = 1; ; attempt++) {
      const known = await this.storedRetentionKeys(proposals.map((p) => p.retentionKey));
      const fresh = proposals.filter((p) => !known.has(p.retentionKey));
      if (fresh.length === 0) return [];
      const requests = fresh.map((p) => this.retentionRequest(actor, p, receivedAt));
      try {
        await retryTransient(() =>
          this.ds.transaction(async (m) => {
            await insertInSlices(m.getRepository(DsrRequestEntity), requests);
            await insertInSlices(m.getRepository(DsrTaskEntity), requests.flatMap((r) => this.plan(r)));
            for (const [i, r] of requests.entries()) await this.tombstones.index(r.id, fresh[i]!.identifiers, m);
          }),
        );
      } catch (e) {
        if (attempt < 4 && isUniqueViolation(e)) continue;
        throw e;
      }
      await this.audit.recordMany(requests.map((r) => ({ actor, action: 'request.submitted', requestId: r.id, subjectRef: r.subjectRef })));
      return requests;
    }
  }

  /** The retention keys among these that a request already carries. */
  async storedRetentionKeys(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.ds.getRepository(DsrRequestEntity).find({ select: { id: true, retentionKey: true }, where: { retentionKey: In(keys) } });
    return new Set(rows.map((r) => r.retentionKey!));
  }

  private retentionRequest(actor: string, p: RetentionProposal, receivedAt: Date): DsrRequestEntity {
    const key: SubjectKey = {};
    for (const id of p.identifiers) if (!(key[id.kind] ??= []).includes(id.value)) key[id.kind]!.push(id.value);
    return Object.assign(new DsrRequestEntity(), {
      id: randomUUID(),
      type: 'ERASURE',
      status: 'AWAITING_APPROVAL',
      changesJson: null,
      liftRestriction: 0,
      rejectedBy: null,
      subjectJson: JSON.stringify(identifiersOf(key, 'input')),
      subjectRef: this.keyed.hex(canonicalKey(key)),
      verification: RETENTION_VERIFICATION,
      note: p.note.slice(0, 2000),
      receivedAt: receivedAt.toISOString(),
      dueAt: dueDate(receivedAt, false).toISOString(),
      extensionReason: null,
      submittedBy: actor,
      approvedBy: null,
      completedAt: null,
      closedReason: null,
      idempotencyKey: null,
      createdAt: nowIso(),
      exportFile: null,
      exportSize: null,
      exportSha256: null,
      exportCreatedAt: null,
      exportExpiresAt: null,
      exportEntries: null,
      origin: 'RETENTION',
      retentionKey: p.retentionKey,
    });
  }

  /**
   * Every identifier ("kind:value") named by an open request, to that request's id: one query, for
   * a sweep that checks many subjects (open requests still hold their identifiers in clear).
   */
  async openRequestIdentifiers(): Promise<Map<string, string>> {
    const rows = await this.ds.getRepository(DsrRequestEntity).find({ select: { id: true, subjectJson: true }, where: { status: In([...OPEN_STATUSES]) }, order: { id: 'ASC' } });
    const named = new Map<string, string>();
    for (const r of rows) for (const i of this.subjectOf(r)) if (!i.erased && !named.has(`${i.kind}:${i.value}`)) named.set(`${i.kind}:${i.value}`, r.id);
    return named;
  }

  /** For each subject (its identifiers), an open request of any type that names one of them, if any. */
  async openRequestsNaming(subjects: Pick<Identifier, 'kind' | 'value'>[][]): Promise<(string | null)[]> {
    const hashed = subjects.map((ids) => ids.map((i) => this.tombstones.hashOf(i)));
    const all = [...new Set(hashed.flat())];
    const byHash = new Map<string, string>();
    // in slices, so a page of thousands of identifiers stays within the databases' parameter limits
    for (let i = 0; i < all.length; i += 500) {
      const rows = (await this.ds
        .getRepository(RequestIdentifierEntity)
        .createQueryBuilder('ri')
        .innerJoin(DsrRequestEntity, 'r', 'r.id = ri.requestId')
        .select(['ri.identifierHash AS hash', 'r.id AS id'])
        .where('ri.identifierHash IN (:...hashes)', { hashes: all.slice(i, i + 500) })
        .andWhere('r.status IN (:...open)', { open: OPEN_STATUSES })
        .orderBy('r.id')
        .getRawMany()) as { hash: string; id: string }[];
      for (const row of rows) if (!byHash.has(row.hash)) byHash.set(row.hash, row.id);
    }
    return hashed.map((hashes) => hashes.map((h) => byHash.get(h)).find((id) => id !== undefined) ?? null);
  }

  /** RECTIFICATION: 1-50 corrections, each for an enabled system that can be corrected. */
  private validChanges(input: SubmitInput): { system: string; field: string; value: string }[] | null {
    if (input.type !== 'RECTIFICATION') {
      if (input.changes?.length) throw badInput('changes are only for RECTIFICATION requests');
      return null;
    }
    const changes = input.changes ?? [];
    if (changes.length < 1 || changes.length > 50) throw badInput('a RECTIFICATION request needs 1-50 changes');
    const checked = changes.map((c, i) => {
      const connector = this.registry.get(c.system);
      if (!connector) throw badInput(`changes[${i}].system is not an enabled system`);
      if (!connector.rectify && !connector.manualInstructions?.('RECTIFICATION')) throw badInput(`changes[${i}]: ${c.system} cannot be corrected`);
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(c.field)) throw badInput(`changes[${i}].field must be a field name`);
      if (typeof c.value !== 'string' || c.value.length > 1000 || /[\u0000-\u0008\u000b-\u001f\u007f]|\p{Cs}/u.test(c.value)) {
        throw badInput(`changes[${i}].value must be text of at most 1000 characters`);
      }
      return { system: c.system, field: c.field, value: c.value };
    });
    // each system checks its own corrections as it will apply them (fields it corrects, values it accepts)
    for (const system of new Set(checked.map((c) => c.system))) {
      this.registry.get(system)!.checkChanges?.(checked.filter((c) => c.system === system).map(({ field, value }) => ({ field, value })));
    }
    return checked;
  }

  private sameRequest(existing: DsrRequestEntity, type: string, subjectRef: string): DsrRequestEntity {
    if (existing.type !== type || existing.subjectRef !== subjectRef) {
      throw new DsrError(ErrorCode.CONFLICT, 'idempotencyKey was already used for a different request');
    }
    return existing;
  }

  /** identify (after approval, for an erasure) -> one task per enabled system -> package or finalize. */
  private plan(request: DsrRequestEntity): DsrTaskEntity[] {
    const task = (kind: string, system: string, state: 'ready' | 'blocked') =>
      DsrTaskEntity.create({ requestId: request.id, kind, system, state, runAfter: request.createdAt, maxAttempts: this.opts.maxAttempts });
    return [
      task('identify', '-', request.status === 'AWAITING_APPROVAL' ? 'blocked' : 'ready'),
      ...this.registry.connectors.map((c) => task('system', c.id, 'blocked')),
      task(EXPORT_TYPES.includes(request.type) ? 'package' : 'finalize', '-', 'blocked'),
    ];
  }

  get(id: string): Promise<DsrRequestEntity | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return Promise.resolve(null);
    return this.ds.getRepository(DsrRequestEntity).findOneBy({ id });
  }

  async getOrFail(id: string): Promise<DsrRequestEntity> {
    const r = await this.get(id);
    if (!r) throw new DsrError(ErrorCode.NOT_FOUND, 'No request with this id');
    return r;
  }

  /** The tasks of several requests in one query (for a DataLoader). */
  async tasksOf(requestIds: readonly string[]): Promise<DsrTaskEntity[][]> {
    const rows = await this.ds.getRepository(DsrTaskEntity).find({ where: { requestId: In([...requestIds]) }, order: { system: 'ASC' } });
    return requestIds.map((id) => rows.filter((t) => t.requestId === id));
  }

  /** Newest first, by (receivedAt, id) keyset. */
  async list(filter: RequestFilter): Promise<RequestPage> {
    if (!Number.isInteger(filter.first) || filter.first < 1 || filter.first > 200) throw badInput('first must be from 1 to 200');
    const q = this.ds.getRepository(DsrRequestEntity).createQueryBuilder('r');
    // each value once: a list repeating one value thousands of times is still one condition
    if (filter.status?.length) q.andWhere('r.status IN (:...status)', { status: [...new Set(filter.status)] });
    if (filter.type?.length) q.andWhere('r.type IN (:...type)', { type: [...new Set(filter.type)] });
    // overdue: an open request past its deadline, or with a manual step waiting past its own
    const lateStep = `EXISTS (SELECT 1 FROM dsr_tasks t WHERE t.request_id = r.id AND t.status = 'WAITING_FOR_OPERATOR' AND t.due_at < :now)`;
    if (filter.overdue === true) q.andWhere(`r.status IN (:...open) AND (r.dueAt < :now OR ${lateStep})`, { now: nowIso(), open: OPEN_STATUSES });
    if (filter.overdue === false) q.andWhere(`(r.status NOT IN (:...open) OR (r.dueAt >= :now AND NOT ${lateStep}))`, { now: nowIso(), open: OPEN_STATUSES });
    const totalCount = await q.getCount();
    if (filter.after) {
      const [receivedAt, id] = decodeRequestCursor(filter.after);
      q.andWhere('(r.receivedAt < :ra OR (r.receivedAt = :ra AND r.id < :rid))', { ra: receivedAt, rid: id });
    }
    const rows = await q.orderBy('r.receivedAt', 'DESC').addOrderBy('r.id', 'DESC').take(filter.first + 1).getMany();
    return { rows: rows.slice(0, filter.first), totalCount, hasNextPage: rows.length > filter.first };
  }

  /**
   * Manual steps past their time, per system (for /metrics): steps waiting for a person whose own
   * deadline (the system's dueDays) or whose request's deadline has passed. Every system that can
   * wait for a person is listed, with 0 when none of its steps is late.
   */
  async overdueManualStepsBySystem(now = new Date()): Promise<{ system: string; overdue: number }[]> {
    const rows = (await this.ds
      .getRepository(DsrTaskEntity)
      .createQueryBuilder('t')
      .innerJoin(DsrRequestEntity, 'r', 'r.id = t.requestId')
      .select('t.system', 'system')
      .addSelect('COUNT(*)', 'overdue')
      .where("t.kind = 'system' AND t.status = 'WAITING_FOR_OPERATOR'")
      .andWhere('r.status IN (:...open)', { open: OPEN_STATUSES })
      .andWhere('(t.dueAt < :now OR r.dueAt < :now)', { now: now.toISOString() })
      .groupBy('t.system')
      .getRawMany()) as { system: string; overdue: string | number }[];
    const counts = new Map(rows.map((r) => [r.system, Number(r.overdue)]));
    const systems = this.registry.connectors.filter((c) => c.manualInstructions || c.manualSteps).map((c) => c.id);
    for (const system of counts.keys()) if (!systems.includes(system)) systems.push(system);
    return systems.map((system) => ({ system, overdue: counts.get(system) ?? 0 }));
  }

  /** Four eyes: an APPROVER who did not submit the erasure starts it. */
  async approve(op: Operator, id: string): Promise<DsrRequestEntity> {
    const r = await this.change(id, async (m, req) => {
      if (req.status !== 'AWAITING_APPROVAL') throw new DsrError(ErrorCode.CONFLICT, `The request is ${req.status}; only a request awaiting approval can be approved`);
      if (req.submittedBy === op.name) throw new DsrError(ErrorCode.FOUR_EYES_REQUIRED, 'A second person must approve: the submitter cannot approve their own request');
      req.status = 'IN_PROGRESS';
      req.approvedBy = op.name;
      await m.getRepository(DsrTaskEntity).update({ requestId: req.id, kind: 'identify' }, { state: 'ready', runAfter: nowIso() });
      await this.audit.record({ actor: op.name, action: 'request.approved', requestId: req.id, subjectRef: req.subjectRef });
    });
    this.opts.wake();
    return r;
  }

  async reject(op: Operator, id: string, reason: string): Promise<DsrRequestEntity> {
    const why = requireReason(reason);
    return this.change(id, async (m, req) => {
      if (req.status !== 'AWAITING_APPROVAL') throw new DsrError(ErrorCode.CONFLICT, `The request is ${req.status}; only a request awaiting approval can be rejected`);
      await m.getRepository(DsrTaskEntity).update({ requestId: req.id }, { state: 'done', status: 'SKIPPED', finishedAt: nowIso() });
      req.status = 'REJECTED';
      req.rejectedBy = op.name;
      req.closedReason = why;
      req.completedAt = nowIso();
      await this.audit.record({ actor: op.name, action: 'request.rejected', requestId: req.id, subjectRef: req.subjectRef });
    });
  }

  /**
   * A person did what a system without an API needs: who and their evidence are recorded, and the
   * system's step runs again to verify it (an erasure is checked by reading the system).
   */
  async confirmManualStep(op: Operator, requestId: string, system: string, evidence: string): Promise<DsrRequestEntity> {
    const text = requireText('evidence', evidence, 3, 2000, 'evidence must say what was done (3-2000 characters)');
    if (!this.registry.get(system)) throw badInput('system is not an enabled system');
    const r = await this.change(requestId, async (m, req) => {
      const tasks = m.getRepository(DsrTaskEntity);
      const task = await tasks.findOneBy({ requestId: req.id, kind: 'system', system });
      if (!task || task.status !== 'WAITING_FOR_OPERATOR') throw new DsrError(ErrorCode.CONFLICT, 'No manual step is waiting in this system for this request');
      const state = task.resultJson ? (JSON.parse(task.resultJson) as Record<string, unknown>) : {};
      const confirmed = { by: op.name, at: nowIso(), evidence: text };
      await tasks.update({ id: task.id }, { state: 'ready', status: 'PENDING', attempts: 0, runAfter: nowIso(), resultJson: JSON.stringify({ ...state, confirmed }) });
      if (req.status === 'AWAITING_MANUAL_STEPS') req.status = 'IN_PROGRESS';
      await this.audit.record({ actor: op.name, action: 'request.manual_step_confirmed', requestId: req.id, subjectRef: req.subjectRef });
    });
    this.opts.wake();
    return r;
  }

  /** Before anything ran: every task still waiting, none attempted. */
  async cancel(op: Operator, id: string, reason: string): Promise<DsrRequestEntity> {
    const why = requireReason(reason);
    return this.change(id, async (m, r) => {
      if (!OPEN_STATUSES.includes(r.status)) throw new DsrError(ErrorCode.CONFLICT, `The request is ${r.status} and cannot be cancelled`);
      const tasks = await m.getRepository(DsrTaskEntity).findBy({ requestId: r.id });
      // before any work, or when all that is left waits for a person (what was done stays reported)
      const waitingOnly = r.status === 'AWAITING_MANUAL_STEPS' && !tasks.some((t) => t.state === 'leased');
      if (!waitingOnly && tasks.some((t) => t.attempts > 0 || t.state === 'leased')) {
        throw new DsrError(ErrorCode.CONFLICT, 'Work on this request is running; it can be cancelled before it starts or while it waits for a person');
      }
      await m.getRepository(DsrTaskEntity).update({ requestId: r.id, state: Not('done') }, { state: 'done', status: 'SKIPPED', finishedAt: nowIso() });
      r.status = 'CANCELLED';
      r.closedReason = why;
      r.completedAt = nowIso();
      await this.audit.record({ actor: op.name, action: 'request.cancelled', requestId: r.id, subjectRef: r.subjectRef });
    });
  }

  /** Two more months (three from receipt), once, before the deadline, with a reason (Art. 12(3)). */
  async extend(op: Operator, id: string, reason: string): Promise<DsrRequestEntity> {
    const why = requireReason(reason);
    return this.change(id, async (_m, r) => {
      if (!OPEN_STATUSES.includes(r.status)) throw new DsrError(ErrorCode.CONFLICT, `The request is ${r.status}; its deadline no longer runs`);
      if (r.extensionReason) throw new DsrError(ErrorCode.DEADLINE_RULE, 'The deadline was already extended once; it can be extended only once');
      if (Date.now() >= Date.parse(r.dueAt)) throw new DsrError(ErrorCode.DEADLINE_RULE, 'The deadline has passed; it can only be extended before it');
      r.dueAt = dueDate(new Date(r.receivedAt), true).toISOString();
      r.extensionReason = why;
      await this.audit.record({ actor: op.name, action: 'request.deadline_extended', requestId: r.id, subjectRef: r.subjectRef });
    });
  }

  /** Runs the failed systems again (and the package step after them). */
  async retry(op: Operator, id: string): Promise<DsrRequestEntity> {
    const r = await this.change(id, async (m, req) => {
      if (req.status !== 'PARTIALLY_COMPLETED') throw new DsrError(ErrorCode.CONFLICT, 'Only a PARTIALLY_COMPLETED request can be retried');
      const tasks = m.getRepository(DsrTaskEntity);
      const failed = await tasks.findBy({ requestId: req.id, kind: 'system', status: 'FAILED' });
      for (const t of failed) {
        // from scratch, except that a person's confirmation is read again first: when the system
        // no longer holds the person, it is the proof; otherwise the step waits for a person again
        const confirmed = t.resultJson ? (JSON.parse(t.resultJson) as { confirmed?: unknown }).confirmed : undefined;
        const resultJson = confirmed ? JSON.stringify({ confirmed, recheck: true }) : null;
        await tasks.update({ id: t.id }, { state: 'ready', status: 'PENDING', attempts: 0, runAfter: nowIso(), lastError: null, finishedAt: null, leaseOwner: null, leaseExpiresAt: null, resultJson });
      }
      await tasks.update({ requestId: req.id, kind: In(FINAL_STEPS) }, { state: 'blocked', status: 'PENDING', attempts: 0, finishedAt: null, lastError: null });
      req.status = 'IN_PROGRESS';
      req.completedAt = null;
      await this.audit.record({ actor: op.name, action: 'request.retried', requestId: req.id, subjectRef: req.subjectRef });
    });
    this.opts.wake();
    return r;
  }

  private async change(id: string, work: (m: EntityManager, r: DsrRequestEntity) => Promise<void>): Promise<DsrRequestEntity> {
    return this.ds.transaction(async (m) => {
      const q = m.getRepository(DsrRequestEntity).createQueryBuilder('r').where('r.id = :id', { id });
      if (this.ds.options.type === 'mysql') q.setLock('pessimistic_write');
      const r = /^[0-9a-f-]{36}$/.test(id) ? await q.getOne() : null;
      if (!r) throw new DsrError(ErrorCode.NOT_FOUND, 'No request with this id');
      await work(m, r);
      await m.getRepository(DsrRequestEntity).save(r);
      return r;
    });
  }

  /**
   * A step that failed for good goes into the audit trail beside the steps that succeeded
   * (`request.<type>.<system>.failed`; the error stays on the task, it may name the system's answer).
   */
  async auditFailure(task: DsrTaskEntity): Promise<void> {
    if (task.status !== 'FAILED') return;
    const r = await this.ds.getRepository(DsrRequestEntity).findOne({ select: { id: true, type: true, subjectRef: true }, where: { id: task.requestId } });
    if (!r) return;
    const step = task.kind === 'system' ? task.system : task.kind;
    await this.audit.record({ actor: 'gateway', action: `request.${r.type.toLowerCase()}.${step}.failed`.slice(0, 64), requestId: r.id, subjectRef: r.subjectRef });
  }

  /**
   * Moves a request on after one of its tasks settled: identify done -> systems ready; every
   * system finished -> package ready; package done -> COMPLETED, or PARTIALLY_COMPLETED when a
   * system failed.
   */
  async advance(requestId: string): Promise<void> {
    let woke = false;
    await retryTransient(() =>
      this.ds.transaction(async (m) => {
        const tasks = m.getRepository(DsrTaskEntity);
        const all = await tasks.findBy({ requestId });
        const identify = all.find((t) => t.kind === 'identify');
        const systems = all.filter((t) => t.kind === 'system');
        const final = all.find((t) => FINAL_STEPS.includes(t.kind));
        if (identify?.state === 'done' && identify.status === 'FAILED') {
          await this.finish(m, requestId, 'PARTIALLY_COMPLETED');
          return;
        }
        if (identify?.state === 'done') {
          const waiting = systems.filter((t) => t.state === 'blocked' && t.status === 'PENDING');
          if (waiting.length) {
            await tasks.update({ id: In(waiting.map((t) => t.id)) }, { state: 'ready', runAfter: nowIso() });
            woke = true;
          }
        }
        const manual = systems.filter((t) => t.status === 'WAITING_FOR_OPERATOR');
        const systemsDone = systems.every((t) => t.state === 'done' && FINISHED_TASK.includes(t.status));
        const failed = systems.some((t) => t.status === 'FAILED');
        if (systemsDone && final?.state === 'blocked') {
          // an erasure with a failed system is not finalised: its identifiers are needed to retry
          if (final.kind === 'finalize' && failed) await this.finish(m, requestId, 'PARTIALLY_COMPLETED');
          else {
            await tasks.update({ id: final.id }, { state: 'ready', runAfter: nowIso() });
            woke = true;
          }
        } else if (manual.length && systems.every((t) => t.status === 'WAITING_FOR_OPERATOR' || (t.state === 'done' && FINISHED_TASK.includes(t.status)))) {
          await m.getRepository(DsrRequestEntity).update({ id: requestId, status: 'IN_PROGRESS' }, { status: 'AWAITING_MANUAL_STEPS' });
        }
        if (final?.state === 'done') {
          await this.finish(m, requestId, failed || final.status === 'FAILED' ? 'PARTIALLY_COMPLETED' : 'COMPLETED');
        }
      }),
    );
    if (woke) this.opts.wake();
  }

  private async finish(m: EntityManager, requestId: string, status: RequestStatus): Promise<void> {
    await m.getRepository(DsrRequestEntity).update({ id: requestId, status: In(['IN_PROGRESS', 'AWAITING_MANUAL_STEPS']) }, { status, completedAt: nowIso() });
  }

  /** Stores the identifiers found for the request (given and discovered), indexed by HMAC. */
  async setIdentifiers(requestId: string, identifiers: Identifier[]): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.getRepository(DsrRequestEntity).update({ id: requestId }, { subjectJson: JSON.stringify(identifiers) });
      await this.tombstones.index(requestId, identifiers, m);
    });
  }

  /** The request's identifiers; after an erasure their values are HMACs, flagged `erased`. */
  subjectOf(r: DsrRequestEntity): (Identifier & { erased?: boolean })[] {
    return JSON.parse(r.subjectJson) as (Identifier & { erased?: boolean })[];
  }
}

/** Control characters other than tab and line breaks (NUL, escape sequences), and broken surrogate pairs. */
const UNSAFE_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\p{Cs}/u;

/** Free text (a reason, evidence, a note): trimmed, within its length, no control characters. */
function requireText(name: string, raw: string | null | undefined, min: number, max: number, rule: string): string {
  const text = raw?.trim() ?? '';
  if (UNSAFE_TEXT.test(text)) throw badInput(`${name} must be plain text, without control characters`);
  if (text.length < min || text.length > max) throw badInput(rule);
  return text;
}

function requireReason(reason: string): string {
  return requireText('reason', reason, 3, 1000, 'reason must be 3-1000 characters of text');
}

export function encodeRequestCursor(r: DsrRequestEntity): string {
  return Buffer.from(`req:${r.receivedAt}|${r.id}`, 'utf8').toString('base64url');
}

function decodeRequestCursor(cursor: string): [string, string] {
  const m = /^req:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badInput('after is not a cursor returned by requests');
  return [m[1]!, m[2]!];
}
