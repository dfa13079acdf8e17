import type { DataSource } from 'typeorm';
import type { Operator } from '../auth/operators';
import { RemoteJobFailedError, type ActionOutcome, type Connector, type ErasurePlanStep, type FieldChange, type Identifier, type ResumeState, type SubjectKey } from '../connectors/connector';
import { isHttpClientError } from '../connectors/http';
import type { ConnectorRegistry } from '../connectors/registry';
import { DsrRequestEntity } from '../entities/dsr-request.entity';
import type { DsrTaskEntity } from '../entities/dsr-task.entity';
import { isPublicCode } from '../errors';
import { TaskError, type TaskContext, type TaskHandler, type TaskOutcome } from '../jobs/worker';
import { AudienceRemovalService } from './audience-removal.service';
import type { AuditService } from './audit.service';
import type { ExportService } from './export.service';
import { keyFor, normaliseSubject, type SubjectInputLike } from './identity';
import { manualStepsOf, waitingForOperator } from './manual-step';
import { EXPORT_TYPES, type RequestService } from './request.service';
import type { SubjectService } from './subject.service';
import type { SystemLoaders } from './system-loaders';
import type { TombstoneService } from './tombstone.service';

const ACTOR = 'gateway';
type ActionType = 'ERASURE' | 'RESTRICTION' | 'OBJECTION' | 'RECTIFICATION';

/** What a system step keeps with its task (shown as the SystemTask's fields and in the erasure report). */
export interface ActionState {
  outcome?: Omit<ActionOutcome, 'retainedUntil' | 'resume' | 'removals'> & { retainedUntil?: string };
  verifiedAt?: string;
  /** Work going on at the system (a remote job): what its connector resumes from. */
  resume?: ResumeState;
  /** How many audience removals were recorded as the evidence (see AudienceRemovalService). */
  removalsRecorded?: number;
  confirmed?: { by: string; at: string; evidence: string };
  /**
   * Set by retryRequest on a confirmed step that failed its verification: the confirmation is read
   * again first; if the system still holds the person, the step starts afresh (a person again).
   */
  recheck?: boolean;
  /** The role that must do a manual step. */
  owner?: string;
}

export interface PlannedStep extends ErasurePlanStep {
  system: string;
}

/**
 * Erasure, restriction, objection and rectification, one system at a time: each system's step
 * acts through its connector (or waits for a person where there is no API), and an erasure is
 * verified by reading the system again by every known identifier: whatever is left that no
 * RETAIN (or SUPPRESS) rule covers fails the step.
 */
export class ActionService {
  constructor(
    private readonly ds: DataSource,
    private readonly registry: ConnectorRegistry,
    private readonly subjects: SubjectService,
    private readonly requests: RequestService,
    private readonly audit: AuditService,
    private readonly tombstones: TombstoneService,
    private readonly opts: { identifyLoaders: () => SystemLoaders; deadlineMs: (id: string) => number },
  ) {}

  private exports?: ExportService;
  /** The record of audience removals: the evidence in advertising systems. */
  readonly removals = new AudienceRemovalService(this.ds);

  /** Every task kind the workers run: the export steps, the per-system step of every type, finalize. */
  handlers(exports: ExportService): Record<string, TaskHandler> {
    this.exports = exports;
    return {
      ...exports.handlers(),
      system: async (task, ctx) => {
        const r = await this.request(task);
        return EXPORT_TYPES.includes(r.type) ? exports.exportSystem(task, ctx) : this.act(task, r, ctx);
      },
      finalize: (task) => this.finalize(task),
    };
  }

  private async request(task: DsrTaskEntity): Promise<DsrRequestEntity> {
    const r = await this.requests.get(task.requestId);
    if (!r) throw new TaskError('the request no longer exists', { retryable: false });
    return r;
  }

