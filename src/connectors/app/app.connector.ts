import type { DataSource } from 'typeorm';
import type { ConnectorSettings } from '../../config';
import { createSqlDataSource, type DatabaseLocation, parseDatabaseUrl, QueryCounter } from '../../db/sql-datasource';
import BetterSqlite3 from 'better-sqlite3';
import type { CollectOptions, Connector, ConnectorEnvironment, ConnectorFactory, Identifier, RecordSink, Row, SubjectKey, SystemSnapshot } from '../connector';
import { APP_DESCRIPTOR } from './app.descriptor';
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

/** Rows handed to an export's sink at a time. */
const EXPORT_BATCH = 1000;
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

  constructor(
    readonly id: string,
    private readonly location: DatabaseLocation,
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
    const users: Row[] = where.length ? await this.query(PROFILE_SQL + where.join(' OR '), params) : [];
    return subjects.map((s) =>
      users.filter(
        (u) =>
          s.email?.includes(String(u.email_normalized)) ||
          (u.phone !== null && s.phone?.includes(String(u.phone))) ||
          s.appUserId?.includes(String(u.id)),
      ),
    );
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
      for await (const batch of this.stream(sql(placeholders(ids.length), true), ids)) {
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
      const db = new BetterSqlite3(this.location.path, { readonly: true, fileMustExist: true });
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
      try {
        for await (const row of await runner.stream(sql, params)) {
          batch.push({ ...(row as Row) });
          if (batch.length === EXPORT_BATCH) {
            yield batch;
            batch = [];
          }
        }
      } finally {
        await runner.release();
      }
    }
    if (batch.length) yield batch;
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
    return new AppConnector(id, location);
  },
};
