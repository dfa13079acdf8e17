import { createHash } from 'node:crypto';
import type { ConnectorSettings } from '../../config';
import { normaliseEmail, normalisePhone } from '../../services/identity';
import {
  emptySnapshot,
  type ActionOutcome,
  type CollectOptions,
  type Connector,
  type ConnectorEnvironment,
  type ConnectorFactory,
  type ErasurePlanStep,
  type Identifier,
  type SubjectKey,
  type SystemSnapshot,
} from '../connector';
import { ClientCredentialsTokenProvider, createHttpClient, DeadlineError, onBehalfOf, Pacer } from '../http';
import { ZoomApi, type Registration, type Webinar } from './zoom.api';
import { ZOOM_DESCRIPTOR } from './zoom.descriptor';
import { SharedScan } from './zoom.scan';
import { parseZoomSettings } from './zoom.settings';

const DATASET = 'registrants';

/**
 * Zoom Webinars: the registrants of the configured hosts' webinars whose email is exactly one of
 * the subject's (after the gateway's normalisation). Zoom has no search, so one collect scans the
 * hosts' webinars and registrants once for all of its subjects (see zoom.api.ts), and collects
 * running at once share scans (zoom.scan.ts); calls are paced under Zoom's per-second limits and
 * the shared HTTP client waits out a 429 as Retry-After asks.
 *
 * Erasure deletes every matching registrant (DELETE, 204; a 404 means it is gone already), so
 * running it again does no harm; the gateway then reads Zoom again to verify.
 */
export class ZoomConnector implements Connector {
  readonly system = ZOOM_DESCRIPTOR;
  readonly accepts = ['email'] as const;
  /** Scans shared by the collects running at once. */
  readonly scans: SharedScan;

  /** Where each address was registered at the last full scan, by the SHA-256 of the normalised address (no address, no name). */
  private index?: { builtAt: number; byEmail: Map<string, { webinar: Webinar; registrantId: string }[]> };
  private refreshing?: Promise<unknown>;
  private readonly closing = new AbortController();

  constructor(
    readonly id: string,
    private readonly api: ZoomApi,
    private readonly viewIndexMaxAgeMs = 0,
    private readonly clock: () => number = Date.now,
  ) {
    this.scans = new SharedScan(
      (wanted, signal) => this.fullScan(wanted, signal),
      (r) => normalised(r.email),
      () => new DeadlineError(id, 'GET', '/webinars/{webinarId}/registrants'),
    );
  }

  async collect(subjects: SubjectKey[], signal: AbortSignal, options: CollectOptions = {}): Promise<SystemSnapshot[]> {
    const emailsOf = subjects.map((s) => new Set((s.email ?? []).flatMap((e) => normalised(e) ?? [])));
    const wanted = new Set(emailsOf.flatMap((set) => [...set]));
    if (wanted.size === 0) return subjects.map(() => emptySnapshot(this.system.datasets));
    const index = this.index;
    const age = index === undefined ? Infinity : this.clock() - index.builtAt;
    const recent = options.view === true && age <= this.viewIndexMaxAgeMs;
    if (recent && age > this.viewIndexMaxAgeMs / 2) this.refreshIndex();
    const found = recent ? await this.fromIndex(index!, wanted, signal) : await this.scans.registrants(wanted, signal);
    return emailsOf.map((mine) => {
      const records = found.filter((r) => mine.has(normalised(r.email)!));
      return { found: records.length > 0, restricted: false, datasets: [{ name: DATASET, records }] };
    });
  }

  /**
   * Rebuilds the view index in the background once it is half its maximum age: while people keep
   * looking, their views keep using a recent index instead of all waiting for a full scan the
   * moment it expires. The scan's calls are the gateway's own, not the operator's who set it off.
   */
  private refreshIndex(): void {
    if (this.refreshing) return;
    this.refreshing = onBehalfOf('', () => this.scans.registrants(new Set(), this.closing.signal))
      .catch(() => undefined) // the next view past the maximum age scans itself and reports the error
      .finally(() => (this.refreshing = undefined));
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.refreshing;
  }

  /** Every registrant read; the index of where each address is registered rebuilt on the way. */
  private async fullScan(wanted: ReadonlySet<string>, signal: AbortSignal): Promise<Registration[]> {
    const byEmail = new Map<string, { webinar: Webinar; registrantId: string }[]>();
    const found = await this.api.scan((r) => wanted.has(normalised(r.email) ?? ''), signal, (webinar, r) => {
      const email = normalised(r.email);
      if (email === undefined) return;
      const key = sha256(email);
      byEmail.set(key, [...(byEmail.get(key) ?? []), { webinar, registrantId: r.id }]);
    });
    if (this.viewIndexMaxAgeMs > 0) this.index = { builtAt: this.clock(), byEmail };
    return found;
  }

