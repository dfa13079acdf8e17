import type { DsrTaskEntity } from '../entities/dsr-task.entity';
import type { Logger } from '../logger';
import type { Claim, TaskQueue } from './task-queue';

/**
 * What a handler reports for its task; WAITING_FOR_OPERATOR parks the task until a person acts.
 * RUNNING: the work goes on at a remote system; the task is deferred (no worker waits) and runs
 * again after `deferMs` with `result` as its stored state.
 */
export interface TaskOutcome {
  status: 'SUCCEEDED' | 'NOT_FOUND' | 'RETAINED' | 'WAITING_FOR_OPERATOR' | 'SKIPPED' | 'RUNNING';
  recordsExported?: number | null;
  note?: string | null;
  /** Step-specific state kept with the task as JSON. */
  result?: unknown;
  /** RUNNING: how long until the task is run again. */
  deferMs?: number;
  /** WAITING_FOR_OPERATOR: when the person's time is up (ISO-8601). */
  dueAt?: string | null;
}

export interface TaskContext {
  /** Aborted when the lease is lost or the worker shuts down: stop, the result will be discarded. */
  signal: AbortSignal;
  /** Stores the count so far (one UPDATE: call it every few thousand records, not per record). Throws when the lease is lost. */
  progress(records: number): Promise<void>;
}

/** Runs one task; must be idempotent (a task taken over from a crashed worker runs again). */
export type TaskHandler = (task: DsrTaskEntity, ctx: TaskContext) => Promise<TaskOutcome>;

/** An expected failure; its message is stored on the task and must be safe (no upstream text, no personal data). */
export class TaskError extends Error {
  readonly retryable: boolean;
  /** When set, replaces the task's stored state (null clears it). */
  readonly result?: unknown;

  constructor(message: string, opts: { retryable: boolean; result?: unknown }) {
    super(message);
    this.name = 'TaskError';
    this.retryable = opts.retryable;
    if (opts.result !== undefined) this.result = opts.result;
  }
}

/** The reason a handler's signal is aborted. */
export class TaskAbortedError extends Error {
  constructor(readonly reason: 'lease lost' | 'shutdown') {
    super(`task aborted: ${reason}`);
    this.name = 'AbortError';
  }
}

export interface WorkerOptions {
  /** Tasks run at once by this worker (default 2). */
  concurrency?: number;
  /** Idle polling interval when nothing is due (default 250 ms). */
  pollMs?: number;
  logger: Logger;
  /** Called after a task settles here (completed, blocked, failed or put back for a retry). */
  onSettled?: (task: DsrTaskEntity) => Promise<void>;
  /** How long handlers aborted by stop() get to unwind (close cursors and files) before it returns (default 5 s). */
  unwindMs?: number;
}

const OUTCOME_STATUSES = new Set(['SUCCEEDED', 'NOT_FOUND', 'RETAINED', 'WAITING_FOR_OPERATOR', 'SKIPPED', 'RUNNING']);
const INTERNAL_ERROR = 'internal error';
const INTERRUPTED = 'the task was interrupted too many times';
const DEFAULT_GRACE_MS = 10_000;
const DEFAULT_UNWIND_MS = 5_000;

interface Running {
  task: DsrTaskEntity;
  controller: AbortController;
  /** 'running' until the handler has returned; after that an abort no longer applies. */
  phase: 'running' | 'settling';
  done: Promise<void>;
  /** The handler itself, settled or not: after an abort it may still be unwinding. */
  handler?: Promise<unknown>;
}

/**
 * Claims tasks of the kinds it has handlers for and runs them, renewing each lease every
 * leaseMs / 3. A lost lease aborts the handler and its result is dropped (the new owner reports).
 * A handler's unexpected error is retried as "internal error"; only its name is logged.
 */
export class Worker {
  private readonly kinds: string[];
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly logger: Logger;
  private readonly onSettled?: (task: DsrTaskEntity) => Promise<void>;
  private readonly unwindMs: number;
  private readonly running = new Set<Running>();
  private loop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private halted = false;
  private nudged = false;
  private nudge: (() => void) | null = null;

