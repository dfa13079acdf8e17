import type { DataSource } from 'typeorm';
import { DsrTaskEntity } from '../../src/entities/dsr-task.entity';
import { backoffDelay, TaskQueue } from '../../src/jobs/task-queue';
import { TEST_DATABASE } from '../support/databases';
import { insertTasks, iso, load, openJobsStore, type JobsStore } from './helpers';

describe(`TaskQueue on ${TEST_DATABASE}`, () => {
  let store: JobsStore;
  let ds: DataSource;
  let t: number;
  const clock = () => t;
  const queue = (owner: string, leaseMs = 1000) => new TaskQueue(ds, { owner, leaseMs, clock, backoff: { baseMs: 1000, capMs: 60_000, random: () => 1 } });

  beforeAll(async () => {
    store = await openJobsStore('queue');
    ds = store.ds;
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    t = Date.parse('2030-01-01T00:00:00.000Z');
    await ds.getRepository(DsrTaskEntity).clear();
  });

  it('claims a due task once, oldest first, and leaves tasks not yet due, blocked or of other kinds', async () => {
    const [due] = await insertTasks(ds, 1, { runAfter: iso(t - 5000) });
    const [older] = await insertTasks(ds, 1, { runAfter: iso(t - 9000) });
    await insertTasks(ds, 1, { runAfter: iso(t + 1) });
    await insertTasks(ds, 1, { runAfter: iso(t - 9999), state: 'blocked', status: 'WAITING_FOR_OPERATOR' });
    await insertTasks(ds, 1, { runAfter: iso(t - 9999), kind: 'package', system: '-' });
    const q = queue('a');

    const first = await q.claim(['system']);
    expect(first?.id).toBe(older!.id);
    expect(first).toMatchObject({ state: 'leased', status: 'RUNNING', leaseOwner: 'a', leaseExpiresAt: iso(t + 1000), attempts: 1, startedAt: iso(t) });
    expect(await load(ds, older!.id)).toEqual(first);
    expect((await q.claim(['system']))?.id).toBe(due!.id);
    expect(await q.claim(['system'])).toBeNull();
    expect(await q.claim([])).toBeNull();
    expect((await q.claim())?.kind).toBe('package');
    expect(await q.claim()).toBeNull();
    t += 1; // the future task becomes due
    expect((await q.claim())?.runAfter).toBe(iso(t));
  });

  it('hands each task to exactly one of many concurrent claimers (two connection pools)', async () => {
    const other = await store.open();
    const tasks = await insertTasks(ds, 40, { runAfter: iso(t - 1) });
    const queues = [queue('a'), new TaskQueue(other, { owner: 'b', leaseMs: 1000, clock })];
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        for (let task = await queues[i % 2]!.claim(); task; task = await queues[i % 2]!.claim()) claimed.push(task.id);
      }),
    );
    expect(claimed.sort()).toEqual(tasks.map((x) => x.id).sort());
    const rows = await ds.getRepository(DsrTaskEntity).find();
    expect(rows.every((r) => r.state === 'leased' && r.attempts === 1)).toBe(true);
    await other.destroy();
  });

  it('renews and records progress only while it holds the lease', async () => {
    const [task] = await insertTasks(ds, 1, { runAfter: iso(t) });
    const q = queue('a');
    const held = (await q.claim())!;
    t += 600;
    expect(await q.renew(held)).toBe(true);
    expect(await q.progress(held, 120)).toBe(true);
    expect(await load(ds, task!.id)).toMatchObject({ leaseExpiresAt: iso(t + 1000), recordsExported: 120, startedAt: iso(t - 600) });
    expect(held.leaseExpiresAt).toBe(iso(t + 1000));
  });

  it('lets another owner take over an expired lease; the old owner then changes nothing', async () => {
    const [task] = await insertTasks(ds, 1, { runAfter: iso(t) });
    const a = queue('owner-a', 500);
    const b = queue('owner-b', 500);
    const takeovers: unknown[] = [];
    b.on('takeover', (e) => takeovers.push({ previousOwner: e.previousOwner, leaseExpiredAt: e.leaseExpiredAt, id: e.task.id }));

    const mine = (await a.claim())!;
    t += 499;
    expect(await b.claim()).toBeNull(); // still within A's lease
    t += 2; // A never renewed: its lease has run out
    const claim = (await b.claimNext())!;
    expect(claim.takeover).toEqual({ previousOwner: 'owner-a', leaseExpiredAt: iso(t - 1) });
    expect(takeovers).toEqual([{ previousOwner: 'owner-a', leaseExpiredAt: iso(t - 1), id: task!.id }]);
    expect(claim.task).toMatchObject({ leaseOwner: 'owner-b', attempts: 2, startedAt: iso(t - 501) });
    expect(await b.complete(claim.task, { status: 'SUCCEEDED', recordsExported: 7, note: 'by b', result: { by: 'b' } })).toBe(true);
    const done = await load(ds, task!.id);
    expect(done).toMatchObject({ state: 'done', status: 'SUCCEEDED', leaseOwner: null, leaseExpiresAt: null, finishedAt: iso(t), recordsExported: 7, note: 'by b', resultJson: '{"by":"b"}' });

    // A wakes up late: every write it tries is refused and the row stays as B left it
    expect(await a.complete(mine, { status: 'NOT_FOUND', recordsExported: 0, note: 'by a' })).toBe(false);
    expect(await a.renew(mine)).toBe(false);
    expect(await a.progress(mine, 1)).toBe(false);
    expect(await a.fail(mine, { message: 'late', retryable: true })).toBe('lost');
    expect(await a.release(mine)).toBe(false);
    expect(await load(ds, task!.id)).toEqual(done);
  });

  it('does not let a stale handle of the same owner act on a later lease', async () => {
    await insertTasks(ds, 1, { runAfter: iso(t) });
    const q = queue('same', 500);
    const stale = (await q.claim())!;
    const staleCopy = Object.assign(new DsrTaskEntity(), stale);
    t += 501;
    const fresh = (await q.claim())!;
    expect(fresh.attempts).toBe(2);
    expect(await q.complete(staleCopy, { status: 'SUCCEEDED' })).toBe(false);
    expect(await q.complete(fresh, { status: 'SUCCEEDED' })).toBe(true);
  });

  it('retries a retryable failure with growing backoff, then fails for good; non-retryable fails at once', async () => {
    const [task] = await insertTasks(ds, 1, { runAfter: iso(t), maxAttempts: 3 });
    const q = queue('a');
    const runAfters: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const held = (await q.claim())!;
      expect(held.attempts).toBe(attempt);
      const result = await q.fail(held, { message: `upstream unavailable (${attempt})`, retryable: true });
      const row = await load(ds, task!.id);
      if (attempt < 3) {
        expect(result).toBe('retry');
        expect(row).toMatchObject({ state: 'ready', status: 'PENDING', leaseOwner: null, lastError: `upstream unavailable (${attempt})`, finishedAt: null });
        runAfters.push(Date.parse(row.runAfter) - t);
        expect(await q.claim()).toBeNull(); // not before its time
        t = Date.parse(row.runAfter);
      } else {
        expect(result).toBe('failed');
        expect(row).toMatchObject({ state: 'done', status: 'FAILED', lastError: 'upstream unavailable (3)', finishedAt: iso(t), leaseOwner: null });
      }
    }
    expect(runAfters).toEqual([1000, 2000]);

    const [other] = await insertTasks(ds, 1, { runAfter: iso(t) });
    const held = (await q.claim())!;
    expect(await q.fail(held, { message: 'the system refused the request', retryable: false })).toBe('failed');
    expect(await load(ds, other!.id)).toMatchObject({ status: 'FAILED', attempts: 1, lastError: 'the system refused the request' });
  });

  it('caps the stored error at the column length, counting characters', async () => {
    await insertTasks(ds, 1, { runAfter: iso(t) });
    const held = (await queue('a').claim())!;
    const message = '\u{1F600}'.repeat(300) + 'x'.repeat(300);
    expect(await queue('a').fail(held, { message, retryable: false })).toBe('failed');
    const row = await load(ds, held.id);
    expect(Array.from(row.lastError!)).toHaveLength(500);
    expect(row.lastError!.startsWith('\u{1F600}'.repeat(300) + 'x')).toBe(true);
  });

  it('parks WAITING_FOR_OPERATOR as blocked, and refuses statuses that are not outcomes', async () => {
    await insertTasks(ds, 1, { runAfter: iso(t) });
    const q = queue('a');
    const held = (await q.claim())!;
    await expect(q.complete(held, { status: 'RUNNING' })).rejects.toThrow('cannot set status RUNNING');
    expect(await q.complete(held, { status: 'WAITING_FOR_OPERATOR', note: 'delete the payroll rows by hand' })).toBe(true);
    expect(await load(ds, held.id)).toMatchObject({ state: 'blocked', status: 'WAITING_FOR_OPERATOR', finishedAt: null, leaseOwner: null });
    expect(await q.claim()).toBeNull();
  });

  const mysqlOnly = TEST_DATABASE === 'mysql' ? it : it.skip;
  mysqlOnly.each(['SELECT id FROM dsr_tasks WHERE id = ? FOR UPDATE', "UPDATE dsr_tasks SET note = 'x' WHERE id = ?"])(
    'skips a row another transaction holds instead of waiting for it (%s)',
    async (lockingSql) => {
      const [older] = await insertTasks(ds, 1, { runAfter: iso(t - 2000) });
      const [newer] = await insertTasks(ds, 1, { runAfter: iso(t - 1000) });
      const other = ds.createQueryRunner();
      await other.startTransaction();
      try {
        await other.query(lockingSql, [older!.id]);
        const started = Date.now();
        expect((await queue('a').claim())?.id).toBe(newer!.id);
        expect(await queue('a').claim()).toBeNull();
        expect(Date.now() - started).toBeLessThan(1000);
      } finally {
        await other.rollbackTransaction();
        await other.release();
      }
      expect((await queue('a').claim())?.id).toBe(older!.id);
    },
  );

  it('releases a held task: claimable again at once, the attempt not counted', async () => {
    await insertTasks(ds, 1, { runAfter: iso(t) });
    const q = queue('a');
    const held = (await q.claim())!;
    expect(await q.release(held)).toBe(true);
    expect(await load(ds, held.id)).toMatchObject({ state: 'ready', status: 'PENDING', attempts: 0, leaseOwner: null, leaseExpiresAt: null });
    expect(await q.claim()).toMatchObject({ id: held.id, attempts: 1 });
  });

  it('defers a held task: RUNNING with its note and resume state, claimable after the delay, the attempt not counted', async () => {
    await insertTasks(ds, 1, { runAfter: iso(t) });
    const q = queue('a');
    const held = (await q.claim())!;
    const resume = { jobs: [{ userList: '7', job: 'customers/1/offlineUserDataJobs/2' }] };
    expect(await q.defer(held, 5000, { note: 'processing; checked again later', result: { resume } })).toBe(true);
    const row = await load(ds, held.id);
    expect(row).toMatchObject({ state: 'ready', status: 'RUNNING', attempts: 0, leaseOwner: null, leaseExpiresAt: null, runAfter: iso(t + 5000), note: 'processing; checked again later', startedAt: iso(t) });
    expect(JSON.parse(row!.resultJson!)).toEqual({ resume });
    // no worker holds it meanwhile, and nobody can claim it before it is due
    expect(await q.claim()).toBeNull();
    expect(await queue('b').claim()).toBeNull();
    t += 5000;
    const again = (await queue('b').claim())!;
    expect(again).toMatchObject({ id: held.id, attempts: 1, leaseOwner: 'b', status: 'RUNNING', startedAt: iso(t - 5000) });
    expect(JSON.parse(again.resultJson!)).toEqual({ resume });
    // deferring many times never uses up the attempts
    for (let i = 0; i < 10; i++) {
      const h = (await queue('b').claim()) ?? again;
      expect(await queue('b').defer(h, 0)).toBe(true);
    }
    expect((await load(ds, held.id))!.attempts).toBe(0);
    // a stale handle (the lease moved on) changes nothing
    expect(await q.defer(held, 0)).toBe(false);
  });

  it('a failure may replace the stored state (a failed remote job is forgotten, so a retry starts afresh)', async () => {
    await insertTasks(ds, 1, { runAfter: iso(t) });
    const q = queue('a');
    const held = (await q.claim())!;
    expect(await q.defer(held, 0, { result: { resume: { job: 'x' } } })).toBe(true);
    const again = (await q.claim())!;
    expect(await q.fail(again, { message: 'the removal job failed', retryable: true, result: null })).toBe('retry');
    expect(await load(ds, held.id)).toMatchObject({ state: 'ready', status: 'PENDING', resultJson: null, lastError: 'the removal job failed', attempts: 1 });
  });
});

describe('backoffDelay', () => {
  it('doubles from base to cap, with jitter between half and all of it', () => {
    const policy = { baseMs: 1000, capMs: 300_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, { ...policy, random: () => 1 }))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(3, { ...policy, random: () => 0 })).toBe(2000);
    expect(backoffDelay(30, { ...policy, random: () => 1 })).toBe(300_000);
    expect(backoffDelay(1000, { ...policy, random: () => 0 })).toBe(150_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(5, policy);
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(16_000);
    }
  });
});
