import type { DataSource } from 'typeorm';
import type { Operator } from '../auth/operators';
import type { Connector, Identifier, RetentionCandidate } from '../connectors/connector';
import type { ConnectorRegistry } from '../connectors/registry';
import { describeRule, formatDay } from '../connectors/retention';
import { DsrTaskEntity } from '../entities/dsr-task.entity';
import { isUniqueViolation } from '../db/retry';
import { badInput } from '../errors';
import type { TaskHandler, TaskOutcome } from '../jobs/worker';
import type { Logger } from '../logger';
import type { AuditService } from './audit.service';
import type { KeyedHash } from './keyed-hash';
import type { DsrRequestEntity } from '../entities/dsr-request.entity';
import type { RequestService, RetentionProposal } from './request.service';
import { SerialQueue } from './serial-queue';

/** One subject past a rule in one system, as listed. */
export interface ListedCandidate extends RetentionCandidate {
  system: string;
  /** The human rule text of the dataset (the descriptor's `retention`). */
  ruleText: string;
  /** An open request of any type that names the subject. */
  openRequestId: string | null;
}

export interface CandidatePage {
  candidates: (ListedCandidate & { cursor: string })[];
  hasNextPage: boolean;
  totalCount: number;
}

/** One person a sweep found, merged over every system that flags them. */
export interface SweepSubject {
  identifiers: Omit<Identifier, 'source'>[];
  systems: string[];
  /** The earliest moment a rule of theirs ended. */
  since: Date;
  /** The request created for them, or the open request that made the sweep skip them. */
  requestId: string | null;
  skipped: boolean;
}

export interface SweepResult {
  dryRun: boolean;
  candidates: number;
  created: number;
  skipped: number;
  requests: DsrRequestEntity[];
  subjects: SweepSubject[];
}

/** The actor of scheduled sweeps (in requests' submittedBy and the audit trail). */
export const SCHEDULED_SWEEP_ACTOR = 'retention-schedule';
export const SWEEP_TASK = 'retention-sweep';
/** Candidates read from a system per page during a sweep. */
const SWEEP_PAGE = 500;
/** Requests created per transaction. */
const SWEEP_BATCH = 100;

/**
 * Storage limitation (Art. 5(1)(e)): lists the subjects whose data is past a dataset's retention
 * rule in any system, and proposes their erasure. A sweep only creates ERASURE requests awaiting
 * approval: nothing is erased without the normal four-eyes flow.
 */
export class RetentionService {
  /** One sweep at a time in this process; between processes the retention keys keep them apart. */
  private readonly sweeps = new SerialQueue();

  constructor(
    private readonly ds: DataSource,
    private readonly registry: ConnectorRegistry,
    private readonly requests: RequestService,
    private readonly audit: AuditService,
    private readonly keyed: KeyedHash,
    private readonly opts: { sweepHours: number; maxAttempts: number; logger: Logger },
  ) {}

  private systems(): (Connector & Required<Pick<Connector, 'retentionCandidates'>>)[] {
    return this.registry.connectors.filter((c): c is Connector & Required<Pick<Connector, 'retentionCandidates'>> => typeof c.retentionCandidates === 'function');
  }