  constructor(
    private readonly queue: TaskQueue,
    private readonly handlers: Record<string, TaskHandler>,
    opts: WorkerOptions,
  ) {
    this.kinds = Object.keys(handlers);
    if (this.kinds.length === 0) throw new Error('Worker needs at least one task handler');
    this.concurrency = opts.concurrency ?? 2;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error('Worker concurrency must be a positive integer');
    this.pollMs = opts.pollMs ?? 250;
    this.logger = opts.logger;
    this.onSettled = opts.onSettled;
    this.unwindMs = opts.unwindMs ?? DEFAULT_UNWIND_MS;
  }

  start(): void {
    if (this.halted) throw new Error('Worker was stopped');
    if (this.loop) return;
    this.loop = this.claimLoop();
  }

  /** Looks for due tasks now instead of at the next poll (call after inserting tasks). */
  wake(): void {
    this.nudged = true;
    this.nudge?.();
  }

  /**
   * Stops claiming, lets running handlers finish for up to graceMs, then aborts the rest and
   * releases their tasks so another worker picks them up at once.
   */
  stop(opts: { graceMs?: number } = {}): Promise<void> {
    this.stopping ??= this.shutdown(opts.graceMs ?? DEFAULT_GRACE_MS);
    return this.stopping;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.halted = true;
    this.wake();
    await this.loop;
    const all = () => Promise.all([...this.running].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const finished = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (finished === 'late') {
      const aborted = [...this.running].filter((r) => r.phase === 'running');
      for (const r of aborted) r.controller.abort(new TaskAbortedError('shutdown'));
      await all();
      // the connectors and the store close next: let the handlers let go of their connections first
      const unwound = await Promise.race([
        Promise.all(aborted.map((r) => r.handler)).then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), this.unwindMs).unref()),
      ]);
      if (!unwound) this.logger.warn({ tasks: aborted.length }, 'aborted tasks still unwinding; closing anyway');
    }
  }

  private async claimLoop(): Promise<void> {
    while (!this.halted) {
      if (this.running.size >= this.concurrency) {
        await this.idle(null);
        continue;
      }
      let claim: Claim | null;
      try {
        claim = await this.queue.claimNext(this.kinds);
      } catch (e) {
        this.logger.warn({ err: { name: errorName(e), code: errorCode(e) } }, 'task claim failed');
        await this.idle(this.pollMs * 4);
        continue;
      }
      if (!claim) {
        await this.idle(this.pollMs);
        continue;
      }
      if (this.halted) {
        await this.queue.release(claim.task).catch(() => false);
        break;
      }
      this.launch(claim);
    }
  }

  /** Waits for wake(), a free slot, stop() or ms (null: no timeout). */
  private async idle(ms: number | null): Promise<void> {
    if (this.nudged || this.halted) {
      this.nudged = false;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.nudge = resolve;
      if (ms !== null) timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.nudge = null;
    this.nudged = false;
  }

  private launch(claim: Claim): void {
    const entry: Running = { task: claim.task, controller: new AbortController(), phase: 'running', done: Promise.resolve() };
    entry.done = this.execute(entry, claim)
      .catch((e) => this.logger.error({ ...this.describe(claim.task), err: { name: errorName(e), code: errorCode(e) } }, 'task bookkeeping failed'))
      .finally(() => {
        this.running.delete(entry);
        this.wake();
      });
    this.running.add(entry);
  }

  private async execute(entry: Running, claim: Claim): Promise<void> {
    const { task } = entry;
    const { signal } = entry.controller;
    const started = Date.now();
    const log = this.describe(task);
    if (claim.takeover) this.logger.warn({ ...log, previousOwner: claim.takeover.previousOwner }, 'task taken over from an expired lease');

    if (task.attempts > task.maxAttempts) {
      // only take-overs count past the limit: the task keeps dying with its worker
      const result = await this.queue.fail(task, { message: INTERRUPTED, retryable: false });
      this.logger.warn({ ...log, outcome: result === 'lost' ? 'lease lost' : 'FAILED', durationMs: 0 }, 'task abandoned');
      if (result !== 'lost') await this.settled(task);
      return;
    }

    const leaseLost = () => {
      if (entry.phase === 'running' && !signal.aborted) entry.controller.abort(new TaskAbortedError('lease lost'));
    };
    let renewing = false;
    const renewals = setInterval(() => {
      if (renewing || entry.phase !== 'running') return;
      renewing = true;
      this.queue
        .renew(task)
        .then((held) => held || leaseLost())
        // a database hiccup: keep trying; if the lease runs out meanwhile, the next renewal says so
        .catch((e) => this.logger.warn({ ...log, err: { name: errorName(e), code: errorCode(e) } }, 'lease renewal failed'))
        .finally(() => (renewing = false));
    }, Math.max(1, Math.floor(this.queue.leaseMs / 3)));
    renewals.unref();

    const ctx = {
      signal,
      progress: async (records: number) => {
        signal.throwIfAborted();
        if (!(await this.queue.progress(task, records))) {
          leaseLost();
          signal.throwIfAborted();
        }
      },
    };
    const handler = this.handlers[task.kind]!;
    const run = Promise.resolve()
      .then(() => handler(task, ctx))
      .then(
        (outcome) => ({ ok: true as const, outcome }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    entry.handler = run;
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal.aborted) resolve('aborted');
      else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const result = await Promise.race([run, aborted]);
    if (result !== 'aborted') entry.phase = 'settling';
    clearInterval(renewals);
    const durationMs = Date.now() - started;

    if (result === 'aborted') {
      const reason = signal.reason instanceof TaskAbortedError ? signal.reason.reason : 'lease lost';
      if (reason === 'shutdown') {
        const released = await this.queue.release(task);
        this.logger.info({ ...log, outcome: released ? 'released' : 'lease lost', durationMs }, 'task interrupted by shutdown');
      } else {
        this.logger.warn({ ...log, outcome: 'lease lost', durationMs }, 'task lease lost; result discarded');
      }
      return;
    }

    if (result.ok && isOutcome(result.outcome) && result.outcome.status === 'RUNNING') {
      const deferMs = Math.max(0, result.outcome.deferMs ?? this.pollMs);
      const deferred = await this.queue.defer(task, deferMs, { note: result.outcome.note, result: result.outcome.result });
      this.logger.info({ ...log, outcome: deferred ? 'DEFERRED' : 'lease lost', runAfter: task.runAfter, durationMs }, 'task deferred');
      if (deferred) await this.settled(task);
      return;
    }

    if (result.ok && isOutcome(result.outcome)) {
      const done = await this.queue.complete(task, result.outcome);
      if (!done) {
        this.logger.warn({ ...log, outcome: 'lease lost', durationMs }, 'task lease lost; result discarded');
        return;
      }
      this.logger.info({ ...log, outcome: task.status, recordsExported: task.recordsExported, durationMs }, 'task finished');
      await this.settled(task);
      return;
    }

    let failure: { message: string; retryable: boolean; result?: unknown };
    if (!result.ok && result.error instanceof TaskError) {
      failure = { message: result.error.message, retryable: result.error.retryable, result: result.error.result };
    } else {
      failure = { message: INTERNAL_ERROR, retryable: true };
      const name = result.ok ? 'InvalidOutcome' : errorName(result.error);
      this.logger.error({ ...log, err: { name }, durationMs }, 'task handler failed unexpectedly');
    }
    const next = await this.queue.fail(task, failure);
    if (next === 'lost') {
      this.logger.warn({ ...log, outcome: 'lease lost', durationMs }, 'task lease lost; failure discarded');
      return;
    }
    this.logger.info({ ...log, outcome: next === 'retry' ? 'RETRY' : 'FAILED', retryable: failure.retryable, runAfter: next === 'retry' ? task.runAfter : undefined, durationMs }, 'task failed');
    await this.settled(task);
  }

  private async settled(task: DsrTaskEntity): Promise<void> {
    if (!this.onSettled) return;
    try {
      await this.onSettled(task);
    } catch (e) {
      this.logger.error({ ...this.describe(task), err: { name: errorName(e), code: errorCode(e) } }, 'onSettled failed');
    }
  }

  private describe(task: DsrTaskEntity) {
    return { taskId: task.id, requestId: task.requestId, kind: task.kind, system: task.system, attempt: task.attempts };
  }
}

function isOutcome(value: unknown): value is TaskOutcome {
  return typeof value === 'object' && value !== null && OUTCOME_STATUSES.has((value as { status?: unknown }).status as string);
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

/** Driver error codes (ER_LOCK_DEADLOCK, SQLITE_BUSY) say what went wrong without any data. */
function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