  private async act(task: DsrTaskEntity, r: DsrRequestEntity, ctx: TaskContext): Promise<TaskOutcome> {
    const connector = this.registry.get(task.system);
    if (!connector) throw new TaskError('this system is no longer configured', { retryable: false });
    const type = r.type as ActionType;
    const key = keyFor(connector, this.requests.subjectOf(r));
    const state = (task.resultJson ? JSON.parse(task.resultJson) : {}) as ActionState;
    if (Object.keys(key).length === 0) return { status: 'NOT_FOUND', note: 'no identifier this system can be searched by' };
    const outcome = await this.step(connector, r, type, key, state, ctx);
    // a job still running is audited when it starts and when it ends, not at every check
    if (outcome.status === 'RUNNING' && state.resume) return outcome;
    if (outcome.status === 'WAITING_FOR_OPERATOR' && outcome.dueAt === undefined) {
      // a connector's own manual step: it gets the system's deadline and owner too
      const waiting = waitingForOperator(connector, outcome.note ?? '');
      outcome.dueAt = waiting.dueAt;
      outcome.result = { ...(waiting.result as object), ...(outcome.result as object) };
    }
    // the outcome of every system's step, and the fields a correction changed (never their values)
    const entries = [{ actor: ACTOR, action: `request.${type.toLowerCase()}.${connector.id}.${outcome.status.toLowerCase()}`.slice(0, 64), requestId: r.id, subjectRef: r.subjectRef }];
    const recorded = (outcome.result as ActionState | undefined)?.removalsRecorded;
    if (outcome.status === 'SUCCEEDED' && recorded) {
      entries.push({ actor: ACTOR, action: `request.${type.toLowerCase()}.${connector.id}.removals_recorded`.slice(0, 64), requestId: r.id, subjectRef: r.subjectRef });
    }
    if (type === 'RECTIFICATION' && outcome.status === 'SUCCEEDED') {
      for (const c of this.changesFor(r, connector.id)) entries.push({ actor: ACTOR, action: `request.rectified.${c.field}`.slice(0, 64), requestId: r.id, subjectRef: r.subjectRef });
    }
    await this.audit.recordMany(entries);
    return outcome;
  }

  private changesFor(r: DsrRequestEntity, system: string): FieldChange[] {
    return (JSON.parse(r.changesJson ?? '[]') as (FieldChange & { system: string })[]).filter((c) => c.system === system).map(({ field, value }) => ({ field, value }));
  }

  private async step(connector: Connector, r: DsrRequestEntity, type: ActionType, key: SubjectKey, state: ActionState, ctx: TaskContext): Promise<TaskOutcome> {
    try {
      if (state.confirmed) {
        const verified = await this.afterManualStep(connector, type, key, state, ctx.signal);
        if (verified) return verified;
        state = {};
      }
      switch (type) {
        case 'ERASURE':
          return await this.erase(connector, r, key, ctx.signal, state.resume);
        case 'RESTRICTION':
          return connector.restrict ? done(await connector.restrict(key, r.liftRestriction !== 1, ctx.signal)) : manual(connector, type, [], r.liftRestriction === 1);
        case 'OBJECTION': {
          if (!connector.suppressMarketing) return manual(connector, type);
          const outcome = await connector.suppressMarketing(key, ctx.signal, state.resume);
          return (await this.remote(connector, r, outcome)) ?? done(outcome);
        }
        case 'RECTIFICATION': {
          const changes = this.changesFor(r, connector.id);
          if (changes.length === 0) return { status: 'SKIPPED', note: 'no correction for this system' };
          return connector.rectify ? done(await connector.rectify(key, changes, ctx.signal)) : manual(connector, type, changes.map((c) => c.field));
        }
        default:
          throw new TaskError(`${String(type)} has no per-system step`, { retryable: false });
      }
    } catch (e) {
      if (e instanceof RemoteJobFailedError) {
        await this.removals.record(r.id, connector.id, e.removals);
        // the failed job is forgotten: the retry starts a new one
        throw new TaskError(e.message, { retryable: true, result: null });
      }
      if (e instanceof TaskError || ctx.signal.aborted) throw e;
      throw safeFailure(connector, e);
    }
  }

