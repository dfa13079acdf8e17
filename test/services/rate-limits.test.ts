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

  describe('a minute of look-ups is spread over it', () => {
    let now = Date.parse('2026-11-26T10:00:00Z');
    beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
    afterEach(() => jest.restoreAllMocks());
    const lookUp = async () => 'ok';
    const outcome = (p: Promise<string>) => p.then((v) => v, (e: unknown) => `${codeOf(e)} retry ${(e as { extensions: { http: { headers: Map<string, string> } } }).extensions.http.headers.get('retry-after')}`);

    it('allows a sixth of the minute in ten seconds, then the rest as the seconds pass, up to the minute', async () => {
      const limits = new RateLimits({ subjectsPerMinute: 60, downloadsPerMinute: 10, subjectCallsAtOnce: 5 });
      const burst: string[] = [];
      for (let i = 0; i < 11; i++) burst.push(await outcome(limits.subjects('script', 1, lookUp)));
      expect(burst.slice(0, 10)).toEqual(Array(10).fill('ok'));
      expect(burst[10]).toMatch(/^RATE_LIMITED retry ([1-9]|10)$/);
      // another operator has a budget of their own
      expect(await outcome(limits.subjects('person', 1, lookUp))).toBe('ok');
      // ten seconds on, ten more; after six such windows the minute is spent
      let answered = 10;
      for (let window = 1; window < 7; window++) {
        now += 10_001;
        for (let i = 0; i < 10; i++) if ((await outcome(limits.subjects('script', 1, lookUp))) === 'ok') answered++;
      }
      expect(answered).toBe(60 + 10); // the second minute began in the last window
    });

    it('lets one batch larger than ten seconds\' share through when the share is whole, and refunds the share when the minute refuses', async () => {
      const limits = new RateLimits({ subjectsPerMinute: 60, downloadsPerMinute: 10, subjectCallsAtOnce: 5 });
      expect(await outcome(limits.subjects('batch', 50, lookUp))).toBe('ok');
      expect(await outcome(limits.subjects('batch', 1, lookUp))).toMatch(/^RATE_LIMITED/);
      now += 10_001;
      // 50 of 60 spent this minute: a batch of 20 is refused by the minute and costs nothing
      expect(await outcome(limits.subjects('batch', 20, lookUp))).toMatch(/^RATE_LIMITED retry/);
      expect(await outcome(limits.subjects('batch', 10, lookUp))).toBe('ok');
    });
  });
});
