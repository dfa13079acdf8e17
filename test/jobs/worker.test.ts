import type { DataSource } from 'typeorm';
import { DsrTaskEntity } from '../../src/entities/dsr-task.entity';
import { TaskQueue } from '../../src/jobs/task-queue';
import { TaskError, Worker, type TaskHandler } from '../../src/jobs/worker';
import { TEST_DATABASE } from '../support/databases';
import { captureLogger, deferred, insertTasks, iso, load, openJobsStore, sleep, until, type JobsStore } from './helpers';

describe(`Worker on ${TEST_DATABASE}`, () => {
  let store: JobsStore;
  let ds: DataSource;
  const workers: Worker[] = [];
  const fastBackoff = { baseMs: 100, capMs: 1000, random: () => 1 };
  const newQueue = (owner: string, leaseMs = 600, on: DataSource = ds) => new TaskQueue(on, { owner, leaseMs, backoff: fastBackoff });
  const newWorker = (queue: TaskQueue, handlers: Record<string, TaskHandler>, opts: Partial<ConstructorParameters<typeof Worker>[2]> = {}) => {
    const w = new Worker(queue, handlers, { logger: captureLogger().logger, pollMs: 20, ...opts });
    workers.push(w);
    w.start();
    return w;
  };

  const untilDone = (id: string) =>
    until(async () => {
      const row = await load(ds, id);
      return row.state === 'done' && row;
    });

  beforeAll(async () => {
    store = await openJobsStore('worker');
    ds = store.ds;
  });
  afterAll(() => store.close());
  beforeEach(() => ds.getRepository(DsrTaskEntity).clear());
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 0 })));
  });

  it('claims a task once, runs it, shows progress while it runs, and completes it', async () => {
    const [task] = await insertTasks(ds, 1);
    const runs = new Map<string, number>();
    const proceed = deferred();
    const settled: DsrTaskEntity[] = [];
    const log = captureLogger();
    newWorker(
      newQueue('w1'),
      {
        system: async (t, ctx) => {
          runs.set(t.id, (runs.get(t.id) ?? 0) + 1);
          await ctx.progress(500);
          await proceed.promise;
          return { status: 'SUCCEEDED', recordsExported: 1200, result: { staged: ['x.json'] } };
        },
      },
      { logger: log.logger, onSettled: async (t) => void settled.push(t) },
    );
    const running = await until(async () => {
      const row = await load(ds, task!.id);
      return row.recordsExported === 500 && row;
    });
    expect(running).toMatchObject({ state: 'leased', status: 'RUNNING', leaseOwner: 'w1', attempts: 1 });
    proceed.resolve();
    const done = await until(async () => {
      const row = await load(ds, task!.id);
      return row.state === 'done' && row;
    });
    expect(done).toMatchObject({ status: 'SUCCEEDED', recordsExported: 1200, attempts: 1, leaseOwner: null, leaseExpiresAt: null, resultJson: '{"staged":["x.json"]}' });
    expect(done.finishedAt! >= done.startedAt!).toBe(true);
    await until(() => settled.length === 1);
    expect(settled[0]).toMatchObject({ id: task!.id, status: 'SUCCEEDED' });
    await sleep(100);
    expect([...runs.values()]).toEqual([1]);
    const line = log.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'task finished');
    expect(line).toMatchObject({ taskId: task!.id, requestId: task!.requestId, kind: 'system', system: 'sys0', attempt: 1, outcome: 'SUCCEEDED' });
    expect(typeof line.durationMs).toBe('number');
  });

  it('renews the lease while a handler runs longer than the lease', async () => {
    const [task] = await insertTasks(ds, 1);
    const other = newQueue('other', 300);
    newWorker(newQueue('w1', 300), {
      system: async () => {
        await sleep(1000);
        return { status: 'NOT_FOUND', recordsExported: 0 };
      },
    });
    await until(async () => (await load(ds, task!.id)).leaseOwner === 'w1');
    const seen = new Set<string>();
    const deadline = Date.now() + 900;
    while (Date.now() < deadline) {
      const row = await load(ds, task!.id);
      if (row.state === 'leased') seen.add(row.leaseExpiresAt!);
      expect(await other.claim()).toBeNull(); // never up for grabs while it runs
      await sleep(50);
    }
    expect(seen.size).toBeGreaterThan(3);
    const done = await untilDone(task!.id);
    expect(done).toMatchObject({ status: 'NOT_FOUND', attempts: 1 });
  });

  it('retries an unexpected error with growing runAfter, then fails with the safe message and logs no details', async () => {
    const [task] = await insertTasks(ds, 1, { maxAttempts: 3 });
    const starts: number[] = [];
    const settled: Array<Pick<DsrTaskEntity, 'status' | 'runAfter' | 'attempts' | 'state'>> = [];
    const log = captureLogger();
    newWorker(
      newQueue('w1'),
      {
        system: async () => {
          starts.push(Date.now());
          throw new Error('connect ECONNREFUSED for anna.lindqvist@northwind.example');
        },
      },
      { logger: log.logger, onSettled: async (t) => void settled.push({ status: t.status, runAfter: t.runAfter, attempts: t.attempts, state: t.state }) },
    );
    const row = await until(async () => {
      const r = await load(ds, task!.id);
      return r.status === 'FAILED' && r;
    });
    expect(row).toMatchObject({ state: 'done', attempts: 3, lastError: 'internal error', leaseOwner: null });
    await until(() => settled.length === 3); // onSettled runs just after the row is written
    expect(settled.map((s) => s.status)).toEqual(['PENDING', 'PENDING', 'FAILED']);
    const delays = settled.slice(0, 2).map((s, i) => Date.parse(s.runAfter) - starts[i]!);
    expect(delays[0]).toBeGreaterThanOrEqual(100);
    expect(delays[1]).toBeGreaterThanOrEqual(200);
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    // each retry started no earlier than the runAfter its failure set
    expect(starts[1]).toBeGreaterThanOrEqual(Date.parse(settled[0]!.runAfter));
    expect(starts[2]).toBeGreaterThanOrEqual(Date.parse(settled[1]!.runAfter));
    expect(log.text()).not.toMatch(/lindqvist|ECONNREFUSED/);
    expect(log.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'task handler failed unexpectedly').map((l) => l.err)).toEqual([{ name: 'Error' }, { name: 'Error' }, { name: 'Error' }]);
  });

  it('fails at once on a non-retryable TaskError, and retries a retryable one with its message', async () => {
    const [fatal, flaky] = await insertTasks(ds, 2, { maxAttempts: 5 });
    let flakyRuns = 0;
    const settled: string[] = [];
    newWorker(
      newQueue('w1'),
      {
        system: async (t) => {
          if (t.id === fatal!.id) throw new TaskError('the system rejected the credentials', { retryable: false });
          flakyRuns += 1;
          if (flakyRuns === 1) throw new TaskError('the system is unavailable', { retryable: true });
          return { status: 'RETAINED', note: 'kept under the accounting act' };
        },
      },
      { onSettled: async (t) => void settled.push(`${t.system}:${t.status}`) },
    );
    await until(async () => (await ds.getRepository(DsrTaskEntity).countBy({ state: 'done' })) === 2);
    expect(await load(ds, fatal!.id)).toMatchObject({ status: 'FAILED', attempts: 1, lastError: 'the system rejected the credentials' });
    expect(await load(ds, flaky!.id)).toMatchObject({ status: 'RETAINED', attempts: 2, lastError: 'the system is unavailable', note: 'kept under the accounting act' });
    await until(() => settled.length === 3);
    expect(settled.sort()).toEqual(['sys0:FAILED', 'sys1:PENDING', 'sys1:RETAINED']);
  });

  it('parks a task waiting for an operator, and only claims kinds it has handlers for', async () => {
    const [manual] = await insertTasks(ds, 1);
    const [pkg] = await insertTasks(ds, 1, { kind: 'package', system: '-' });
    newWorker(newQueue('w1'), { system: async () => ({ status: 'WAITING_FOR_OPERATOR', note: 'remove the rows in payroll' }) });
    await until(async () => (await load(ds, manual!.id)).state === 'blocked');
    expect(await load(ds, manual!.id)).toMatchObject({ status: 'WAITING_FOR_OPERATOR', leaseOwner: null, finishedAt: null });
    await sleep(100);
    expect(await load(ds, pkg!.id)).toMatchObject({ state: 'ready', attempts: 0 });
  });

  it('aborts the handler and discards its result when the lease is lost', async () => {
    const [task] = await insertTasks(ds, 1);
    const queueA = newQueue('owner-a', 300);
    const started = deferred();
    const aborted = deferred<unknown>();
    const settledByA: string[] = [];
    const logA = captureLogger();
    // A stalls: its renewals stop reaching the database
    const renew = jest.spyOn(queueA, 'renew').mockResolvedValue(true);
    newWorker(
      queueA,
      {
        system: async (_t, ctx) => {
          started.resolve();
          await new Promise((r) => ctx.signal.addEventListener('abort', r));
          aborted.resolve(ctx.signal.reason);
          return { status: 'SUCCEEDED', note: 'from A' }; // too late: must not be stored
        },
      },
      { concurrency: 1, logger: logA.logger, onSettled: async (t) => void settledByA.push(t.id) },
    );
    await started.promise;
    const queueB = newQueue('owner-b', 300);
    const takeover = await until(() => queueB.claimNext(), 3000, 'take-over');
    expect(takeover.takeover?.previousOwner).toBe('owner-a');
    expect(await queueB.complete(takeover.task, { status: 'SUCCEEDED', note: 'from B' })).toBe(true);
    renew.mockRestore(); // A's next renewal finds the lease gone
    expect(await aborted.promise).toMatchObject({ name: 'AbortError', reason: 'lease lost' });
    await sleep(100);
    expect(await load(ds, task!.id)).toMatchObject({ state: 'done', status: 'SUCCEEDED', note: 'from B', attempts: 2, leaseOwner: null });
    expect(settledByA).toEqual([]);
    expect(logA.text()).toContain('task lease lost; result discarded');
  });

  it('fails a task that keeps losing its worker once its attempts are used up, without running it', async () => {
    const [task] = await insertTasks(ds, 1, { state: 'leased', status: 'RUNNING', attempts: 3, maxAttempts: 3, leaseOwner: 'dead', leaseExpiresAt: iso(Date.now() - 1) });
    const handler = jest.fn();
    newWorker(newQueue('w1'), { system: handler });
    const row = await untilDone(task!.id);
    expect(row).toMatchObject({ status: 'FAILED', attempts: 4, lastError: 'the task was interrupted too many times' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('a RUNNING outcome defers the task: the worker is free for other work, and the task resumes with its stored state', async () => {
    const [remote, other] = await insertTasks(ds, 2);
    const seen: unknown[] = [];
    const settled: string[] = [];
    newWorker(
      newQueue('w1'),
      {
        system: async (t) => {
          if (t.id === other!.id) return { status: 'SUCCEEDED' };
          const stored = t.resultJson ? (JSON.parse(t.resultJson) as { checks: number }) : { checks: 0 };
          seen.push(stored.checks);
          if (stored.checks < 2) return { status: 'RUNNING', note: `job running (${stored.checks})`, deferMs: 400, result: { checks: stored.checks + 1 } };
          return { status: 'SUCCEEDED', note: 'job done' };
        },
      },
      { concurrency: 1, onSettled: async (t) => void settled.push(`${t.id === remote!.id ? 'remote' : 'other'}:${t.status}`) },
    );
    // while the remote job runs, the task is ready (not leased) and shown RUNNING, and the one worker slot runs the other task
    const waiting = await until(async () => {
      const row = await load(ds, remote!.id);
      return row.state === 'ready' && row.status === 'RUNNING' && row;
    });
    expect(waiting).toMatchObject({ leaseOwner: null, attempts: 0 });
    expect(waiting.note).toMatch(/^job running/);
    expect((await untilDone(other!.id)).status).toBe('SUCCEEDED');
    const done = await untilDone(remote!.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', note: 'job done', attempts: 1 });
    expect(seen).toEqual([0, 1, 2]);
    // onSettled runs just after the row is marked done
    await until(async () => settled.includes('remote:SUCCEEDED'));
    expect(settled.filter((s) => s.startsWith('remote'))).toEqual(['remote:RUNNING', 'remote:RUNNING', 'remote:SUCCEEDED']);
  });

  it('stop() lets a handler finish within the grace period', async () => {
    const [task] = await insertTasks(ds, 1);
    const started = deferred();
    const w = newWorker(newQueue('w1'), {
      system: async () => {
        started.resolve();
        await sleep(200);
        return { status: 'SUCCEEDED' };
      },
    });
    await started.promise;
    await w.stop({ graceMs: 2000 });
    expect(await load(ds, task!.id)).toMatchObject({ state: 'done', status: 'SUCCEEDED' });
  });

  it('stop() aborts a handler that outlives the grace period and releases its task', async () => {
    const [task] = await insertTasks(ds, 1);
    const started = deferred();
    let signal: AbortSignal | undefined;
    const settled: string[] = [];
    const log = captureLogger();
    const w = newWorker(
      newQueue('w1', 5000),
      {
        system: (_t, ctx) => {
          signal = ctx.signal;
          started.resolve();
          return new Promise(() => undefined); // never ends, ignores the signal
        },
      },
      { onSettled: async (t) => void settled.push(t.id), logger: log.logger, unwindMs: 100 },
    );
    await started.promise;
    const before = Date.now();
    await w.stop({ graceMs: 150 });
    expect(Date.now() - before).toBeGreaterThanOrEqual(240);
    expect(signal?.aborted).toBe(true);
    expect(log.text()).toContain('aborted tasks still unwinding; closing anyway');
    expect(await load(ds, task!.id)).toMatchObject({ state: 'ready', status: 'PENDING', attempts: 0, leaseOwner: null, leaseExpiresAt: null });
    expect(settled).toEqual([]);
    // claimable again right away, not after the (long) lease
    expect(await newQueue('w2').claim()).toMatchObject({ id: task!.id, attempts: 1, leaseOwner: 'w2' });
  });

  it('stop() returns only once an aborted handler has let go of what it holds', async () => {
    await insertTasks(ds, 1);
    const started = deferred();
    let cursorOpen = false;
    const w = newWorker(newQueue('w1', 5000), {
      system: async (_t, ctx) => {
        cursorOpen = true;
        started.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        await sleep(300); // closing a cursor, deleting a staging file
        cursorOpen = false;
        ctx.signal.throwIfAborted();
        return { status: 'SUCCEEDED' };
      },
    });
    await started.promise;
    await w.stop({ graceMs: 0 });
    expect(cursorOpen).toBe(false);
  });

  it('wake() claims new work at once instead of at the next poll', async () => {
    const done: string[] = [];
    const w = newWorker(newQueue('w1'), { system: async (t) => (done.push(t.id), { status: 'SKIPPED' }) }, { pollMs: 60_000 });
    await sleep(100); // the worker has found nothing and sleeps for a minute
    const [task] = await insertTasks(ds, 1);
    w.wake();
    await until(() => done.length === 1, 2000);
    expect(done).toEqual([task!.id]);
  });

  const mysqlOnly = TEST_DATABASE === 'mysql' ? it : it.skip;
  mysqlOnly('two processes (two connection pools) x 4 share 200 tasks and run each exactly once', async () => {
    const second = await store.open();
    const tasks = await insertTasks(ds, 200);
    const executions = new Map<string, number>();
    const byOwner = { p1: 0, p2: 0 };
    const inFlight = { p1: 0, p2: 0 };
    const peak = { p1: 0, p2: 0 };
    const handlerFor =
      (owner: 'p1' | 'p2'): TaskHandler =>
      async (t) => {
        executions.set(t.id, (executions.get(t.id) ?? 0) + 1);
        byOwner[owner] += 1;
        inFlight[owner] += 1;
        peak[owner] = Math.max(peak[owner], inFlight[owner]);
        await sleep(2 + Math.random() * 8);
        inFlight[owner] -= 1;
        return { status: 'SUCCEEDED', recordsExported: 1 };
      };
    newWorker(newQueue('p1', 1000), { system: handlerFor('p1') }, { concurrency: 4 });
    newWorker(newQueue('p2', 1000, second), { system: handlerFor('p2') }, { concurrency: 4 });
    await until(async () => (await ds.getRepository(DsrTaskEntity).countBy({ state: 'done' })) === 200, 30_000, '200 tasks done');
    expect(executions.size).toBe(200);
    expect([...executions.values()].every((n) => n === 1)).toBe(true);
    expect(tasks.every((t) => executions.get(t.id) === 1)).toBe(true);
    const rows = await ds.getRepository(DsrTaskEntity).find();
    expect(rows.every((r) => r.status === 'SUCCEEDED' && r.attempts === 1)).toBe(true);
    expect(byOwner.p1).toBeGreaterThan(0);
    expect(byOwner.p2).toBeGreaterThan(0);
    expect(peak.p1).toBeLessThanOrEqual(4);
    expect(peak.p2).toBeLessThanOrEqual(4);
    expect(peak.p1 + peak.p2).toBeGreaterThan(2);
  });
});
