import type { DataSource, EntityManager } from 'typeorm';
import { AuditChainHeadEntity, GENESIS_HASH } from '../entities/audit-chain-head.entity';
import { AuditEventEntity } from '../entities/audit-event.entity';
import { retryTransient } from '../db/retry';
import { badInput } from '../errors';
import type { KeyedHash } from './keyed-hash';
import { SerialQueue } from './serial-queue';

export interface AuditEntry {
  actor: string;
  action: string;
  requestId?: string | null;
  subjectRef?: string | null;
  /** How many subjects the event concerned, when it concerned several. */
  count?: number | null;
}

export interface AuditPage {
  events: AuditEventEntity[];
  hasNextPage: boolean;
}

export interface AuditChainReport {
  ok: boolean;
  events: number;
  firstBrokenEventId: string | null;
}

const VERIFY_BATCH = 1000;

/**
 * The audit trail: one hash chain, keyed with the gateway's secret so that a person who can write
 * to the database but lacks the key cannot rewrite history unnoticed. Appends lock the chain head
 * (FOR UPDATE on MySQL, the database lock on SQLite), so concurrent writers and several gateway
 * processes on one database extend one chain without forks.
 */
export class AuditService {
  private readonly queue = new SerialQueue();

  constructor(
    private readonly ds: DataSource,
    private readonly keyed: KeyedHash,
  ) {}

  record(entry: AuditEntry): Promise<AuditEventEntity> {
    return this.recordMany([entry]).then((events) => events[0]!);
  }

  /** Appends several events in one transaction, in order. */
  recordMany(entries: AuditEntry[]): Promise<AuditEventEntity[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return this.queue.run(() => retryTransient(() => this.ds.transaction((m) => this.append(m, entries))));
  }

  private async append(m: EntityManager, entries: AuditEntry[]): Promise<AuditEventEntity[]> {
    const headQuery = m.getRepository(AuditChainHeadEntity).createQueryBuilder('h').where('h.id = 1');
    if (this.ds.options.type === 'mysql') headQuery.setLock('pessimistic_write');
    // SQLite: write first, so the transaction takes the database's write lock (waiting for another
    // process that holds it) before it reads the head; a read first could not be upgraded safely
    else await m.query('UPDATE audit_chain_head SET last_seq = last_seq WHERE id = 1');
    const head = await headQuery.getOneOrFail();
    const at = new Date().toISOString();
    let { lastSeq, lastHash } = head;
    const events = entries.map((e) => {
      const ev = new AuditEventEntity();
      ev.seq = lastSeq + 1;
      ev.at = at;
      ev.actor = e.actor;
      ev.action = e.action;
      ev.requestId = e.requestId ?? null;
      ev.subjectRef = e.subjectRef ?? null;
      ev.count = e.count ?? null;
      ev.prevHash = lastHash;
      ev.hash = this.hashOf(ev, lastHash);
      lastSeq = ev.seq;
      lastHash = ev.hash;
      return ev;
    });
    await m.getRepository(AuditEventEntity).insert(events);
    await m.getRepository(AuditChainHeadEntity).update({ id: 1 }, { lastSeq, lastHash });
    return events;
  }

  private hashOf(ev: AuditEventEntity, prevHash: string): string {
    // a count joins the hashed fields only when present, so events written before it verify as they were
    const fields = [ev.seq, ev.at, ev.actor, ev.action, ev.requestId, ev.subjectRef];
    const body = JSON.stringify(ev.count === null || ev.count === undefined ? fields : [...fields, ev.count]);
    return this.keyed.hex(`${prevHash}\n${body}`);
  }

  /** Newest first; `after` is the cursor of the last event of the previous page. */
  async list(opts: { requestId?: string | null; first: number; after?: string | null }): Promise<AuditPage> {
    if (!Number.isInteger(opts.first) || opts.first < 1 || opts.first > 1000) throw badInput('first must be from 1 to 1000');
    const q = this.ds.getRepository(AuditEventEntity).createQueryBuilder('e').orderBy('e.seq', 'DESC').take(opts.first + 1);
    if (opts.requestId) q.andWhere('e.requestId = :rid', { rid: opts.requestId });
    if (opts.after) q.andWhere('e.seq < :after', { after: decodeCursor(opts.after) });
    const rows = await q.getMany();
    return { events: rows.slice(0, opts.first), hasNextPage: rows.length > opts.first };
  }

  /**
   * Walks the chain from the start: every event must follow the previous one without a gap, point
   * at its hash and hash to what is stored; the head must name the last event. Altered, deleted,
   * inserted or reordered events all break one of these.
   */
  async verify(): Promise<AuditChainReport> {
    const repo = this.ds.getRepository(AuditEventEntity);
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let count = 0;
    let lastId: string | null = null;
    for (;;) {
      const batch = await repo.createQueryBuilder('e').where('e.seq >= :from', { from: expectedSeq }).orderBy('e.seq', 'ASC').take(VERIFY_BATCH).getMany();
      for (const ev of batch) {
        count += 1;
        if (ev.seq !== expectedSeq || ev.prevHash !== prevHash || ev.hash !== this.hashOf(ev, prevHash)) {
          return { ok: false, events: count, firstBrokenEventId: String(ev.seq) };
        }
        prevHash = ev.hash;
        lastId = String(ev.seq);
        expectedSeq += 1;
      }
      if (batch.length < VERIFY_BATCH) break;
    }
    // an event before the first one, or a gap in the middle, leaves rows the walk never reached
    const total = await repo.count();
    const head = await this.ds.getRepository(AuditChainHeadEntity).findOneByOrFail({ id: 1 });
    if (total !== count || head.lastSeq !== expectedSeq - 1 || head.lastHash !== prevHash) {
      return { ok: false, events: count, firstBrokenEventId: lastId ?? String(expectedSeq) };
    }
    return { ok: true, events: count, firstBrokenEventId: null };
  }
}

export function encodeCursor(seq: number): string {
  return Buffer.from(`audit:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^audit:(\d{1,10})$/.exec(text);
  if (!m) throw badInput('after is not a cursor returned by auditEvents');
  return Number(m[1]);
}