  /**
   * Records the audience removals an outcome reports. Work still going on at the system becomes a
   * deferred task (RUNNING, no worker held); a finished step with removals is verified by the
   * record: every removal in it applied. Undefined when the outcome has neither.
   */
  private async remote(connector: Connector, r: DsrRequestEntity, outcome: ActionOutcome): Promise<TaskOutcome | undefined> {
    if (outcome.removals?.length) await this.removals.record(r.id, connector.id, outcome.removals);
    if (outcome.status === 'IN_PROGRESS') {
      const deferMs = Math.max(0, outcome.checkAgainAfterMs ?? 60_000);
      const at = new Date(Date.now() + deferMs).toISOString();
      const note = `${outcome.note ?? `${connector.system.name} is still working`}; checked again after ${at}`;
      const state: ActionState = { resume: outcome.resume ?? {}, outcome: { status: 'IN_PROGRESS', note } };
      return { status: 'RUNNING', note, deferMs, result: state };
    }
    if (outcome.removals === undefined || outcome.status !== 'SUCCEEDED') return undefined;
    const evidence = await this.removals.evidence(r.id, connector.id);
    if (!evidence.confirmed) {
      throw new TaskError(`verification failed: ${connector.system.name} has not applied every recorded removal`, { retryable: true, result: null });
    }
    const note = `${outcome.note ?? ''} Recorded as evidence: ${evidence.removals} removal${evidence.removals === 1 ? '' : 's'} from ${evidence.audiences} audience${evidence.audiences === 1 ? '' : 's'}.`.trim();
    const finished = done({ ...outcome, removals: undefined, note }, new Date().toISOString());
    return { ...finished, result: { ...(finished.result as ActionState), removalsRecorded: evidence.removals } };
  }

  private async erase(connector: Connector, r: DsrRequestEntity, key: SubjectKey, signal: AbortSignal, resume: ResumeState | undefined): Promise<TaskOutcome> {
    if (!connector.erase) return manual(connector, 'ERASURE');
    const plan = connector.planErasure && !resume ? await connector.planErasure(key, signal) : [];
    const outcome = await connector.erase(key, signal, resume);
    const remote = await this.remote(connector, r, outcome);
    if (remote) return remote;
    if (outcome.status === 'WAITING_FOR_OPERATOR') return done(outcome);
    const left = await this.leftOver(connector, key, plan, signal);
    if (left) throw new TaskError(`verification failed: ${connector.system.name} still holds ${left}`, { retryable: true });
    return done(outcome, new Date().toISOString());
  }

  /**
   * A person says they acted; an erasure is believed only when the system no longer shows the
   * subject. Undefined when a confirmation read again on a retry (`recheck`) does not hold: the
   * step then starts afresh.
   */
  private async afterManualStep(connector: Connector, type: ActionType, key: SubjectKey, confirmedState: ActionState, signal: AbortSignal): Promise<TaskOutcome | undefined> {
    const { recheck, ...state } = confirmedState;
    const by = `confirmed by ${state.confirmed!.by}`;
    if (type !== 'ERASURE') return { status: 'SUCCEEDED', note: by, result: { ...state, outcome: { status: 'SUCCEEDED', note: by } } };
    if (!manualStepsOf(connector).readable) {
      // nothing to read again: the person's confirmation, with their evidence, is the verification
      const note = `${by}; ${connector.system.name} has no API to read again, so the confirmation (${state.confirmed!.at}) is the verification`;
      return { status: 'SUCCEEDED', note, result: { ...state, outcome: { status: 'SUCCEEDED', note }, verifiedAt: state.confirmed!.at } };
    }
    const left = await this.leftOver(connector, key, [], signal);
    if (left) {
      if (recheck) return undefined;
      throw new TaskError(`verification failed: ${connector.system.name} still holds ${left} after the confirmed manual step`, { retryable: false });
    }
    const verifiedAt = new Date().toISOString();
    return { status: 'SUCCEEDED', note: by, result: { ...state, outcome: { status: 'SUCCEEDED', note: by }, verifiedAt } };
  }

  /** What the system still holds that no RETAIN or SUPPRESS step covers, as "<dataset> (n)"; undefined when nothing. */
  private async leftOver(connector: Connector, key: SubjectKey, plan: ErasurePlanStep[], signal: AbortSignal): Promise<string | undefined> {
    const kept = new Set(plan.filter((s) => s.action === 'RETAIN' || s.action === 'SUPPRESS').map((s) => s.dataset));
    const [snapshot] = await connector.collect([key], signal);
    const left = snapshot!.datasets.filter((d) => d.records.length > 0 && !kept.has(d.name));
    return left.length ? left.map((d) => `${d.name} (${d.records.length})`).join(', ') : undefined;
  }

