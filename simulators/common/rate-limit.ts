/** Fixed-window rate limits: `limit` requests per `windowMs`, counted per rule. */

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export interface WindowState {
  limit: number;
  remaining: number;
  /** Epoch ms when the window resets. */
  resetAt: number;
  allowed: boolean;
}

export class FixedWindowLimiter {
  private windowStart = 0;
  private used = 0;

  constructor(private readonly rule: RateLimit) {
    if (!(rule.limit > 0) || !(rule.windowMs > 0)) throw new Error('rate limit needs a positive limit and window');
  }

  private roll(now: number): void {
    if (now >= this.windowStart + this.rule.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
  }

  /** The current window without counting a request. */
  peek(now = Date.now()): WindowState {
    this.roll(now);
    const remaining = Math.max(0, this.rule.limit - this.used);
    return { limit: this.rule.limit, remaining, resetAt: this.windowStart + this.rule.windowMs, allowed: remaining > 0 };
  }

  /** Counts one request; `allowed` is false when the window is used up. */
  take(now = Date.now()): WindowState {
    this.roll(now);
    const allowed = this.used < this.rule.limit;
    if (allowed) this.used += 1;
    return { limit: this.rule.limit, remaining: Math.max(0, this.rule.limit - this.used), resetAt: this.windowStart + this.rule.windowMs, allowed };
  }
}

/** Parses "LIMIT/SECONDS" (e.g. "600/60") from the environment. */
export function parseRateLimit(text: string | undefined): RateLimit | undefined {
  if (!text) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) throw new Error(`invalid rate limit "${text}": expected LIMIT/SECONDS, e.g. 600/60`);
  return { limit: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}
