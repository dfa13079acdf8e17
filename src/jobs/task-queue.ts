import { EventEmitter } from 'node:events';
import { Brackets, type DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { DsrTaskEntity } from '../entities/dsr-task.entity';

/** Scheduling states of a task (DsrTaskEntity.state). */
export const TaskState = { READY: 'ready', LEASED: 'leased', DONE: 'done', BLOCKED: 'blocked' } as const;

/** Statuses a finished (or operator-blocked) task may be given by `complete`. */
export const SETTLED_STATUSES = ['SUCCEEDED', 'NOT_FOUND', 'RETAINED', 'SKIPPED', 'FAILED', 'WAITING_FOR_OPERATOR'] as const;

/** Exponential backoff with equal jitter: attempt n waits between half and all of min(cap, base * 2^(n-1)). */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** A number in [0, 1); Math.random unless a test pins it. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000 };

export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n - 1, 40));
  const random = policy.random ?? Math.random;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface TaskQueueOptions {
  /** Names this process in `lease_owner` (at most 64 characters), e.g. host:pid:random. */
  owner: string;
  /** How long a claim or a renewal holds the task; the worker renews every leaseMs / 3. */
  leaseMs: number;
  clock?: () => number;
  backoff?: Partial<BackoffPolicy>;
}

export interface TaskOutcomeRecord {
  status: string;
  recordsExported?: number | null;
  note?: string | null;
  /** Stored as JSON in result_json; undefined leaves what is there. */
  result?: unknown;
  /** WAITING_FOR_OPERATOR: when the person's time is up (ISO-8601); undefined leaves what is there. */
  dueAt?: string | null;
}

export interface Takeover {
  /** The worker whose lease had expired (a crashed or stalled process). */
  previousOwner: string | null;
  leaseExpiredAt: string | null;
}

export interface Claim {
  task: DsrTaskEntity;
  /** Set when the task was taken over from an expired lease rather than picked up ready. */
  takeover: Takeover | null;
}

export interface TaskQueueEvents {
  /** A task whose lease had expired was claimed by this queue (count it: it means a worker died or stalled). */
  takeover: [event: Takeover & { task: DsrTaskEntity }];
}

const LAST_ERROR_MAX = 500;
const NOTE_MAX = 1000;
/** On SQLite a claim is compare-and-set; another writer winning the same row makes us look again. */
const CLAIM_RACES = 8;

/**
 * The durable task table as a queue with leases. Every change to a claimed task is one guarded
 * UPDATE (`id`, `state = 'leased'`, `lease_owner`, `attempts`), so a worker whose lease has been
 * taken over changes nothing; the attempt number identifies the lease, so a stale handle of this
 * same owner cannot act on a later lease either. The methods update the entity passed in to match
 * the row when they succeed.
 *
 * Claiming: MySQL locks one candidate with `SELECT ... FOR UPDATE SKIP LOCKED` (READ COMMITTED, so
 * no gap locks and other processes skip past it) and updates it in the same transaction; SQLite
 * reads a candidate and claims it with a compare-and-set UPDATE (its writes are serialised by the
 * database lock, also across processes).
 *
 * Execution is at least once: a task taken over from a crashed worker runs again, so handlers
 * must be idempotent.
 */
export class TaskQueue extends EventEmitter<TaskQueueEvents> {
  readonly owner: string;
  readonly leaseMs: number;
  private readonly clock: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly mysql: boolean;

  constructor(
    private readonly ds: DataSource,
    opts: TaskQueueOptions,
  ) {
    super();
    if (!opts.owner || opts.owner.length > 64) throw new Error('TaskQueue owner must be 1 to 64 characters');
    if (!(opts.leaseMs > 0)) throw new Error('TaskQueue leaseMs must be positive');
    this.owner = opts.owner;
    this.leaseMs = opts.leaseMs;
    this.clock = opts.clock ?? Date.now;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    if (!(this.backoff.baseMs > 0) || !(this.backoff.capMs >= this.backoff.baseMs)) {
      throw new Error('TaskQueue backoff needs 0 < baseMs <= capMs');
    }
    this.mysql = ds.options.type === 'mysql' || ds.options.type === 'mariadb';
  }

  /** Claims one due task (of the given kinds), or null when there is none. */
  async claim(kinds?: string[]): Promise<DsrTaskEntity | null> {
    return (await this.claimNext(kinds))?.task ?? null;
  }

