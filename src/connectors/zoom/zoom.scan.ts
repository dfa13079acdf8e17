import { markDeadline, untilAborted, deadlineOf } from '../http';
import type { Registrant, Registration } from './zoom.api';

/** Runs one scan of every registrant for a set of normalised emails. */
export type Scan = (wanted: ReadonlySet<string>, signal: AbortSignal) => Promise<Registration[]>;

interface Waiting {
  emails: ReadonlySet<string>;
  signal: AbortSignal;
  resolve(found: Registration[]): void;
  reject(error: unknown): void;
}

/**
 * Shares scans between callers that need one at the same time: the live views, exports and
 * erasures running at once. A caller never joins a scan that started before it asked (so an
 * erasure's verification always reads Zoom after its deletes): it waits for the next one, which
 * starts as soon as the running one ends and serves everyone who asked meanwhile.
 *
 * The shared scan stops only when every caller it serves has given up; it runs to the latest of
 * their deadlines when all of them have one.
 */
export class SharedScan {
  private waiting: Waiting[] = [];
  private running = false;
  /** Scans started (for tests and metrics). */
  scans = 0;

  constructor(
    private readonly scan: Scan,
    private readonly emailOf: (r: Registrant) => string | undefined,
    /** The error a caller gets when its signal aborts while it waits. */
    private readonly aborted: () => Error,
  ) {}

  /** The registrants whose normalised email is one of `emails`. */
  registrants(emails: ReadonlySet<string>, signal: AbortSignal): Promise<Registration[]> {
    const result = new Promise<Registration[]>((resolve, reject) => this.waiting.push({ emails, signal, resolve, reject }));
    if (!this.running) void this.drain();
    return untilAborted(result, signal).catch((e: unknown) => {
      throw signal.aborted && e instanceof Error && e.name === 'AbortError' ? this.aborted() : e;
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0).filter((w) => !w.signal.aborted);
        if (batch.length === 0) continue;
        const wanted = new Set(batch.flatMap((w) => [...w.emails]));
        this.scans += 1;
        try {
          const found = await this.scan(wanted, sharedSignal(batch.map((w) => w.signal)));
          for (const w of batch) w.resolve(found.filter((r) => w.emails.has(this.emailOf(r) ?? '')));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

/** A signal that aborts when all of `signals` have, carrying the latest of their deadlines (if all have one). */
function sharedSignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  let left = signals.length;
  const onAbort = () => {
    left -= 1;
    if (left === 0) controller.abort();
  };
  for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  const deadlines = signals.map(deadlineOf);
  if (deadlines.every((d) => d !== undefined)) markDeadline(controller.signal, Math.max(...(deadlines as number[])));
  return controller.signal;
}