  /** A page of candidates over every system in registry order; audited with the number listed. */
  async candidates(op: Operator, page: { first: number; after?: string | null }, now = new Date()): Promise<CandidatePage> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > 200) throw badInput('first must be from 1 to 200');
    const systems = this.systems();
    const position = page.after ? decodeCursor(page.after) : undefined;
    const start = position ? systems.findIndex((c) => c.id === position.system) : 0;
    if (start < 0) throw badInput('after is not a cursor returned by retentionCandidates');
    const signal = new AbortController().signal;
    const listed: (ListedCandidate & { cursor: string })[] = [];
    let totalCount = 0;
    let hasNextPage = false;
    for (const [i, c] of systems.entries()) {
      // systems before the cursor's are only counted; so are those after a full page
      const want = i < start || listed.length >= page.first ? 0 : page.first - listed.length;
      const got = await c.retentionCandidates(now, { first: want, after: i === start ? position?.cursor : null, count: true }, signal);
      totalCount += got.totalCount ?? 0;
      for (const cand of got.candidates) listed.push({ ...this.listed(c, cand), cursor: encodeCursor(c.id, cand.cursor) });
      if (want > 0 ? got.hasNextPage : i > start && (got.totalCount ?? 0) > 0) hasNextPage = true;
    }
    const open = await this.requests.openRequestsNaming(listed.map((l) => l.identifiers));
    listed.forEach((l, i) => (l.openRequestId = open[i] ?? null));
    await this.audit.record({ actor: op.name, action: 'subject.retention_listed', count: listed.length });
    return { candidates: listed, hasNextPage, totalCount };
  }

  private listed(c: Connector, cand: RetentionCandidate): ListedCandidate {
    return { ...cand, system: c.id, ruleText: this.ruleText(c, cand), openRequestId: null };
  }

  private ruleText(c: Connector, cand: RetentionCandidate): string {
    return c.system.datasets.find((d) => d.name === cand.dataset)?.retention ?? describeRule(cand.rule);
  }

  /** Every candidate of every system, a page at a time, without auditing (a sweep's own reading). */
  private async *allCandidates(now: Date, signal: AbortSignal): AsyncGenerator<{ system: Connector; candidates: RetentionCandidate[] }> {
    for (const c of this.systems()) {
      let after: string | null = null;
      for (;;) {
        const page = await c.retentionCandidates(now, { first: SWEEP_PAGE, after, count: false }, signal);
        if (page.candidates.length) yield { system: c, candidates: page.candidates };
        if (!page.hasNextPage || page.candidates.length === 0) break;
        after = page.candidates.at(-1)!.cursor;
      }
    }
  }

  /**
   * Proposes the erasure of every subject past a rule: one ERASURE request per person (merged by
   * identifiers over the systems that flag them), origin RETENTION, awaiting approval. A person
   * named by an open request of any type is skipped, and so is one already proposed for the same
   * rule and date (the deterministic retention key: two sweeps at once still create one request).
   */
  sweep(actor: string, dryRun: boolean, now = new Date()): Promise<SweepResult> {
    return this.sweeps.run(() => this.sweepNow(actor, dryRun, now));
  }

  private async sweepNow(actor: string, dryRun: boolean, now: Date): Promise<SweepResult> {
    const signal = new AbortController().signal;
    const merged = new SubjectMerger();
    for await (const page of this.allCandidates(now, signal)) {
      for (const cand of page.candidates) merged.add(page.system.id, this.ruleText(page.system, cand), cand);
    }
    const subjects = merged.subjects();
    const result: SweepResult = { dryRun, candidates: subjects.length, created: 0, skipped: 0, requests: [], subjects: [] };
    const named = await this.requests.openRequestIdentifiers();
    for (let i = 0; i < subjects.length; i += SWEEP_BATCH) {
      const batch = subjects.slice(i, i + SWEEP_BATCH);
      const open = batch.map((s) => s.identifiers.map((id) => named.get(`${id.kind}:${id.value}`)).find((id) => id !== undefined) ?? null);
      const proposals: (RetentionProposal & { view: SweepSubject })[] = [];
      batch.forEach((s, k) => {
        const view: SweepSubject = { identifiers: s.identifiers, systems: s.systems, since: s.since, requestId: open[k] ?? null, skipped: open[k] !== null };
        result.subjects.push(view);
        if (!view.skipped) proposals.push({ view, identifiers: s.identifiers, retentionKey: this.retentionKey(s), note: merged.noteOf(s) });
      });
      // proposed before for this rule and date (and since closed), or by another sweep just now
      const proposed = dryRun ? await this.requests.storedRetentionKeys(proposals.map((p) => p.retentionKey)) : new Set<string>();
      const created = dryRun || proposals.length === 0 ? [] : await this.requests.submitRetention(actor, proposals, now);
      const byKey = new Map(created.map((r) => [r.retentionKey, r]));
      for (const p of proposals) {
        const r = byKey.get(p.retentionKey);
        if (r) p.view.requestId = r.id;
        else if (!dryRun || proposed.has(p.retentionKey)) p.view.skipped = true;
      }
      result.skipped += batch.length - proposals.length + proposals.filter((p) => p.view.skipped).length;
      result.created += created.length;
      result.requests.push(...created);
    }
    if (subjects.length) await this.audit.record({ actor, action: 'subject.retention_listed', count: subjects.length });
    this.opts.logger.info({ dryRun, candidates: result.candidates, created: result.created, skipped: result.skipped }, 'retention sweep');
    return result;
  }

  /** HMAC of the subject's identifiers and the rules that flag them, with their dates. */
  private retentionKey(s: MergedSubject): string {
    const ids = s.identifiers.map((i) => `${i.kind}=${i.value}`).sort();
    return this.keyed.hex(`retention\n${ids.join('&')}\n${[...s.flags].sort().join('&')}`);
  }

  // --- the scheduled sweep -------------------------------------------------------------------

  handlers(): Record<string, TaskHandler> {
    return { [SWEEP_TASK]: () => this.scheduledSweep() };
  }

  private async scheduledSweep(): Promise<TaskOutcome> {
    await this.schedule(); // the next one first, so a failing sweep does not end the schedule
    const result = await this.sweep(SCHEDULED_SWEEP_ACTOR, false);
    return { status: 'SUCCEEDED', note: `${result.candidates} candidates, ${result.created} erasure requests proposed, ${result.skipped} skipped` };
  }

  /**
   * Makes sure the next scheduled sweep is in the task table (when DSR_RETENTION_SWEEP_HOURS is
   * set): one task per period slot, keyed by the slot, so however many processes schedule it the
   * unique (request, kind, system) index keeps one, and the queue's lease gives it to one worker.
   */
  async schedule(now = Date.now()): Promise<void> {
    const periodMs = this.opts.sweepHours * 3_600_000;
    if (periodMs <= 0) return;
    const slot = Math.floor(now / periodMs) + 1;
    const task = DsrTaskEntity.create({
      requestId: `retention:${slot}`,
      kind: SWEEP_TASK,
      system: '-',
      state: 'ready',
      runAfter: new Date(slot * periodMs).toISOString(),
      maxAttempts: this.opts.maxAttempts,
    });
    const repo = this.ds.getRepository(DsrTaskEntity);
    if (await repo.findOneBy({ requestId: task.requestId, kind: SWEEP_TASK })) return;
    try {
      await repo.insert(task);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e; // another process scheduled the same slot
    }
  }
}

