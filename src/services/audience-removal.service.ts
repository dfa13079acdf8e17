import type { DataSource } from 'typeorm';
import type { AudienceRemoval } from '../connectors/connector';
import { AudienceRemovalEntity } from '../entities/audience-removal.entity';

const FINAL = new Set(['SUCCESS', 'FAILED']);

/** What the records of one request's removals in one system show. */
export interface RemovalEvidence {
  removals: number;
  audiences: number;
  /** Every recorded removal has been applied by the system (its job ended in SUCCESS). */
  confirmed: boolean;
}

/**
 * The gateway's record of audience removals (table audience_removals): the evidence of erasures
 * and objections in systems that cannot say who is in an audience.
 */
export class AudienceRemovalService {
  constructor(private readonly ds: DataSource) {}

  /** Records removals of one request in one system; a removal seen before gets its new job and state. */
  async record(requestId: string, system: string, removals: readonly AudienceRemoval[]): Promise<void> {
    if (removals.length === 0) return;
    const now = new Date().toISOString();
    await this.ds.transaction(async (m) => {
      const repo = m.getRepository(AudienceRemovalEntity);
      const existing = await repo.findBy({ requestId, system });
      for (const r of removals) {
        const finishedAt = FINAL.has(r.state) ? now : null;
        const row = existing.find((e) => e.audience === r.audience && e.emailHash === r.hash);
        if (row) {
          await repo.update({ id: row.id }, { removedAt: r.removedAt, jobRef: r.jobRef ?? null, jobState: r.state, finishedAt });
        } else {
          await repo.insert(
            AudienceRemovalEntity.create({ requestId, system, audience: r.audience, emailHash: r.hash, removedAt: r.removedAt, jobRef: r.jobRef ?? null, jobState: r.state, finishedAt }),
          );
        }
      }
    });
  }

  /** The removals recorded for a request, by system and audience. */
  list(requestId: string, system?: string): Promise<AudienceRemovalEntity[]> {
    return this.ds.getRepository(AudienceRemovalEntity).find({
      where: system ? { requestId, system } : { requestId },
      order: { system: 'ASC', audience: 'ASC', emailHash: 'ASC' },
    });
  }

  async evidence(requestId: string, system: string): Promise<RemovalEvidence> {
    const rows = await this.list(requestId, system);
    return {
      removals: rows.length,
      audiences: new Set(rows.map((r) => r.audience)).size,
      confirmed: rows.length > 0 && rows.every((r) => r.jobState === 'SUCCESS'),
    };
  }
}
