import { untilAborted, type HttpClient } from '../http';
import { startEraseJobs } from './sendgrid.client';

/** Addresses per erasure job (SendGrid: 5,000 addresses or 256 KB a job). */
const JOB_ADDRESSES = 5000;

/**
 * Gathers the addresses of erasures running at the same time into shared recipient erasure jobs:
 * SendGrid allows 100 erasure job requests a minute, so a thousand erasures at once must not each
 * send their own. A batch goes out when it is full or `lingerMs` after its first address.
 */
export class EraseJobBatcher {
  private pending: { emails: readonly string[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Erasure job requests sent (for tests and benchmarks). */
  jobsSent = 0;

  constructor(
    private readonly http: HttpClient,
    private readonly lingerMs = 1000,
  ) {}

  /** Resolves when a job holding these addresses was accepted. */
  submit(emails: readonly string[], signal: AbortSignal): Promise<void> {
    const accepted = new Promise<void>((resolve, reject) => {
      this.pending.push({ emails, resolve, reject });
      this.size += emails.length;
      if (this.size >= JOB_ADDRESSES) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
    return untilAborted(accepted, signal);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.size = 0;
    const emails = [...new Set(batch.flatMap((b) => b.emails))];
    // the job serves many callers: none of their signals may cancel it; a minute is plenty
    startEraseJobs(this.http, emails, AbortSignal.timeout(60_000)).then(
      (jobs) => {
        this.jobsSent += jobs.length;
        batch.forEach((b) => b.resolve());
      },
      (e: unknown) => batch.forEach((b) => b.reject(e)),
    );
  }
}