  /** As `claim`, also saying whether the task was taken over from an expired lease. */
  async claimNext(kinds?: string[]): Promise<Claim | null> {
    if (kinds && kinds.length === 0) return null;
    const claim = this.mysql ? await this.claimLocked(kinds) : await this.claimCompareAndSet(kinds);
    if (claim?.takeover) this.emit('takeover', { ...claim.takeover, task: claim.task });
    return claim;
  }

  private claimLocked(kinds: string[] | undefined): Promise<Claim | null> {
    return this.ds.transaction('READ COMMITTED', async (m) => {
      const now = this.now();
      // expired leases first: they are few (at most one per running task) and the oldest work
      for (const which of ['expired', 'ready'] as const) {
        const row = await this.candidate(m, which, now, kinds).setLock('pessimistic_write').setOnLocked('skip_locked').getOne();
        const claim = row && (await this.take(m, row, now));
        if (claim) return claim;
      }
      return null;
    });
  }

  private async claimCompareAndSet(kinds: string[] | undefined): Promise<Claim | null> {
    const m = this.ds.manager;
    for (let race = 0; race < CLAIM_RACES; race++) {
      const now = this.now();
      const row = (await this.candidate(m, 'expired', now, kinds).getOne()) ?? (await this.candidate(m, 'ready', now, kinds).getOne());
      if (!row) return null;
      const claim = await this.take(m, row, now);
      if (claim) return claim;
    }
    return null;
  }

  private candidate(m: EntityManager, which: 'ready' | 'expired', now: string, kinds: string[] | undefined): SelectQueryBuilder<DsrTaskEntity> {
    const q = m.getRepository(DsrTaskEntity).createQueryBuilder('t');
    if (which === 'ready') q.where('t.state = :ready AND t.runAfter <= :now', { ready: TaskState.READY, now });
    else q.where('t.state = :leased AND t.leaseExpiresAt < :now', { leased: TaskState.LEASED, now });
    if (kinds) q.andWhere('t.kind IN (:...kinds)', { kinds });
    return q.orderBy('t.runAfter', 'ASC').addOrderBy('t.id', 'ASC').limit(1);
  }

  /** Claims the row read as a candidate if it is still what was read and still claimable. */
  private async take(m: EntityManager, row: DsrTaskEntity, now: string): Promise<Claim | null> {
    const takeover: Takeover | null = row.state === TaskState.LEASED ? { previousOwner: row.leaseOwner, leaseExpiredAt: row.leaseExpiresAt } : null;
    const next = {
      state: TaskState.LEASED,
      leaseOwner: this.owner,
      leaseExpiresAt: this.at(this.leaseMs),
      attempts: row.attempts + 1,
      status: 'RUNNING',
      startedAt: row.startedAt ?? now,
    };
    const res = await m
      .createQueryBuilder()
      .update(DsrTaskEntity)
      .set(next)
      .where('id = :id AND state = :state AND attempts = :attempts', { id: row.id, state: row.state, attempts: row.attempts })
      .andWhere(
        new Brackets((w) =>
          w
            .where('(state = :ready AND run_after <= :now)', { ready: TaskState.READY, now })
            .orWhere('(state = :leased AND lease_expires_at < :now)', { leased: TaskState.LEASED }),
        ),
      )
      .execute();
    if (res.affected !== 1) return null;
    Object.assign(row, next);
    return { task: row, takeover };
  }

  /** Extends the lease; false when this owner no longer holds it. */
  async renew(task: DsrTaskEntity): Promise<boolean> {
    const leaseExpiresAt = this.at(this.leaseMs);
    if (!(await this.updateHeld(task, { leaseExpiresAt }))) return false;
    task.leaseExpiresAt = leaseExpiresAt;
    return true;
  }

  /** Records progress while the task runs; false when the lease is lost. */
  async progress(task: DsrTaskEntity, recordsExported: number): Promise<boolean> {
    if (!Number.isInteger(recordsExported) || recordsExported < 0) throw new Error('recordsExported must be a non-negative integer');
    if (!(await this.updateHeld(task, { recordsExported }))) return false;
    task.recordsExported = recordsExported;
    return true;
  }

