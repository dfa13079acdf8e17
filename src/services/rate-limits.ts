import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors';

export interface RateLimitSettings {
  /** Subjects one operator may look up per minute (`subject` counts 1, `subjects` its inputs). */
  subjectsPerMinute: number;
  /** Downloads per minute from one client address. */
  downloadsPerMinute: number;
}

/**
 * Per-operator and per-client limits on the calls that read the most personal data, kept in this
 * process's memory (a sliding minute; several gateway processes each keep their own count).
 */
export class RateLimits {
  private readonly subjectLimiter: RateLimiterMemory;
  private readonly downloadLimiter: RateLimiterMemory;

  constructor(settings: RateLimitSettings) {
    this.subjectLimiter = new RateLimiterMemory({ keyPrefix: 'subjects', points: settings.subjectsPerMinute, duration: 60 });
    this.downloadLimiter = new RateLimiterMemory({ keyPrefix: 'downloads', points: settings.downloadsPerMinute, duration: 60 });
  }

  /** Counts `count` subject look-ups for the operator; throws RATE_LIMITED when over the limit. */
  async subjects(operatorName: string, count: number): Promise<void> {
    const over = await take(this.subjectLimiter, operatorName, Math.max(1, count));
    if (over !== undefined) throw rateLimited(over, 'Too many subject look-ups; try again later');
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
