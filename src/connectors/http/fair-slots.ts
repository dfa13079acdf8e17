import { AsyncLocalStorage } from 'node:async_hooks';

/** Who the work in this async context is for (an operator's name); work without one shares ''. */
const callers = new AsyncLocalStorage<string>();

/** Runs `fn` on behalf of `caller`: every connector call it makes is queued as that caller's. */
export function onBehalfOf<T>(caller: string, fn: () => Promise<T>): Promise<T> {
  return callers.run(caller, fn);
}

interface Waiter {
  caller: string;
  grant: () => void;
}

/**
 * A system's concurrent-call slots, shared fairly between callers: when calls must wait, a free
 * slot goes to the waiting caller holding the fewest slots (first come among equals). One
 * operator firing many look-ups then waits on themself, and everyone else's calls go first.
 * Work-conserving: a caller alone gets every slot.
 */
export class FairSlots {
  private busy = 0;
  private readonly held = new Map<string, number>();
  private readonly waiting: Waiter[] = [];

  constructor(private readonly size: number) {
    if (!(Number.isInteger(size) && size > 0)) throw new RangeError('slots must be a positive integer');
  }

  /** Runs `fn` in a slot; rejects with an AbortError (without running it) when `signal` aborts while waiting. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const caller = callers.getStore() ?? '';
    await this.acquire(caller, signal);
    try {
      return await fn();
    } finally {
      this.release(caller);
    }
  }

  private acquire(caller: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.busy < this.size) {
      this.take(caller);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(signal!.reason instanceof Error ? signal!.reason : new DOMException('The wait for a slot was aborted', 'AbortError'));
      };
      const waiter: Waiter = {
        caller,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.take(caller);
          resolve();
        },
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private take(caller: string): void {
    this.busy++;
    this.held.set(caller, (this.held.get(caller) ?? 0) + 1);
  }

  private release(caller: string): void {
    this.busy--;
    const left = (this.held.get(caller) ?? 1) - 1;
    if (left > 0) this.held.set(caller, left);
    else this.held.delete(caller);
    if (this.waiting.length === 0) return;
    let next = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      if ((this.held.get(this.waiting[i]!.caller) ?? 0) < (this.held.get(this.waiting[next]!.caller) ?? 0)) next = i;
    }
    this.waiting.splice(next, 1)[0]!.grant();
  }
}