  /** The registrants the index places the addresses at, each read again now (one deleted since is skipped). */
  private async fromIndex(index: NonNullable<ZoomConnector['index']>, wanted: ReadonlySet<string>, signal: AbortSignal): Promise<Registration[]> {
    const places = [...wanted].flatMap((email) => index.byEmail.get(sha256(email)) ?? []);
    const read = await Promise.all(places.map((p) => this.api.registrant(p.webinar, p.registrantId, signal)));
    return read.filter((r): r is Registration => r !== undefined && wanted.has(normalised(r.email) ?? ''));
  }

  /** A registrant may reveal a phone number (E.164); Zoom knows people by nothing else than their emails. */
  discover(snapshot: SystemSnapshot): Omit<Identifier, 'source'>[] {
    const phones = new Set<string>();
    for (const r of snapshot.datasets.find((d) => d.name === DATASET)?.records ?? []) {
      const phone = typeof r.phone === 'string' ? r.phone.trim() : '';
      if (!phone) continue;
      try {
        phones.add(normalisePhone(phone));
      } catch {
        // not a phone number: nothing to reveal
      }
    }
    return [...phones].map((value) => ({ kind: 'phone', value }));
  }

  /** Dry run: the registrants an erasure would delete (the calls of a collect). */
  async planErasure(subject: SubjectKey, signal: AbortSignal): Promise<ErasurePlanStep[]> {
    const registrations = await this.registrations(subject, signal);
    if (registrations.length === 0) return [];
    const note = `${registrations.length} registration(s) for ${webinarCount(registrations)} webinar(s) deleted in Zoom, whatever their status`;
    return [{ dataset: DATASET, action: 'DELETE', records: registrations.length, note }];
  }

  async erase(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    const registrations = await this.registrations(subject, signal);
    if (registrations.length === 0) return { status: 'NOT_FOUND', recordsDeleted: 0, note: 'No webinar registration of the subject in Zoom' };
    const results = await Promise.all(registrations.map((r) => this.api.deleteRegistrant(r.webinar_id, r.id, signal)));
    const deleted = results.filter((r) => r === 'deleted').length;
    const gone = results.length - deleted;
    return {
      status: 'SUCCEEDED',
      recordsDeleted: deleted,
      note: `${deleted} registrant record(s) deleted in Zoom across ${webinarCount(registrations)} webinar(s)` + (gone > 0 ? `; ${gone} already gone` : ''),
    };
  }

  private async registrations(subject: SubjectKey, signal: AbortSignal): Promise<Registration[]> {
    const [snapshot] = await this.collect([subject], signal);
    return (snapshot!.datasets[0]!.records as Registration[]) ?? [];
  }
}

/** The address as the gateway normalises emails; undefined for text that is not one. */
function normalised(email: string): string | undefined {
  try {
    return normaliseEmail(email);
  } catch {
    return undefined;
  }
}

const webinarCount = (rs: Pick<Registration, 'webinar_id'>[]): number => new Set(rs.map((r) => r.webinar_id)).size;


export const zoomConnectorFactory: ConnectorFactory = {
  kind: 'zoom',
  create(id: string, settings: ConnectorSettings, env: ConnectorEnvironment): Connector {
    const s = parseZoomSettings(id, settings);
    const tokenUrl = new URL(s.tokenUrl);
    const tokens = new ClientCredentialsTokenProvider({
      // zoom.us is its own host, with its own breaker and concurrency
      client: createHttpClient(`${id}-oauth`, { ...s, baseUrl: tokenUrl.origin }, env),
      tokenPath: tokenUrl.pathname,
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      grantType: 'account_credentials',
      extraParams: { account_id: s.accountId },
    });
    const http = createHttpClient(id, s, env, { auth: tokens });
    return new ZoomConnector(
      id,
      new ZoomApi(http, {
        hostUserIds: s.hostUserIds,
        pageSize: s.pageSize,
        includePastWebinars: s.includePastWebinars,
        pacer: new Pacer(s.requestsPerSecond),
      }),
      s.viewIndexMaxAgeMs,
    );
  },
};

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