  /**
   * The last step: an erasure leaves only HMACs of the identifiers and tombstones, here and in the
   * gateway's earlier requests about the same person (whose export files are deleted too).
   */
  private async finalize(task: DsrTaskEntity): Promise<TaskOutcome> {
    const r = await this.request(task);
    if (r.type === 'ERASURE') {
      const identifiers = this.requests.subjectOf(r).filter((i) => !i.erased);
      if (identifiers.length) {
        await this.tombstones.record(r.id, identifiers, new Date().toISOString());
        const named = new Set(identifiers.map((i) => `${i.kind}:${i.value}`));
        const naming = await this.tombstones.requestsNaming(identifiers);
        for (const id of new Set([r.id, ...naming])) {
          const other = id === r.id ? r : await this.requests.get(id);
          if (!other) continue;
          const hashed = this.requests
            .subjectOf(other)
            .map((i) => (i.erased || !named.has(`${i.kind}:${i.value}`) ? i : { kind: i.kind, value: this.tombstones.hashOf(i), source: i.source, erased: true }));
          await this.ds.getRepository(DsrRequestEntity).update({ id }, { subjectJson: JSON.stringify(hashed), note: null, changesJson: null });
          // the export file, its staged records and any files uploaded for it
          if (id !== r.id && EXPORT_TYPES.includes(other.type)) await this.exports?.removeExport(id);
        }
      }
      // the embedded store: erased text leaves the write-ahead log too
      if (this.ds.options.type === 'better-sqlite3') await this.ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
    }
    await this.audit.record({ actor: ACTOR, action: `request.${r.type.toLowerCase()}_completed`, requestId: r.id, subjectRef: r.subjectRef });
    return { status: 'SUCCEEDED' };
  }

  /** Dry run of an erasure: per system and dataset, what would happen. Changes nothing; audited. */
  async plan(op: Operator, input: SubjectInputLike): Promise<{ subject: Identifier[]; steps: PlannedStep[] }> {
    const given = normaliseSubject(input);
    await this.audit.record({ actor: op.name, action: 'subject.erasure_planned', subjectRef: this.subjects.subjectRef(given) });
    const view = await this.subjects.identify(this.opts.identifyLoaders(), given);
    const steps = await Promise.all(
      this.registry.connectors.map(async (c): Promise<PlannedStep[]> => {
        const key = keyFor(c, view.identifiers);
        if (Object.keys(key).length === 0) return [];
        const signal = AbortSignal.timeout(this.opts.deadlineMs(c.id));
        try {
          if (c.planErasure) return (await c.planErasure(key, signal)).map((s) => ({ system: c.id, ...s }));
          const [snapshot] = await c.collect([key], signal);
          const records = snapshot!.datasets.reduce((n, d) => n + d.records.length, 0);
          return records ? [{ system: c.id, dataset: '*', action: 'MANUAL', records, note: c.manualInstructions?.('ERASURE') }] : [];
        } catch (e) {
          return [{ system: c.id, dataset: '*', action: 'MANUAL', records: 0, note: `the plan could not be read: ${safeFailure(c, e).message}` }];
        }
      }),
    );
    return { subject: view.identifiers, steps: steps.flat() };
  }
}

function done(outcome: ActionOutcome, verifiedAt?: string): TaskOutcome {
  if (outcome.status === 'IN_PROGRESS') throw new TaskError('the system reported work in progress without a way to follow it', { retryable: true });
  const { resume: _resume, removals: _removals, checkAgainAfterMs: _after, ...rest } = outcome;
  const stored = { ...rest, retainedUntil: outcome.retainedUntil?.toISOString() };
  return { status: outcome.status, note: outcome.note ?? null, result: { outcome: stored, ...(verifiedAt ? { verifiedAt } : {}) } satisfies ActionState };
}

/**
 * A system without an API for this: a person must act (WAITING_FOR_OPERATOR, with the fields a
 * correction names), or there is nothing to do.
 */
function manual(connector: Connector, type: ActionType, fields: string[] = [], liftRestriction = false): TaskOutcome {
  const instructions = connector.manualInstructions?.(type, { liftRestriction });
  if (!instructions) return { status: 'SKIPPED', note: `${connector.system.name} cannot do this by API and names no manual step` };
  return waitingForOperator(connector, fields.length ? `${instructions} Fields: ${fields.join(', ')} (the new values are the request's changes).` : instructions);
}

/** Upstream trouble becomes a retryable failure with a message safe to show. */
function safeFailure(connector: Connector, e: unknown): TaskError {
  if (isHttpClientError(e)) return new TaskError(e.message, { retryable: true });
  const code = (e as { extensions?: { code?: unknown } })?.extensions?.code;
  if (isPublicCode(code)) return new TaskError((e as Error).message, { retryable: false });
  return new TaskError(`${connector.system.name} could not be changed`, { retryable: true });
}
