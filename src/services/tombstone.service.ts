import { type DataSource, In } from 'typeorm';
import type { Identifier } from '../connectors/connector';
import { RequestIdentifierEntity } from '../entities/request-identifier.entity';
import { TombstoneEntity } from '../entities/tombstone.entity';
import type { KeyedHash } from './keyed-hash';

/** Tombstones: the HMAC of every identifier of an erased person, with the date of the erasure. */
export class TombstoneService {
  constructor(
    private readonly ds: DataSource,
    private readonly keyed: KeyedHash,
  ) {}

  hashOf(id: Pick<Identifier, 'kind' | 'value'>): string {
    return this.keyed.hex(`tombstone:${id.kind}:${id.value}`);
  }

  /** Remembers (by HMAC) which identifiers a request named. */
  async index(requestId: string, identifiers: Pick<Identifier, 'kind' | 'value'>[], manager = this.ds.manager): Promise<void> {
    const repo = manager.getRepository(RequestIdentifierEntity);
    const hashes = [...new Set(identifiers.map((i) => this.hashOf(i)))];
    if (hashes.length === 0) return;
    const known = new Set((await repo.findBy({ requestId, identifierHash: In(hashes) })).map((r) => r.identifierHash));
    const fresh = hashes.filter((h) => !known.has(h)).map((identifierHash) => ({ identifierHash, requestId }));
    if (fresh.length) await repo.insert(fresh);
  }

  /** The requests that named any of these identifiers. */
  async requestsNaming(identifiers: Pick<Identifier, 'kind' | 'value'>[]): Promise<string[]> {
    const hashes = [...new Set(identifiers.map((i) => this.hashOf(i)))];
    if (hashes.length === 0) return [];
    const rows = await this.ds.getRepository(RequestIdentifierEntity).findBy({ identifierHash: In(hashes) });
    return [...new Set(rows.map((r) => r.requestId))];
  }

  async record(requestId: string, identifiers: Pick<Identifier, 'kind' | 'value'>[], erasedAt: string): Promise<void> {
    const repo = this.ds.getRepository(TombstoneEntity);
    const hashes = [...new Set(identifiers.map((i) => this.hashOf(i)))];
    const existing = new Set((await repo.findBy({ identifierHash: In(hashes) })).map((t) => t.identifierHash));
    const fresh = hashes.filter((h) => !existing.has(h)).map((identifierHash) => ({ identifierHash, requestId, erasedAt }));
    if (fresh.length) await repo.insert(fresh);
  }

  /** For each list of identifiers, the earliest erasure that named any of them (one query for all). */
  async erasedAt(lists: Pick<Identifier, 'kind' | 'value'>[][]): Promise<(Date | null)[]> {
    const hashed = lists.map((ids) => ids.map((i) => this.hashOf(i)));
    const all = [...new Set(hashed.flat())];
    if (all.length === 0) return lists.map(() => null);
    const found = new Map((await this.ds.getRepository(TombstoneEntity).findBy({ identifierHash: In(all) })).map((t) => [t.identifierHash, t.erasedAt]));
    return hashed.map((hashes) => {
      const dates = hashes.flatMap((h) => (found.has(h) ? [found.get(h)!] : [])).sort();
      return dates.length ? new Date(dates[0]!) : null;
    });
  }
}
