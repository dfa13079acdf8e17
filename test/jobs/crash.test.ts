import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TaskQueue, type Takeover } from '../../src/jobs/task-queue';
import { Worker } from '../../src/jobs/worker';
import { TEST_DATABASE } from '../support/databases';
import { captureLogger, deferred, insertTasks, load, openJobsStore, until, type JobsStore } from './helpers';

const DIST_WORKER = path.resolve(__dirname, '../../dist/src/jobs/worker.js');
const LEASE_MS = 800;

describe(`a worker process killed mid-task on ${TEST_DATABASE}`, () => {
  let store: JobsStore;
  let child: ChildProcessWithoutNullStreams | undefined;

  beforeAll(async () => {
    if (!existsSync(DIST_WORKER)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    store = await openJobsStore('crash');
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await store.close();
  });

  it('loses nothing: after SIGKILL its lease expires, another worker takes the task over and completes it', async () => {
    const { ds } = store;
    const [task] = await insertTasks(ds, 1, { maxAttempts: 3 });
    child = spawn(process.execPath, [path.join(__dirname, 'fixtures/crash-worker.js')], {
      env: { ...process.env, DSR_STORE_URL: store.url, DSR_OWNER: 'crashing-process', DSR_LEASE_MS: String(LEASE_MS) },
    });
    const started = deferred<string>();
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const m = /started (\S+)/.exec(stdout);
      if (m) started.resolve(m[1]!);
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.on('exit', (_code, signal) => resolve(signal)));

    expect(await started.promise).toBe(task!.id);
    // mid-way: progress is being written, and the lease has been renewed past its first expiry
    const first = await load(ds, task!.id);
    const midway = await until(async () => {
      const row = await load(ds, task!.id);
      return (row.recordsExported ?? 0) >= 5000 && Date.parse(row.leaseExpiresAt!) > Date.parse(first.leaseExpiresAt!) && row;
    }, 15_000, 'progress and a renewal from the child');
    expect(midway).toMatchObject({ state: 'leased', status: 'RUNNING', leaseOwner: 'crashing-process', attempts: 1 });

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const killedAt = Date.now();
    const lastLease = await load(ds, task!.id);
    expect(lastLease).toMatchObject({ state: 'leased', leaseOwner: 'crashing-process' });

    const queue = new TaskQueue(ds, { owner: 'survivor', leaseMs: LEASE_MS });
    const takeovers: Takeover[] = [];
    queue.on('takeover', (e) => takeovers.push({ previousOwner: e.previousOwner, leaseExpiredAt: e.leaseExpiredAt }));
    const log = captureLogger();
    let ranAt = 0;
    const worker = new Worker(
      queue,
      {
        system: async (t, ctx) => {
          ranAt = Date.now();
          await ctx.progress(t.recordsExported ?? 0);
          return { status: 'SUCCEEDED', recordsExported: 12_000 };
        },
      },
      { concurrency: 1, pollMs: 25, logger: log.logger },
    );
    worker.start();
    try {
      const done = await until(async () => {
        const row = await load(ds, task!.id);
        return row.state === 'done' && row;
      }, 10_000, 'the task to complete after the take-over');
      expect(done).toMatchObject({ status: 'SUCCEEDED', recordsExported: 12_000, attempts: 2, leaseOwner: null, lastError: null, startedAt: first.startedAt });
      expect(takeovers).toEqual([{ previousOwner: 'crashing-process', leaseExpiredAt: lastLease.leaseExpiresAt }]);
      // not before the dead process's lease ran out
      expect(ranAt).toBeGreaterThanOrEqual(Date.parse(lastLease.leaseExpiresAt!));
      expect(ranAt - killedAt).toBeLessThan(LEASE_MS + 2000);
      expect(log.text()).toContain('task taken over from an expired lease');
    } finally {
      await worker.stop({ graceMs: 1000 });
    }
  });
});
