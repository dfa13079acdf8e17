import { setMaxListeners } from 'node:events';
/**
 * Deadlines carried by AbortSignals. A plain signal says only *that* it aborted; the HTTP client
 * also needs to know *when* it will, to refuse a retry wait that would end after it. A signal made
 * by `withDeadline`, or marked with `markDeadline`, carries that time.
 */

const deadlines = new WeakMap<AbortSignal, number>();

/** Records that `signal` will be aborted at `at` (epoch ms) by its owner; returns the signal. */
export function markDeadline(signal: AbortSignal, at: number): AbortSignal {
  deadlines.set(signal, at);
  return signal;
}

/** The deadline (epoch ms) recorded for a signal, if any. */
export function deadlineOf(signal: AbortSignal | undefined): number | undefined {
  return signal ? deadlines.get(signal) : undefined;
}

/**
 * A signal that aborts `ms` from now, or when `parent` aborts, whichever comes first. Its deadline
 * is the earlier of the two when the parent carries one.
 */
export function withDeadline(ms: number, parent?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const at = Math.min(Date.now() + ms, deadlineOf(parent) ?? Infinity);
  markDeadline(controller.signal, at);
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return controller.signal;
  }
  const onParentAbort = () => {
    clearTimeout(timer);
    controller.abort(parent?.reason);
  };
  const timer = setTimeout(() => {
    parent?.removeEventListener('abort', onParentAbort);
    controller.abort(new DOMException('The deadline passed', 'TimeoutError'));
  }, Math.max(0, at - Date.now()));
  timer.unref?.();
  parent?.addEventListener('abort', onParentAbort, { once: true });
  return controller.signal;
}

/** Settles with `work`, or rejects with an AbortError as soon as `signal` aborts (a queued call stops waiting). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  work.catch(() => undefined); // settled later by the queue; the caller has gone
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (signal.aborted) return onAbort();
    setMaxListeners(0, signal); // every queued call of a batch waits on the same signal
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}
