import type { Operator } from '../auth/operators';
import type { Connector, Identifier, SubjectKey } from '../connectors/connector';
import { onBehalfOf } from '../connectors/http';
import type { ConnectorRegistry } from '../connectors/registry';
import { badInput } from '../errors';
import type { AuditService } from './audit.service';
import { canonicalKey, identifiersOf, mergeIdentifiers, normaliseSubject, type SubjectInputLike } from './identity';
import type { KeyedHash } from './keyed-hash';
import type { SystemLoaders, SystemResult } from './system-loaders';
import type { TombstoneService } from './tombstone.service';

/** Everything the connected systems hold about one subject, fetched live. */
export interface SubjectView {
  identifiers: Identifier[];
  found: boolean;
  restricted: boolean;
  systems: SystemResult[];
  /** When an erasure of a person known by one of these identifiers completed (a tombstone). */
  erasedAt: Date | null;
}

/** Rounds of identity enrichment after the first lookup: bounded, whatever the systems reveal. */
const MAX_ENRICHMENT_ROUNDS = 3;

export class SubjectService {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly audit: AuditService,
    private readonly keyed: KeyedHash,
    private readonly maxSubjectsPerCall: number,
    private readonly tombstones: TombstoneService,
  ) {}

  /** The HMAC by which the audit trail names a subject. */
  subjectRef(key: SubjectKey): string {
    return this.keyed.hex(canonicalKey(key));
  }

  /** A batch too large or empty is bad input (checked before anything is counted against a rate limit). */
  checkBatch(inputs: readonly unknown[]): void {
    if (inputs.length === 0) throw badInput('inputs must name at least one subject');
    if (inputs.length > this.maxSubjectsPerCall) throw badInput(`At most ${this.maxSubjectsPerCall} subjects per call`);
  }

  /**
   * Looks subjects up in every enabled system. Every read is audited: the audit events are written
   * while the systems are asked, and nothing is returned unless they were committed. The systems
   * are asked on the operator's behalf: their capacity is shared fairly between operators.
   */
  view(operator: Operator, loaders: SystemLoaders, inputs: SubjectInputLike[]): Promise<SubjectView[]> {
    return onBehalfOf(operator.name, () => this.lookUp(operator, loaders, inputs));
  }

  private async lookUp(operator: Operator, loaders: SystemLoaders, inputs: SubjectInputLike[]): Promise<SubjectView[]> {
    this.checkBatch(inputs);
    const keys = inputs.map((input, i) => {
      try {
        return normaliseSubject(input);
      } catch (e) {
        if (inputs.length > 1 && e instanceof Error) throw badInput(`inputs[${i}]: ${e.message}`);
        throw e;
      }
    });
    const audited = this.audit.recordMany(keys.map((k) => ({ actor: operator.name, action: 'subject.viewed', subjectRef: this.subjectRef(k) })));
    const [, views] = await Promise.all([audited, Promise.all(keys.map((k) => this.lookup(loaders, k)))]);
    const erased = await this.tombstones.erasedAt(views.map((v) => v.identifiers));
    return views.map((v, i) => ({ ...v, erasedAt: erased[i]! }));
  }

  /** The enriched view of one subject for a request's own steps (the caller audits the read). */
  identify(loaders: SystemLoaders, key: SubjectKey): Promise<SubjectView> {
    return this.lookup(loaders, key);
  }

  /**
   * Asks every system by the given identifiers. As soon as one system's answer reveals identifiers
   * another system accepts, that system is asked again with the larger key, without waiting for the
   * slower systems, until nothing new turns up (at most MAX_ENRICHMENT_ROUNDS more asks per
   * system). A system's latest answer, for its largest key, is the one shown.
   */
  private async lookup(loaders: SystemLoaders, given: SubjectKey): Promise<SubjectView> {
    const key: SubjectKey = structuredClone(given);
    const identifiers = identifiersOf(key, 'input');
    const results = new Map<string, SystemResult>();
    const latest = new Map<string, string>();
    const asks = new Map<string, number>();
    const inFlight = new Set<Promise<void>>();

    const ask = (c: Connector): void => {
      const usable = usableKey(c, key);
      const cacheKey = canonicalKey(usable);
      const count = asks.get(c.id) ?? 0;
      if (latest.get(c.id) === cacheKey || count > MAX_ENRICHMENT_ROUNDS || isFailure(results.get(c.id))) return;
      latest.set(c.id, cacheKey);
      asks.set(c.id, count + 1);
      const work = this.ask(loaders, c, usable).then((result) => {
        if (latest.get(c.id) === cacheKey) results.set(c.id, result);
        if (!result.snapshot?.found || !c.discover) return;
        const revealed = mergeIdentifiers(key, c.discover(result.snapshot).map((id) => ({ ...id, source: c.id })));
        identifiers.push(...revealed);
        for (const other of this.registry.connectors) {
          if (other.id !== c.id && revealed.some((id) => other.accepts.includes(id.kind))) ask(other);
        }
      });
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    };

    this.registry.connectors.forEach(ask);
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    const systems = this.registry.connectors.map((c) => results.get(c.id)!);
    return {
      identifiers,
      found: systems.some((s) => s.status === 'OK'),
      restricted: systems.some((s) => s.snapshot?.restricted === true),
      systems,
      erasedAt: null,
    };
  }

  private ask(loaders: SystemLoaders, connector: Connector, usable: SubjectKey): Promise<SystemResult> {
    if (Object.keys(usable).length === 0) {
      return Promise.resolve({ system: connector.id, status: 'NOT_FOUND', error: null, fetchedAt: new Date(), snapshot: null });
    }
    return loaders.load(connector, usable);
  }
}

/** The part of a key a system can be searched by. */
function usableKey(connector: Connector, key: SubjectKey): SubjectKey {
  const usable: SubjectKey = {};
  for (const kind of connector.accepts) if (key[kind]?.length) usable[kind] = [...key[kind]!];
  return usable;
}

const isFailure = (r: SystemResult | undefined) => r?.status === 'ERROR' || r?.status === 'TIMEOUT';