interface MergedSubject {
  identifiers: Omit<Identifier, 'source'>[];
  systems: string[];
  /** "system/dataset@since" of every rule that flags the subject (noted once per distinct rule and day). */
  flags: string[];
  since: Date;
}

/** Merges candidates that share any identifier into one subject (union of their identifiers). */
class SubjectMerger {
  private readonly byIdentifier = new Map<string, MergedSubject>();
  private readonly all = new Set<MergedSubject>();
  /** The note of each distinct flag, written once (many subjects share a rule and day). */
  readonly notes = new Map<string, string>();

  add(system: string, ruleText: string, c: RetentionCandidate): void {
    let into: MergedSubject | undefined;
    for (const i of c.identifiers) {
      const other = this.byIdentifier.get(`${i.kind}:${i.value}`);
      if (!other || other === into) continue;
      if (!into) into = other;
      else this.absorb(into, other);
    }
    if (!into) {
      into = { identifiers: [], systems: [], flags: [], since: c.since };
      this.all.add(into);
    }
    for (const i of c.identifiers) this.addIdentifier(into, i);
    if (!into.systems.includes(system)) into.systems.push(system);
    const flag = `${system}/${c.dataset}@${c.since.getTime()}`;
    if (!this.notes.has(flag)) this.notes.set(flag, `${system}/${c.dataset}: ${ruleText}; past it since ${formatDay(c.since)}`);
    if (!into.flags.includes(flag)) into.flags.push(flag);
    if (c.since < into.since) into.since = c.since;
  }

  /** One person found under identifiers first seen apart: `other` joins `into`. */
  private absorb(into: MergedSubject, other: MergedSubject): void {
    for (const i of other.identifiers) this.addIdentifier(into, i);
    for (const s of other.systems) if (!into.systems.includes(s)) into.systems.push(s);
    for (const f of other.flags) if (!into.flags.includes(f)) into.flags.push(f);
    if (other.since < into.since) into.since = other.since;
    this.all.delete(other);
  }

  private addIdentifier(s: MergedSubject, i: Omit<Identifier, 'source'>): void {
    if (!s.identifiers.some((x) => x.kind === i.kind && x.value === i.value)) s.identifiers.push({ kind: i.kind, value: i.value });
    this.byIdentifier.set(`${i.kind}:${i.value}`, s);
  }

  subjects(): MergedSubject[] {
    return [...this.all];
  }

  noteOf(s: MergedSubject): string {
    return `Retention: ${s.flags.map((f) => this.notes.get(f)).join(' | ')}`;
  }
}

function encodeCursor(system: string, cursor: string): string {
  return Buffer.from(`ret:${system}|${cursor}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { system: string; cursor: string } {
  const m = /^ret:([a-z][a-z0-9-]{0,31})\|(.{1,500})$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badInput('after is not a cursor returned by retentionCandidates');
  return { system: m[1]!, cursor: m[2]! };
}
