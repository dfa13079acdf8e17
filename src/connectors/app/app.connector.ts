import type { DataSource, QueryRunner } from 'typeorm';
import type { ConnectorSettings } from '../../config';
import { createSqlDataSource, type DatabaseLocation, parseDatabaseUrl, QueryCounter } from '../../db/sql-datasource';
import BetterSqlite3 from 'better-sqlite3';
import { isUniqueViolation } from '../../db/retry';
import { DsrError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import type {
  ActionOutcome,
  CollectOptions,
  Connector,
  ConnectorEnvironment,
  ConnectorFactory,
  ErasurePlanStep,
  FieldChange,
  Identifier,
  RecordSink,
  RetentionPage,
  RetentionPageRequest,
  Row,
  SubjectKey,
  SystemSnapshot,
} from '../connector';
import { validateChanges, type UserColumnValues } from './app.changes';
import { APP_DESCRIPTOR, APP_RETENTION_RULE } from './app.descriptor';
import { latestDayPastRule, retentionEnds } from '../retention';
import { AppSubjectResolver } from './app.resolver';

const PROFILE_SQL = `SELECT u.id, u.first_name, u.last_name, u.email, u.email_normalized, u.phone,
  u.organisation_id, o.name AS organisation_name, o.contract_start AS organisation_contract_start,
  o.contract_end AS organisation_contract_end, u.marketing_consent, u.processing_restricted,
  u.created_at, u.last_login_at
  FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE `;

/**
 * One query per dataset for any number of users: `user_id IN (...)` over an indexed column.
 * `exporting` orders activity by id (newest first, the order the app records views in), which
 * the (user_id, id) index serves without sorting a million rows.
 */
const DATASET_SQL: Record<string, (inList: string, exporting?: boolean) => string> = {
  activity: (ids, exporting) => `SELECT v.id, v.user_id, v.content_item_id, c.kind AS content_kind, c.title AS content_title,
    v.viewed_at, v.duration_seconds, v.device
    FROM view_events v JOIN content_items c ON c.id = v.content_item_id
    WHERE v.user_id IN (${ids}) ORDER BY ${exporting ? 'v.id DESC' : 'v.viewed_at DESC, v.id DESC'}`,
  enrolments: (ids) => `SELECT e.id, e.user_id, e.course_id, c.title AS course_title, e.enrolled_at,
    e.progress_percent, e.completed_at, e.certificate_id
    FROM enrolments e JOIN courses c ON c.id = e.course_id
    WHERE e.user_id IN (${ids}) ORDER BY e.enrolled_at DESC, e.id DESC`,
  assignments: (ids) => `SELECT a.id, a.user_id, a.mission_id, m.title AS mission_title, a.assigned_at, a.due_at, a.status
    FROM mission_assignments a JOIN missions m ON m.id = a.mission_id
    WHERE a.user_id IN (${ids}) ORDER BY a.assigned_at DESC, a.id DESC`,
  answers: (ids) => `SELECT an.id, an.user_id, an.assignment_id, a.mission_id, m.title AS mission_title,
    an.answer_text, an.submitted_at, an.score
    FROM answers an JOIN mission_assignments a ON a.id = an.assignment_id JOIN missions m ON m.id = a.mission_id
    WHERE an.user_id IN (${ids}) ORDER BY an.submitted_at DESC, an.id DESC`,
};

/**
 * The tables holding a user's records, per dataset, in the order an erasure deletes them: what
 * hangs off the user first, the user row last. The organisation row is the employer's and stays.
 */
const ERASURE_TABLES: readonly { dataset: string; table: string; key: string; note: string }[] = [
  { dataset: 'activity', table: 'view_events', key: 'user_id', note: 'View events are deleted' },
  { dataset: 'answers', table: 'answers', key: 'user_id', note: 'Answers to missions and their scores are deleted' },
  { dataset: 'assignments', table: 'mission_assignments', key: 'user_id', note: 'Mission assignments are deleted' },
  { dataset: 'enrolments', table: 'enrolments', key: 'user_id', note: 'Course enrolments, progress and certificates are deleted' },
  { dataset: 'profile', table: 'users', key: 'id', note: "The user account is deleted; the employer's organisation record is not the subject's and stays" },
];
/** Plan steps in the descriptor's dataset order. */
const PLAN_ORDER = APP_DESCRIPTOR.datasets.map((d) => ERASURE_TABLES.find((t) => t.dataset === d.name)!);

/** The users row as the acting methods need it. */
interface UserState {
  id: number;
  first_name: string;
  last_name: string;
  email: string;
  email_normalized: string;
  phone: string | null;
  marketing_consent: number;
  processing_restricted: number;
}

/** Statements of one transaction: rows of a query, or the number of rows a statement changed. */
interface Tx {
  rows(sql: string, params: unknown[]): Promise<Row[]>;
  run(sql: string, params: unknown[]): Promise<number>;
}

/**
 * Users whose employer's contract ended on or before a day, in (organisation, user id) order
 * from a keyset position: one statement per page over ix_users_organisation, written in the form
 * each planner serves from the index without sorting. SQLite walks the organisations and, inside
 * each, the index from the position. MySQL/MariaDB (which would sort every candidate after the
 * position if it started from the organisations) reads the index from the position up to the
 * last organisation past the cutoff, looking each user's employer up; the first page starts at
 * the first such organisation.
 */
const CANDIDATE_COLUMNS = 'u.id, u.organisation_id, u.email_normalized, u.phone, o.contract_end';
const ENDED_ORGS = (agg: 'MIN' | 'MAX') => `(SELECT ${agg}(id) FROM organisations WHERE contract_end <= ?)`;
const RETENTION_SQL = {
  sqlite: `SELECT ${CANDIDATE_COLUMNS}
    FROM organisations o JOIN users u ON u.organisation_id = o.id AND u.id > CASE WHEN o.id = ? THEN ? ELSE 0 END
    WHERE o.contract_end <= ? AND o.id >= ?
    ORDER BY o.id, u.id LIMIT ?`,
  mysqlFirst: `SELECT STRAIGHT_JOIN ${CANDIDATE_COLUMNS}
    FROM users u JOIN organisations o ON o.id = u.organisation_id
    WHERE o.contract_end <= ? AND u.organisation_id BETWEEN ${ENDED_ORGS('MIN')} AND ${ENDED_ORGS('MAX')}
    ORDER BY u.organisation_id, u.id LIMIT ?`,
  mysqlNext: `SELECT STRAIGHT_JOIN ${CANDIDATE_COLUMNS}
    FROM users u JOIN organisations o ON o.id = u.organisation_id
    WHERE o.contract_end <= ? AND (u.organisation_id > ? OR (u.organisation_id = ? AND u.id > ?)) AND u.organisation_id <= ${ENDED_ORGS('MAX')}
    ORDER BY u.organisation_id, u.id LIMIT ?`,
};
const RETENTION_COUNT_SQL = `SELECT COUNT(*) AS n FROM organisations o JOIN users u ON u.organisation_id = o.id WHERE o.contract_end <= ?`;
const RETENTION_CURSOR = /^([0-9]{1,10})\.([0-9]{1,10})$/;

/** Rows handed to an export's sink at a time. */
const EXPORT_BATCH = 1000;
/** Content items an activity export keeps at hand (a user views far fewer than a catalogue holds). */
const CONTENT_CACHE = 10_000;
/**
 * A read-only SQLite connection for one export. An export reads each page about once, so a small
 * page cache (2 MB instead of the 16 MB default) keeps the gateway's memory flat.
 */
function openExportConnection(path: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  db.pragma('cache_size = -2000');
  return db;
}
const placeholders = (n: number) => new Array(n).fill('?').join(', ');
const APP_USER_ID = /^[1-9][0-9]{0,9}$/;

/**
 * The company's own app database. Subjects are found by exact, normalised email, E.164 phone or
 * user id through indexed columns; identifiers are bound parameters, never patterns.
 */
export class AppConnector implements Connector {
  readonly system = APP_DESCRIPTOR;
  readonly accepts = ['email', 'phone', 'appUserId'] as const;
  /** Every statement this connector sends (for tests and benchmarks). */
  readonly queries = new QueryCounter();
  private ds?: DataSource;
  /** SQLite has one connection: write transactions on it take turns (see `writeTurn`). */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    private readonly location: DatabaseLocation,
    private readonly logger?: Logger,
  ) {}

  /**
   * Connects on first use (and again after a failure), so a database that is down at start-up
   * makes this system answer ERROR instead of stopping the gateway.
   */
  private connecting?: Promise<DataSource>;

  private db(): Promise<DataSource> {
    if (this.ds?.isInitialized) return Promise.resolve(this.ds);
    this.connecting ??= (async () => {
      const ds = createSqlDataSource(this.location, { counter: this.queries, poolSize: 5 });
      try {
        await ds.initialize();
        // Deleted and overwritten cells are zeroed in the file, so erased text does not linger in
        // free space (the connection is the only one that writes).
        if (this.location.kind === 'sqlite') await ds.query('PRAGMA secure_delete = ON');
      } catch (e) {
        if (ds.isInitialized) await ds.destroy().catch(() => undefined);
        throw e;
      } finally {
        this.connecting = undefined;
      }
      this.ds = ds;
      return ds;
    })();
    return this.connecting;
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    if (this.ds?.isInitialized) await this.ds.destroy();
  }

  /** The users matching each subject (one query for all subjects). */
  private async collectProfiles(subjects: SubjectKey[]): Promise<Row[][]> {
    const filter = userFilter(subjects);
    const users: Row[] = filter ? await this.query(PROFILE_SQL + filter.where, filter.params) : [];
    return subjects.map((s) => users.filter((u) => matchesSubject(s, u)));
  }

  async collect(subjects: SubjectKey[], signal: AbortSignal, options: CollectOptions = {}): Promise<SystemSnapshot[]> {
    const perSubject = await this.collectProfiles(subjects);
    signal.throwIfAborted();
    if (options.identifyOnly) {
      return perSubject.map((mine) => ({ found: mine.length > 0, restricted: mine.some(isRestricted), datasets: [{ name: 'profile', records: mine }] }));
    }
    const users = [...new Map(perSubject.flat().map((u) => [Number(u.id), u])).values()];
    const userIds = users.map((u) => Number(u.id));
    const byDataset = new Map<string, Map<number, Row[]>>();
    if (userIds.length) {
      await Promise.all(
        Object.entries(DATASET_SQL).map(async ([name, sql]) => {
          const rows = await this.query(sql(placeholders(userIds.length)), userIds);
          byDataset.set(name, groupBy(rows, (r) => Number(r.user_id)));
        }),
      );
      signal.throwIfAborted();
    }

    return perSubject.map((mine) => {
      const datasets = [
        { name: 'profile', records: mine },
        ...Object.keys(DATASET_SQL).map((name) => ({
          name,
          records: mine.flatMap((u) => byDataset.get(name)?.get(Number(u.id)) ?? []),
        })),
      ];
      return {
        found: mine.length > 0,
        restricted: mine.some(isRestricted),
        datasets,
      };
    });
  }

  async exportRecords(subject: SubjectKey, sink: RecordSink, signal: AbortSignal): Promise<{ found: boolean }> {
    const [users] = await this.collectProfiles([subject]);
    if (users!.length === 0) return { found: false };
    await sink('profile', users!);
    const ids = users!.map((u) => Number(u.id));
    for (const [name, sql] of Object.entries(DATASET_SQL)) {
      const rows = name === 'activity' && this.location.kind === 'sqlite' ? this.sqliteActivity(this.location.path, ids) : this.stream(sql(placeholders(ids.length), true), ids);
      for await (const batch of rows) {
        signal.throwIfAborted();
        await sink(name, batch);
      }
    }
    return { found: true };
  }

  /**
   * Rows a batch at a time: a cursor on MySQL; on SQLite a separate read-only connection (the
   * shared one must stay free for live queries while an export iterates).
   */
  private async *stream(sql: string, params: unknown[]): AsyncGenerator<Row[]> {
    let batch: Row[] = [];
    if (this.location.kind === 'sqlite') {
      const db = openExportConnection(this.location.path);
      try {
        for (const row of db.prepare(sql).iterate(...params)) {
          batch.push(row as Row);
          if (batch.length === EXPORT_BATCH) {
            yield batch;
            batch = [];
          }
        }
      } finally {
        db.close();
      }
    } else {
      const runner = (await this.db()).createQueryRunner();
      let complete = false;
      try {
        for await (const row of await runner.stream(sql, params)) {
          batch.push({ ...(row as Row) });
          if (batch.length === EXPORT_BATCH) {
            yield batch;
            batch = [];
          }
        }
        complete = true;
      } finally {
        // left early (aborted): the half-read result would hold the connection, and closing the
        // pool, forever; drop that connection instead of returning it
        if (!complete) (runner as unknown as { databaseConnection?: { destroy(): void } }).databaseConnection?.destroy();
        await runner.release();
      }
    }
    if (batch.length) yield batch;
  }

  /**
   * Users whose employer's contract ended more than the rule's period ago (APP_RETENTION_RULE),
   * a page at a time: one indexed statement per page, plus one COUNT when asked.
   */
  async retentionCandidates(now: Date, page: RetentionPageRequest, signal: AbortSignal): Promise<RetentionPage> {
    const cutoff = latestDayPastRule(APP_RETENTION_RULE, now);
    let [org, user] = [0, 0];
    if (page.after) {
      const m = RETENTION_CURSOR.exec(page.after);
      if (!m) throw new DsrError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor returned by retentionCandidates');
      [org, user] = [Number(m[1]), Number(m[2])];
    }
    const limit = page.first + 1;
    const [sql, params] =
      this.location.kind === 'sqlite'
        ? [RETENTION_SQL.sqlite, [org, user, cutoff, org, limit]]
        : page.after
          ? [RETENTION_SQL.mysqlNext, [cutoff, org, org, user, cutoff, limit]]
          : [RETENTION_SQL.mysqlFirst, [cutoff, cutoff, cutoff, limit]];
    const [rows, counted] = await Promise.all([
      page.first > 0 ? this.query(sql, params) : Promise.resolve([]),
      page.count === false ? Promise.resolve(undefined) : this.query(RETENTION_COUNT_SQL, [cutoff]),
    ]);
    signal.throwIfAborted();
    const since = new Map<string, Date>(); // one date per employer's contract end
    const sinceOf = (end: string) => since.get(end) ?? since.set(end, retentionEnds(APP_RETENTION_RULE, end)).get(end)!;
    const candidates = rows.slice(0, page.first).map((u) => ({
      cursor: `${Number(u.organisation_id)}.${Number(u.id)}`,
      identifiers: [
        { kind: 'appUserId' as const, value: String(u.id) },
        { kind: 'email' as const, value: String(u.email_normalized) },
        ...(u.phone ? [{ kind: 'phone' as const, value: String(u.phone) }] : []),
      ],
      dataset: 'profile',
      rule: APP_RETENTION_RULE,
      since: sinceOf(String(u.contract_end).slice(0, 10)),
    }));
    return { candidates, hasNextPage: rows.length > page.first, totalCount: counted ? Number(counted[0]?.n ?? 0) : undefined };
  }

  /**
   * The activity export on SQLite, where the join costs more than the rest of the read: the view
   * events as plain rows, newest first, a page at a time by primary key (one user: the
   * (user_id, id) index serves each page; several users: one ordered scan), each completed from
   * a cache of the content items read one by primary key. Same records, same order as
   * DATASET_SQL.activity; a view of a content item that does not exist is left out, as the join
   * leaves it out. One read-only connection in one read transaction: every statement sees the
   * same snapshot.
   */
  private async *sqliteActivity(path: string, ids: number[]): AsyncGenerator<Row[]> {
    const db = openExportConnection(path);
    try {
      const columns = 'id, user_id, content_item_id, viewed_at, duration_seconds, device';
      const item = db.prepare('SELECT kind, title FROM content_items WHERE id = ?').raw(true);
      const items = new Map<unknown, unknown[] | null>();
      const complete = (rows: unknown[][]): Row[] => {
        const batch: Row[] = [];
        for (const [id, user_id, content_item_id, viewed_at, duration_seconds, device] of rows) {
          let c = items.get(content_item_id);
          if (c === undefined) {
            if (items.size >= CONTENT_CACHE) items.clear();
            c = (item.get(content_item_id) as unknown[] | undefined) ?? null;
            items.set(content_item_id, c);
          }
          if (c !== null) batch.push({ id, user_id, content_item_id, content_kind: c[0], content_title: c[1], viewed_at, duration_seconds, device });
        }
        return batch;
      };
      db.exec('BEGIN');
      if (ids.length === 1) {
        const page = db.prepare(`SELECT ${columns} FROM view_events WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ${EXPORT_BATCH}`).raw(true);
        let before: unknown = Number.MAX_SAFE_INTEGER;
        for (;;) {
          const rows = page.all(ids[0], before) as unknown[][];
          if (rows.length === 0) break;
          before = rows[rows.length - 1]![0];
          const batch = complete(rows);
          if (batch.length) yield batch;
        }
      } else {
        const events = db.prepare(`SELECT ${columns} FROM view_events WHERE user_id IN (${placeholders(ids.length)}) ORDER BY id DESC`).raw(true);
        let rows: unknown[][] = [];
        for (const row of events.iterate(...ids) as Iterable<unknown[]>) {
          rows.push(row);
          if (rows.length === EXPORT_BATCH) {
            const batch = complete(rows);
            rows = [];
            if (batch.length) yield batch;
          }
        }
        const batch = complete(rows);
        if (batch.length) yield batch;
      }
    } finally {
      db.close();
    }
  }

  // --- acting on a subject -------------------------------------------------------------------

  /** Dry run: one lookup of the subject's users, then one COUNT per dataset. Changes nothing. */
  async planErasure(subject: SubjectKey, signal: AbortSignal): Promise<ErasurePlanStep[]> {
    const filter = userFilter([subject]);
    const found = filter ? await this.query(`SELECT u.id, u.email_normalized, u.phone FROM users u WHERE ${filter.where}`, filter.params) : [];
    const users = found.filter((u) => matchesSubject(subject, u));
    signal.throwIfAborted();
    const ids = users.map((u) => Number(u.id));
    const counts = new Map<string, number>([['profile', ids.length]]);
    if (ids.length) {
      await Promise.all(
        ERASURE_TABLES.filter((t) => t.dataset !== 'profile').map(async (t) => {
          const [row] = await this.query(`SELECT COUNT(*) AS n FROM ${t.table} WHERE ${t.key} IN (${placeholders(ids.length)})`, ids);
          counts.set(t.dataset, Number(row?.n ?? 0));
        }),
      );
      signal.throwIfAborted();
    }
    return PLAN_ORDER.map((t) => ({ dataset: t.dataset, action: 'DELETE' as const, records: counts.get(t.dataset) ?? 0, note: t.note }));
  }

  /**
   * Deletes the subject's activity, answers, assignments and enrolments, then the user row, in one
   * transaction. On SQLite the write-ahead log is then checkpointed and truncated, so the erased
   * text survives neither there nor (secure_delete) in the database file.
   */
  async erase(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    signal.throwIfAborted();
    const deleted = await this.writeTurn(async () => {
      const perTable = await this.transaction(async (tx) => {
        const users = await this.lockUsers(tx, subject);
        if (users.length === 0) return undefined;
        const ids = users.map((u) => u.id);
        const counts = new Map<string, number>();
        for (const t of ERASURE_TABLES) {
          counts.set(t.dataset, await tx.run(`DELETE FROM ${t.table} WHERE ${t.key} IN (${placeholders(ids.length)})`, ids));
        }
        return counts;
      });
      const truncated = perTable ? await this.checkpoint() : true;
      return perTable && { perTable, truncated };
    });
    if (!deleted) return this.done('erase', { status: 'NOT_FOUND', recordsDeleted: 0, note: 'No app account matches the subject; nothing to delete' });
    const c = (d: string) => deleted.perTable.get(d) ?? 0;
    const total = [...deleted.perTable.values()].reduce((a, b) => a + b, 0);
    const note =
      `Deleted ${c('profile')} account(s) with ${c('activity')} view events, ${c('answers')} answers, ` +
      `${c('assignments')} mission assignments and ${c('enrolments')} enrolments` +
      (deleted.truncated ? '' : '; the database log still holds deleted pages until its next checkpoint');
    return this.done('erase', { status: 'SUCCEEDED', recordsDeleted: total, note });
  }

  /** Sets or lifts the account's processing restriction (Art. 18). */
  async restrict(subject: SubjectKey, restricted: boolean, signal: AbortSignal): Promise<ActionOutcome> {
    const value = restricted ? 1 : 0;
    const changed = await this.updateFlag(subject, 'processing_restricted', value, signal);
    if (changed === undefined) return this.done('restrict', { status: 'NOT_FOUND', note: 'No app account matches the subject' });
    const what = restricted ? 'Processing restricted' : 'Restriction lifted';
    return this.done('restrict', { status: 'SUCCEEDED', note: changed ? `${what} on ${changed} account(s)` : `${what} already; nothing changed` });
  }

  /** Turns the account's marketing consent off for good (Art. 21(3)). */
  async suppressMarketing(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    const changed = await this.updateFlag(subject, 'marketing_consent', 0, signal);
    if (changed === undefined) return this.done('suppressMarketing', { status: 'NOT_FOUND', note: 'No app account matches the subject' });
    return this.done('suppressMarketing', {
      status: 'SUCCEEDED',
      note: changed ? `Marketing consent turned off on ${changed} account(s)` : 'Marketing consent was already off; nothing changed',
    });
  }

  /** The corrections checked as rectify checks them, before the request is accepted. */
  checkChanges(changes: FieldChange[]): void {
    validateChanges(changes);
  }

  /**
   * Corrects profile fields (first_name, last_name, phone, email): every change is checked before
   * anything is written, then all are applied in one UPDATE. An email another account already
   * uses is refused (CONFLICT).
   */
  async rectify(subject: SubjectKey, changes: FieldChange[], signal: AbortSignal): Promise<ActionOutcome> {
    const values = validateChanges(changes);
    signal.throwIfAborted();
    const result = await this.writeTurn(() =>
      this.transaction(async (tx) => {
        const users = await this.lockUsers(tx, subject);
        if (users.length === 0) return undefined;
        const ids = users.map((u) => u.id);
        if (values.email_normalized !== undefined) {
          if (users.length > 1) throw new DsrError(ErrorCode.CONFLICT, 'The subject matches more than one app account; an email address can belong to one only');
          const taken = await tx.rows(`SELECT id FROM users WHERE email_normalized = ? AND id <> ?`, [values.email_normalized, ids[0]]);
          if (taken.length) throw emailTaken();
        }
        const columns = Object.keys(values) as (keyof UserColumnValues)[];
        const differing = columns.filter((col) => users.some((u) => u[col] !== values[col]));
        if (differing.length === 0) return { fields: [] as string[] };
        try {
          await tx.run(`UPDATE users SET ${columns.map((col) => `${col} = ?`).join(', ')} WHERE id IN (${placeholders(ids.length)})`, [
            ...columns.map((col) => values[col]),
            ...ids,
          ]);
        } catch (e) {
          if (isUniqueViolation(e)) throw emailTaken();
          throw e;
        }
        return { fields: differing.filter((col) => col !== 'email_normalized') };
      }),
    );
    if (!result) return this.done('rectify', { status: 'NOT_FOUND', note: 'No app account matches the subject; nothing corrected' });
    return this.done('rectify', {
      status: 'SUCCEEDED',
      note: result.fields.length ? `Corrected ${result.fields.join(', ')}` : 'The fields already hold the requested values; nothing changed',
    });
  }

  /** Sets a 0/1 column on the subject's users; the number of rows changed, undefined when none matched. */
  private async updateFlag(subject: SubjectKey, column: 'processing_restricted' | 'marketing_consent', value: 0 | 1, signal: AbortSignal): Promise<number | undefined> {
    signal.throwIfAborted();
    return this.writeTurn(() =>
      this.transaction(async (tx) => {
        const users = await this.lockUsers(tx, subject);
        if (users.length === 0) return undefined;
        const ids = users.filter((u) => Number(u[column]) !== value).map((u) => u.id);
        if (ids.length === 0) return 0;
        return tx.run(`UPDATE users SET ${column} = ? WHERE id IN (${placeholders(ids.length)})`, [value, ...ids]);
      }),
    );
  }

  /** The subject's users, found as collect finds them; locked for the transaction on MySQL. */
  private async lockUsers(tx: Tx, subject: SubjectKey): Promise<UserState[]> {
    const filter = userFilter([subject]);
    if (!filter) return [];
    const lock = this.location.kind === 'mysql' ? ' FOR UPDATE' : '';
    const rows = await tx.rows(
      `SELECT u.id, u.first_name, u.last_name, u.email, u.email_normalized, u.phone, u.marketing_consent, u.processing_restricted
       FROM users u WHERE ${filter.where}${lock}`,
      filter.params,
    );
    return rows
      .filter((u) => matchesSubject(subject, u))
      .map((u) => ({
        id: Number(u.id),
        first_name: String(u.first_name),
        last_name: String(u.last_name),
        email: String(u.email),
        email_normalized: String(u.email_normalized),
        phone: u.phone === null || u.phone === undefined ? null : String(u.phone),
        marketing_consent: Number(u.marketing_consent),
        processing_restricted: Number(u.processing_restricted),
      }));
  }

  private async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const ds = await this.db();
    return ds.transaction(async (manager) => {
      const runner = manager.queryRunner as QueryRunner;
      return work({
        rows: async (sql, params) => ((await runner.query(sql, params)) as Row[]).map((r) => ({ ...r })),
        run: async (sql, params) => Number((await runner.query(sql, params, true)).affected ?? 0),
      });
    });
  }

  /**
   * Write transactions take turns on SQLite: its one connection cannot hold two at once. On
   * MySQL each transaction has its own pooled connection and row locks, so they run freely.
   */
  private writeTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.location.kind !== 'sqlite') return work();
    const turn = this.writes.then(work);
    this.writes = turn.catch(() => undefined);
    return turn;
  }

  /**
   * SQLite: copies the write-ahead log into the database file and truncates it to zero bytes, so
   * pages as they were before an erasure are not left in the log. False when a reader kept it
   * from finishing (the next checkpoint completes it).
   */
  private async checkpoint(): Promise<boolean> {
    if (this.location.kind !== 'sqlite') return true;
    const [row] = await this.query('PRAGMA wal_checkpoint(TRUNCATE)', []);
    const done = Number(row?.busy ?? 0) === 0;
    if (!done) this.logger?.warn({ system: this.id }, 'app: write-ahead log not truncated after erasure (a reader was active); the next checkpoint completes it');
    return done;
  }

  /** Logs what an action did (status and counts only) and returns it. */
  private done(action: string, outcome: ActionOutcome): ActionOutcome {
    this.logger?.info({ system: this.id, action, status: outcome.status, recordsDeleted: outcome.recordsDeleted }, `app: ${action} ${outcome.status}`);
    return outcome;
  }

  discover(snapshot: SystemSnapshot): Omit<Identifier, 'source'>[] {
    const profile = snapshot.datasets.find((d) => d.name === 'profile')?.records ?? [];
    return profile.flatMap((u) => [
      { kind: 'appUserId' as const, value: String(u.id) },
      { kind: 'email' as const, value: String(u.email_normalized) },
      ...(u.phone ? [{ kind: 'phone' as const, value: String(u.phone) }] : []),
    ]);
  }

  private async query(sql: string, params: unknown[]): Promise<Row[]> {
    const rows = (await (await this.db()).query(sql, params)) as Row[];
    return rows.map((r) => ({ ...r }));
  }
}

