import type { Operator } from '../auth/operators';
import type { Connector, Identifier, SubjectKey } from '../connectors/connector';
import type { ConnectorRegistry } from '../connectors/registry';
import { badInput } from '../errors';
import type { AuditService } from './audit.service';
import { canonicalKey, identifiersOf, mergeIdentifiers, normaliseSubject, type SubjectInputLike } from './identity';
import type { KeyedHash } from './keyed-hash';
import type { SystemLoaders, SystemResult } from './system-loaders';

/** Everything the connected systems hold about one subject, fetched live. */
export interface SubjectView {
  identifiers: Identifier[];
  found: boolean;
  restricted: boolean;
  systems: SystemResult[];
}

/** Rounds of identity enrichment after the first lookup: bounded, whatever the systems reveal. */
const MAX_ENRICHMENT_ROUNDS = 3;

export class SubjectService {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly audit: AuditService,
    private readonly keyed: KeyedHash,
    private readonly maxSubjectsPerCall: number,
  ) {}

  /** The HMAC by which the audit trail names a subject. */
  subjectRef(key: SubjectKey): string {
    return this.keyed.hex(canonicalKey(key));
  }

  /**
   * Looks subjects up in every enabled system. Every read is audited: the audit events are written
   * while the systems are asked, and nothing is returned unless they were committed.
   */
  async view(operator: Operator, loaders: SystemLoaders, inputs: SubjectInputLike[]): Promise<SubjectView[]> {
    if (inputs.length === 0) throw badInput('inputs must name at least one subject');
    if (inputs.length > this.maxSubjectsPerCall) throw badInput(`At most ${this.maxSubjectsPerCall} subjects per call`);
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
    return views;
  }

  /**
   * The first round asks every system by the given identifiers; each later round asks again only
   * the systems that accept an identifier another system revealed, until nothing new turns up.
   */
  private async lookup(loaders: SystemLoaders, given: SubjectKey): Promise<SubjectView> {
    const key: SubjectKey = structuredClone(given);
    const identifiers = identifiersOf(key, 'input');
    const results = new Map<string, SystemResult>();
    let pending: Connector[] = this.registry.connectors;
    for (let round = 0; pending.length > 0 && round <= MAX_ENRICHMENT_ROUNDS; round += 1) {
      const asked = pending;
      await Promise.all(asked.map(async (c) => results.set(c.id, await this.ask(loaders, c, key))));
      const revealed: Identifier[] = [];
      for (const c of asked) {
        const snapshot = results.get(c.id)?.snapshot;
        if (snapshot?.found && c.discover) {
          revealed.push(...mergeIdentifiers(key, c.discover(snapshot).map((id) => ({ ...id, source: c.id }))));
        }
      }
      identifiers.push(...revealed);
      // a system that failed or was late is not asked again in this request
      pending = this.registry.connectors.filter(
        (c) => !isFailure(results.get(c.id)) && revealed.some((id) => id.source !== c.id && c.accepts.includes(id.kind)),
      );
    }
    const systems = this.registry.connectors.map((c) => results.get(c.id)!);
    return {
      identifiers,
      found: systems.some((s) => s.status === 'OK'),
      restricted: systems.some((s) => s.snapshot?.restricted === true),
      systems,
    };
  }

  private ask(loaders: SystemLoaders, connector: Connector, key: SubjectKey): Promise<SystemResult> {
    const usable: SubjectKey = {};
    for (const kind of connector.accepts) if (key[kind]?.length) usable[kind] = [...key[kind]!];
    if (Object.keys(usable).length === 0) {
      return Promise.resolve({ system: connector.id, status: 'NOT_FOUND', error: null, fetchedAt: new Date(), snapshot: null });
    }
    return loaders.load(connector, usable);
  }
}

const isFailure = (r: SystemResult | undefined) => r?.status === 'ERROR' || r?.status === 'TIMEOUT';
