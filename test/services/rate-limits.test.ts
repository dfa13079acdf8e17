import { RateLimits } from '../../src/services/rate-limits';

const codeOf = (e: unknown) => (e as { extensions?: { code?: string } }).extensions?.code;

describe('rate limits on subject look-ups', () => {
  it('refuses an operator more calls at once than allowed, before any system is asked, and frees the place when a call ends', async () => {
    const limits = new RateLimits({ subjectsPerMinute: 100, downloadsPerMinute: 10, subjectCallsAtOnce: 2 });
    const gates: (() => void)[] = [];
    let asked = 0;
    const lookUp = () =>
      new Promise<string>((resolve) => {
        asked += 1;
        gates.push(() => resolve('done'));
      });
    const first = limits.subjects('flood', 1, lookUp);
    const second = limits.subjects('flood', 1, lookUp);
    await new Promise((r) => setImmediate(r));
    const third = limits.subjects('flood', 1, lookUp).catch((e: unknown) => e);
    expect(codeOf(await third)).toBe('RATE_LIMITED');
    expect((await third as Error).message).toMatch(/at once/);
    expect(asked).toBe(2);
    // another operator is not affected
    const other = limits.subjects('calm', 1, async () => 'other');
    await expect(other).resolves.toBe('other');
    gates.shift()!();
    await expect(first).resolves.toBe('done');
    const fourth = limits.subjects('flood', 1, lookUp);
    await new Promise((r) => setImmediate(r));
    expect(asked).toBe(3);
    for (const open of gates.splice(0)) open();
    await expect(Promise.all([second, fourth])).resolves.toEqual(['done', 'done']);
  });

  it('frees the place when a look-up fails, and counts subjects per minute', async () => {
    const limits = new RateLimits({ subjectsPerMinute: 3, downloadsPerMinute: 10, subjectCallsAtOnce: 1 });
    await expect(limits.subjects('op', 1, async () => { throw new Error('system down'); })).rejects.toThrow('system down');
    await expect(limits.subjects('op', 2, async () => 'ok')).resolves.toBe('ok');
    const over = await limits.subjects('op', 1, async () => 'ok').catch((e: unknown) => e);
    expect(codeOf(over)).toBe('RATE_LIMITED');
    expect((over as Error).message).not.toMatch(/at once/);
  });
});