const isRestricted = (u: Row) => Number(u.processing_restricted) === 1;

/** WHERE clause (over `users u`) and its parameters for every user any of the subjects names. */
function userFilter(subjects: SubjectKey[]): { where: string; params: unknown[] } | undefined {
  const emails = new Set<string>();
  const phones = new Set<string>();
  const ids = new Set<number>();
  for (const s of subjects) {
    s.email?.forEach((e) => emails.add(e));
    s.phone?.forEach((p) => phones.add(p));
    s.appUserId?.filter((id) => APP_USER_ID.test(id)).forEach((id) => ids.add(Number(id)));
  }
  const where: string[] = [];
  const params: unknown[] = [];
  if (emails.size) (where.push(`u.email_normalized IN (${placeholders(emails.size)})`), params.push(...emails));
  if (phones.size) (where.push(`u.phone IN (${placeholders(phones.size)})`), params.push(...phones));
  if (ids.size) (where.push(`u.id IN (${placeholders(ids.size)})`), params.push(...ids));
  return where.length ? { where: `(${where.join(' OR ')})`, params } : undefined;
}

/** Exact match of a user row to one subject's identifiers. */
function matchesSubject(s: SubjectKey, u: Row): boolean {
  return Boolean(
    s.email?.includes(String(u.email_normalized)) || (u.phone !== null && u.phone !== undefined && s.phone?.includes(String(u.phone))) || s.appUserId?.includes(String(u.id)),
  );
}

const emailTaken = () => new DsrError(ErrorCode.CONFLICT, 'Another app account already uses that email address');


function groupBy<T>(rows: T[], key: (r: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

export const appConnectorFactory: ConnectorFactory = {
  kind: 'app',
  resolvers: [AppSubjectResolver],
  create(id: string, settings: ConnectorSettings, env: ConnectorEnvironment): Connector {
    const location = settings.databaseUrl ? parseDatabaseUrl(settings.databaseUrl) : env.config.demo.appDatabase;
    return new AppConnector(id, location, env.logger);
  },
};
