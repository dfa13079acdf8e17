import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spaces calls evenly: at most `perSecond` start in any second, the rest wait their turn. For
 * systems whose per-second limits are strict and shared (Zoom's): staying under them costs less
 * than 429s, whose waits many concurrent callers would otherwise all end at the same moment.
 */
export class Pacer {
  private readonly intervalMs: number;
  private next = 0;

  constructor(perSecond: number) {
    if (!(perSecond > 0)) throw new RangeError('a pacer needs a positive rate');
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when the caller's turn comes; rejects (AbortError) when `signal` aborts first. */
  async turn(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await sleep(at - now, undefined, signal ? { signal } : undefined);
  }
}
