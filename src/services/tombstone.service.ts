import { type DataSource, In } from 'typeorm';
import type { Identifier } from '../connectors/connector';
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