  /**
   * Finishes a held task with its outcome: state 'done' (or 'blocked' for WAITING_FOR_OPERATOR,
   * which waits for a person), lease cleared. False when the lease was lost: another worker has
   * the task and this result is discarded.
   */
  async complete(task: DsrTaskEntity, outcome: TaskOutcomeRecord): Promise<boolean> {
    if (!(SETTLED_STATUSES as readonly string[]).includes(outcome.status)) throw new Error(`complete() cannot set status ${outcome.status}`);
    const blocked = outcome.status === 'WAITING_FOR_OPERATOR';
    const next: Partial<DsrTaskEntity> = {
      state: blocked ? TaskState.BLOCKED : TaskState.DONE,
      status: outcome.status,
      finishedAt: blocked ? null : this.at(0),
      leaseOwner: null,
      leaseExpiresAt: null,
    };
    if (outcome.recordsExported !== undefined) next.recordsExported = outcome.recordsExported;
    if (outcome.note !== undefined) next.note = outcome.note === null ? null : cap(outcome.note, NOTE_MAX);
    if (outcome.result !== undefined) next.resultJson = outcome.result === null ? null : JSON.stringify(outcome.result);
    if (outcome.dueAt !== undefined) next.dueAt = outcome.dueAt;
    if (!(await this.updateHeld(task, next))) return false;
    Object.assign(task, next);
    return true;
  }

  /**
   * A failed attempt: retried later (state 'ready', PENDING, runAfter pushed back with backoff)
   * when retryable and attempts remain, otherwise FAILED for good. The message is stored as given
   * (callers pass safe text), cut to the column's length; `result`, when given, replaces the
   * stored state. 'lost' when the lease was lost.
   */
  async fail(task: DsrTaskEntity, error: { message: string; retryable: boolean; result?: unknown }): Promise<'retry' | 'failed' | 'lost'> {
    const lastError = cap(error.message, LAST_ERROR_MAX);
    const retry = error.retryable && task.attempts < task.maxAttempts;
    const next: Partial<DsrTaskEntity> = retry
      ? { state: TaskState.READY, status: 'PENDING', runAfter: this.at(backoffDelay(task.attempts, this.backoff)), lastError, leaseOwner: null, leaseExpiresAt: null }
      : { state: TaskState.DONE, status: 'FAILED', finishedAt: this.at(0), lastError, leaseOwner: null, leaseExpiresAt: null };
    // a failure may replace the step's state (e.g. forget a remote job that failed, so a retry starts afresh)
    if (error.result !== undefined) next.resultJson = error.result === null ? null : JSON.stringify(error.result);
    if (!(await this.updateHeld(task, next))) return 'lost';
    Object.assign(task, next);
    return retry ? 'retry' : 'failed';
  }

  /** Gives a held task back untouched (graceful shutdown): claimable at once, the attempt not counted. */
  async release(task: DsrTaskEntity): Promise<boolean> {
    const next: Partial<DsrTaskEntity> = { state: TaskState.READY, status: 'PENDING', leaseOwner: null, leaseExpiresAt: null, attempts: task.attempts - 1 };
    if (!(await this.updateHeld(task, next))) return false;
    Object.assign(task, next);
    return true;
  }

  /**
   * The work goes on elsewhere (a job at a remote system): the lease is released and the task
   * claimable again after `delayMs`, the attempt not counted (as `release`), shown RUNNING with a
   * note, and `result` (the state to resume from) stored in result_json. No worker waits for it.
   */
  async defer(task: DsrTaskEntity, delayMs: number, outcome: { note?: string | null; result?: unknown } = {}): Promise<boolean> {
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error('defer() needs a non-negative delay');
    const next: Partial<DsrTaskEntity> = {
      state: TaskState.READY,
      status: 'RUNNING',
      runAfter: this.at(delayMs),
      leaseOwner: null,
      leaseExpiresAt: null,
      attempts: task.attempts - 1,
    };
    if (outcome.note !== undefined) next.note = outcome.note === null ? null : cap(outcome.note, NOTE_MAX);
    if (outcome.result !== undefined) next.resultJson = outcome.result === null ? null : JSON.stringify(outcome.result);
    if (!(await this.updateHeld(task, next))) return false;
    Object.assign(task, next);
    return true;
  }

  private async updateHeld(task: DsrTaskEntity, set: Partial<DsrTaskEntity>): Promise<boolean> {
    const res = await this.ds
      .createQueryBuilder()
      .update(DsrTaskEntity)
      .set(set)
      .where('id = :id AND state = :leased AND lease_owner = :owner AND attempts = :attempts', {
        id: task.id,
        leased: TaskState.LEASED,
        owner: this.owner,
        attempts: task.attempts,
      })
      .execute();
    return res.affected === 1;
  }

  private now(): string {
    return this.at(0);
  }

  private at(offsetMs: number): string {
    return new Date(this.clock() + offsetMs).toISOString();
  }
}

/** Cuts text to a column's length in characters (code points, as MySQL counts them). */
function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join('');
}
