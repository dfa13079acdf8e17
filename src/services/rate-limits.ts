import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors';

/**
 * A refusal is answered after this long (the least any Retry-After says): a script that ignores
 * Retry-After and calls again at once then costs the gateway one refusal a second per
 * connection, not dozens, and the others' look-ups keep the gateway's time.
 */
const REFUSAL_DELAY_MS = 1000;

export interface RateLimitSettings {
  /**
   * Subjects one operator may look up per minute (`subject` counts 1, `subjects` its inputs), at
   * most a sixth of them (or ten, if more) in any ten seconds.
   */
  subjectsPerMinute: number;
  /** Downloads per minute from one client address. */
  downloadsPerMinute: number;
  /** `subject`/`subjects` calls one operator may have running at once. */
  subjectCallsAtOnce: number;
}

/** The minute's subjects are spread over it: at most a sixth of them (or ten) in any ten seconds. */
const SPREAD_SECONDS = 10;
const SPREAD_FLOOR = 10;

/**
 * Per-operator and per-client limits on the calls that read the most personal data, kept in this
 * process's memory (several gateway processes each keep their own count).
 */
export class RateLimits {
  private readonly subjectLimiter: RateLimiterMemory;
  /** The same budget over ten seconds, so a script cannot spend a minute's look-ups in a burst. */
  private readonly subjectSpread: RateLimiterMemory;
  private readonly downloadLimiter: RateLimiterMemory;
  private readonly running = new Map<string, number>();
  private readonly atOnce: number;

  constructor(settings: RateLimitSettings) {
    this.atOnce = settings.subjectCallsAtOnce;
    this.subjectLimiter = new RateLimiterMemory({ keyPrefix: 'subjects', points: settings.subjectsPerMinute, duration: 60 });
    const perMinute = settings.subjectsPerMinute;
    const spread = Math.max(Math.ceil((perMinute * SPREAD_SECONDS) / 60), Math.min(perMinute, SPREAD_FLOOR));
    this.subjectSpread = new RateLimiterMemory({ keyPrefix: 'subjects-spread', points: spread, duration: SPREAD_SECONDS });
    this.downloadLimiter = new RateLimiterMemory({ keyPrefix: 'downloads', points: settings.downloadsPerMinute, duration: 60 });
  }

  /**
   * Runs a look-up of `count` subjects for the operator within its limits: subjects per minute,
   * and calls at once (an operator firing many calls in parallel is refused at once, before any
   * system is asked, so the systems' shared capacity stays with the others). RATE_LIMITED when over.
   */
  async subjects<T>(operatorName: string, count: number, lookUp: () => Promise<T>): Promise<T> {
    const running = this.running.get(operatorName) ?? 0;
    if (running >= this.atOnce) {
      await sleep(REFUSAL_DELAY_MS);
      throw rateLimited(1, 'Too many subject look-ups at once; wait for the ones running');
    }
    const over = await this.takeSubjects(operatorName, Math.max(1, count));
    if (over !== undefined) {
      await sleep(REFUSAL_DELAY_MS);
      throw rateLimited(over, 'Too many subject look-ups; try again later');
    }
    this.running.set(operatorName, (this.running.get(operatorName) ?? 0) + 1);
    try {
      return await lookUp();
    } finally {
      const left = (this.running.get(operatorName) ?? 1) - 1;
      if (left > 0) this.running.set(operatorName, left);
      else this.running.delete(operatorName);
    }
  }

  /**
   * Takes `count` from the operator's minute and from its ten seconds (a call larger than the ten
   * seconds' share takes all of it); the seconds to wait when either is spent.
   */
  private async takeSubjects(operatorName: string, count: number): Promise<number | undefined> {
    const spreadPoints = Math.min(count, this.subjectSpread.points);
    const soon = await take(this.subjectSpread, operatorName, spreadPoints);
    if (soon !== undefined) return soon;
    const later = await take(this.subjectLimiter, operatorName, count);
    if (later !== undefined) await this.subjectSpread.reward(operatorName, spreadPoints);
    return later;
  }

  /** Counts one download for a client; the seconds to wait when over the limit, else undefined. */
  download(client: string): Promise<number | undefined> {
    return take(this.downloadLimiter, client, 1);
  }
}

/** Seconds until `points` fit again, or undefined when they were taken (a refusal takes nothing). */
async function take(limiter: RateLimiterMemory, key: string, points: number): Promise<number | undefined> {
  try {
    await limiter.consume(key, points);
    return undefined;
  } catch (e) {
    if (!(e instanceof RateLimiterRes)) throw e;
    await limiter.reward(key, points);
    return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
  }
}
