import { setMaxListeners } from 'node:events';
import DataLoader from 'dataloader';
import type { CollectOptions, Connector, SubjectKey, SystemSnapshot } from '../connectors/connector';
import { isHttpClientError, markDeadline } from '../connectors/http';
import type { Logger } from '../logger';
import { canonicalKey } from './identity';

export type SystemStatus = 'OK' | 'NOT_FOUND' | 'ERROR' | 'TIMEOUT';

/** What one system answered for one subject in this request. */
export interface SystemResult {
  system: string;
  status: SystemStatus;
  error: string | null;
  fetchedAt: Date;
  snapshot: SystemSnapshot | null;
}

/**
 * Per-request DataLoaders, one per connector: all subjects asked of a system in one tick become
 * one `collect` call under the system's deadline. A connector that throws or is late answers
 * ERROR/TIMEOUT for its subjects only; the error text stays in the gateway (no upstream detail
 * reaches the caller or the log).
 */
export class SystemLoaders {
  private readonly loaders = new Map<string, DataLoader<SubjectKey, SystemResult, string>>();

  constructor(
    private readonly deadlineFor: (c: Connector) => number,
    private readonly logger: Logger,
    /** Loaders that only identify the subject (for a request's identify step). */
    private readonly options: CollectOptions = {},
  ) {}

  load(connector: Connector, key: SubjectKey): Promise<SystemResult> {
    let loader = this.loaders.get(connector.id);
    if (!loader) {
      loader = new DataLoader((keys) => this.collect(connector, keys), { cacheKeyFn: canonicalKey, maxBatchSize: 1000 });
      this.loaders.set(connector.id, loader);
    }
    return loader.load(key);
  }

  private async collect(connector: Connector, keys: readonly SubjectKey[]): Promise<SystemResult[]> {
    const deadlineMs = this.deadlineFor(connector);
    const controller = new AbortController();
    // every concurrent upstream call of the batch listens for the deadline
    setMaxListeners(0, controller.signal);
    markDeadline(controller.signal, Date.now() + deadlineMs);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve('late');
      }, deadlineMs);
    });
    const started = Date.now();
    try {
      const work = connector.collect([...keys], controller.signal, this.options);
      work.catch(() => undefined); // a late failure is already answered as TIMEOUT
      const outcome = await Promise.race([work, late]);
      const fetchedAt = new Date();
      if (outcome === 'late') {
        this.logger.warn({ system: connector.id, deadlineMs, subjects: keys.length }, 'connector missed its deadline');
        return keys.map(() => failed(connector, 'TIMEOUT', `${connector.system.name} did not answer within ${deadlineMs} ms`, fetchedAt));
      }
      if (outcome.length !== keys.length) throw new Error('connector returned the wrong number of snapshots');
      this.logger.debug({ system: connector.id, subjects: keys.length, ms: fetchedAt.getTime() - started }, 'connector collected');
      return outcome.map((snapshot) => ({
        system: connector.id,
        status: snapshot.found ? 'OK' : 'NOT_FOUND',
        error: null,
        fetchedAt,
        snapshot,
      }));
    } catch (e) {
      const err = e as { name?: string; code?: unknown };
      this.logger.warn({ system: connector.id, errorName: err.name, errorCode: typeof err.code === 'string' ? err.code : undefined }, 'connector failed');
      // the HTTP client's errors are made to be shown (system, method, route, status); others are not
      const shown = isHttpClientError(e) ? e.message : `${connector.system.name} could not be read`;
      return keys.map(() => failed(connector, 'ERROR', shown, new Date()));
    } finally {
      clearTimeout(timer);
    }
  }
}

function failed(connector: Connector, status: SystemStatus, error: string, fetchedAt: Date): SystemResult {
  return { system: connector.id, status, error, fetchedAt, snapshot: null };
}
