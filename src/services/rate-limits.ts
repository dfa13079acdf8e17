import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * A refusal is answered after this long: an operator whose script ignores Retry-After and calls
 * again at once then costs the gateway a few refusals a second, not thousands.
 */
const REFUSAL_DELAY_MS = 250;
import { rateLimited } from '../errors';

export interface RateLimitSettings {
  /** Subjects one operator may look up per minute (`subject` counts 1, `subjects` its inputs). */
  subjectsPerMinute: number;
  /** Downloads per minute from one client address. */
  downloadsPerMinute: number;
  /** `subject`/`subjects` calls one operator may have running at once. */
  subjectCallsAtOnce: number;
}

/**
 * Per-operator and per-client limits on the calls that read the most personal data, kept in this
 * process's memory (a sliding minute; several gateway processes each keep their own count).
 */
export class RateLimits {
  private readonly subjectLimiter: RateLimiterMemory;
  private readonly downloadLimiter: RateLimiterMemory;
  private readonly running = new Map<string, number>();
  private readonly atOnce: number;

  constructor(settings: RateLimitSettings) {
    this.atOnce = settings.subjectCallsAtOnce;
    this.subjectLimiter = new RateLimiterMemory({ keyPrefix: 'subjects', points: settings.subjectsPerMinute, duration: 60 });
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
    const over = await take(this.subjectLimiter, operatorName, Math.max(1, count));
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

  /** Counts one download for a client; the seconds to wait when over the limit, else undefined. */
  download(client: string): Promise<number | undefined> {
    return take(this.downloadLimiter, client, 1);
  }
}

/** Seconds until `points` fit again, or undefined when they were taken. */
async function take(limiter: RateLimiterMemory, key: string, points: number): Promise<number | undefined> {
  try {
    await limiter.consume(key, points);
    return undefined;
  } catch (e) {
    if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
    throw e;
  }
}
