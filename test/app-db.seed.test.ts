import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createSqlDataSource, type DatabaseLocation } from '../src/db/sql-datasource';
import type { SqlDialect } from '../simulators/app-db/schema';
import { isAppDatabaseSeeded, seedAppDatabase, type AppSeedSummary } from '../simulators/app-db/seed';
import { DEMO_ORGANISATIONS, demoPeople, SAMPLE_PERSON_IDS } from '../simulators/people';

const dialect: SqlDialect = process.env.DSR_TEST_DATABASE === 'mysql' ? 'mysql' : 'sqlite';
const MYSQL_URL = process.env.DSR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

type Row = Record<string, unknown>;

/** Creates empty databases for the current dialect and removes them afterwards. */
class Databases {
  private readonly opened: DataSource[] = [];
  private readonly created: string[] = [];
  private tmp: string | undefined;
  private admin: DataSource | undefined;

  async fresh(): Promise<DataSource> {
    let location: DatabaseLocation;
    if (dialect === 'sqlite') {
      this.tmp ??= mkdtempSync(join(tmpdir(), 'dsr-app-seed-'));
      location = { kind: 'sqlite', path: join(this.tmp, `app-${this.opened.length}.sqlite`) };
    } else {
      if (!this.admin) {
        this.admin = createSqlDataSource({ kind: 'mysql', url: MYSQL_URL }, { poolSize: 1 });
        await this.admin.initialize();
      }
      const name = `dsr_t_seed_${randomBytes(5).toString('hex')}`;
      await this.admin.query(`CREATE DATABASE ${name}`);
      this.created.push(name);
      const url = new URL(MYSQL_URL);
      url.pathname = `/${name}`;
      location = { kind: 'mysql', url: url.toString() };
    }
    const ds = createSqlDataSource(location, { poolSize: 2 });
    await ds.initialize();
    this.opened.push(ds);
    return ds;
  }

  async cleanup(): Promise<void> {
    for (const ds of this.opened) if (ds.isInitialized) await ds.destroy();
    if (this.admin) {
      for (const name of this.created) await this.admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await this.admin.destroy();
    }
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }
}

async function rows(ds: DataSource, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await ds.query(sql, params)) as Row[];
}

async function count(ds: DataSource, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await rows(ds, sql, params);
  return Number(Object.values(row)[0]);
}

async function eventsPerUser(ds: DataSource): Promise<{ userId: number; n: number }[]> {
  const result = await rows(ds, `SELECT user_id AS u, COUNT(*) AS n FROM view_events GROUP BY user_id ORDER BY COUNT(*) DESC, user_id`);
  return result.map((r) => ({ userId: Number(r.u), n: Number(r.n) }));
}

const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe(`demo app database seed (${dialect})`, () => {
  const dbs = new Databases();
  let a: DataSource;
  let b: DataSource;
  let summaryA: AppSeedSummary;
  let summaryB: AppSeedSummary;
  const USERS = 300;
  const EVENTS = 20_000;

  beforeAll(async () => {
    a = await dbs.fresh();
    b = await dbs.fresh();
    expect(await isAppDatabaseSeeded(a)).toBe(false);
    summaryA = await seedAppDatabase(a, dialect, { users: USERS, events: EVENTS });
    summaryB = await seedAppDatabase(b, dialect, { users: USERS, events: EVENTS });
  });

  afterAll(async () => {
    await dbs.cleanup();
  });

  it('reports seeded only after a completed seed, and refuses to seed twice', async () => {
    const empty = await dbs.fresh();
    expect(await isAppDatabaseSeeded(empty)).toBe(false);
    await empty.query(`CREATE TABLE seed_info (k VARCHAR(50) NOT NULL PRIMARY KEY, v VARCHAR(4000) NOT NULL)`);
    expect(await isAppDatabaseSeeded(empty)).toBe(false);
    expect(await isAppDatabaseSeeded(a)).toBe(true);
    await expect(seedAppDatabase(a, dialect, { users: USERS, events: EVENTS })).rejects.toThrow(/already seeded/);
  });

  it('writes the requested counts and a matching summary', async () => {
    expect(await count(a, 'SELECT COUNT(*) FROM users')).toBe(USERS);
    expect(await count(a, 'SELECT COUNT(*) FROM view_events')).toBe(EVENTS);
    expect(await count(a, 'SELECT COUNT(*) FROM organisations')).toBe(DEMO_ORGANISATIONS.length);
    expect(await count(a, 'SELECT COUNT(*) FROM content_items')).toBeGreaterThanOrEqual(50);
    expect(await count(a, 'SELECT COUNT(*) FROM courses')).toBeGreaterThanOrEqual(20);
    expect(await count(a, 'SELECT COUNT(*) FROM missions')).toBeGreaterThanOrEqual(12);
    expect(summaryA.users).toBe(USERS);
    expect(summaryA.events).toBe(EVENTS);
    expect(await count(a, 'SELECT COUNT(*) FROM enrolments')).toBe(summaryA.enrolments);
    expect(await count(a, 'SELECT COUNT(*) FROM mission_assignments')).toBe(summaryA.assignments);
    expect(await count(a, 'SELECT COUNT(*) FROM answers')).toBe(summaryA.answers);
    expect(summaryA.enrolments / USERS).toBeGreaterThan(1.2);
    expect(summaryA.enrolments / USERS).toBeLessThan(1.8);
    expect(summaryA.assignments / USERS).toBeGreaterThan(1.7);
    expect(summaryA.assignments / USERS).toBeLessThan(2.3);
    const info = Object.fromEntries((await rows(a, 'SELECT k, v FROM seed_info')).map((r) => [r.k, r.v]));
    expect(info).toEqual({ users: String(USERS), events: String(EVENTS), seed: '20261125', complete: expect.any(String) });
  });

  it('is deterministic', async () => {
    expect(summaryB).toEqual(summaryA);
    const users = 'SELECT * FROM users ORDER BY id';
    expect(await rows(b, users)).toEqual(await rows(a, users));
    const sample = 'SELECT * FROM view_events WHERE id % 37 = 1 ORDER BY id';
    const sampleA = await rows(a, sample);
    expect(sampleA.length).toBeGreaterThan(500);
    expect(await rows(b, sample)).toEqual(sampleA);
    expect(await eventsPerUser(b)).toEqual(await eventsPerUser(a));
    for (const table of ['enrolments', 'mission_assignments', 'answers']) {
      const sql = `SELECT * FROM ${table} ORDER BY id`;
      expect(await rows(b, sql)).toEqual(await rows(a, sql));
    }
    expect(demoPeople(USERS)).toEqual(demoPeople(USERS));
  });

  it('contains the seven sample subjects exactly', async () => {
    const samples = await rows(
      a,
      `SELECT u.id, u.first_name, u.last_name, u.email, u.email_normalized, u.phone, u.marketing_consent,
              u.processing_restricted, u.last_login_at, o.contract_end
         FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.id <= 7 ORDER BY u.id`,
    );
    const by = (id: number) => samples.find((r) => Number(r.id) === id)!;
    expect(samples.map((r) => Number(r.id))).toEqual(SAMPLE_PERSON_IDS);
    expect(samples.map((r) => [r.first_name, r.last_name, r.email, r.phone])).toEqual([
      ['Anna', 'Lindqvist', 'anna.lindqvist@northwind.example', '+46701234501'],
      ['Erik', 'Nilsson', 'erik_nilsson@contoso.example', '+46701234502'],
      ['Erik', 'Xnilsson', 'erikxnilsson@contoso.example', '+46701234503'],
      ['Sofia', 'Berg', 'Sofia.Berg@Fabrikam.example', null],
      ['Jöns'.normalize('NFC'), 'Åkesson'.normalize('NFC'), 'jöns.åkesson@tailspin.example'.normalize('NFC'), '+46701234505'],
      ['Lars', 'Ek', 'lars.ek@woodgrove.example', '+46701234506'],
      ['Maria', 'Holm', 'maria.holm@northwind.example', '+46701234507'],
    ]);
    expect(by(4).email_normalized).toBe('sofia.berg@fabrikam.example');
    expect(String(by(5).email)).toBe(String(by(5).email).normalize('NFC'));
    expect(String(by(5).email).length).toBe('jöns.åkesson@tailspin.example'.normalize('NFC').length);
    expect(Number(by(1).marketing_consent)).toBe(1);
    expect(samples.map((r) => Number(r.processing_restricted))).toEqual([0, 0, 0, 0, 0, 0, 1]);
    // Lars's employer ended its contract more than a year before 2026-11-25.
    expect(String(by(6).contract_end) < '2025-11-25').toBe(true);
    expect(String(by(6).last_login_at) <= `${String(by(6).contract_end)} 23:59:59`).toBe(true);
    expect(await count(a, `SELECT COUNT(*) FROM view_events WHERE user_id = 6 AND viewed_at > ?`, [`${String(by(6).contract_end)} 23:59:59`])).toBe(0);
    for (const r of samples) expect(r.last_login_at).not.toBeNull();

    expect(summaryA.samples.map((s) => [s.appUserId, s.email])).toEqual(samples.map((r) => [String(r.id), r.email]));
    for (const s of summaryA.samples) expect(s.note.length).toBeGreaterThan(5);

    // Exact (binary) matching keeps the look-alike and non-ASCII subjects apart.
    expect(await count(a, `SELECT COUNT(*) FROM users WHERE email_normalized = ?`, ['erik_nilsson@contoso.example'])).toBe(1);
    expect(await count(a, `SELECT COUNT(*) FROM users WHERE email_normalized = ?`, ['jons.akesson@tailspin.example'])).toBe(0);
  });

  it('stores a correct, unique normalised email for everyone, and unique phones', async () => {
    const all = await rows(a, 'SELECT id, email, email_normalized, phone, created_at, last_login_at, organisation_id FROM users ORDER BY id');
    for (const r of all) {
      expect(r.email_normalized).toBe(String(r.email).trim().normalize('NFC').toLowerCase());
      expect(r.created_at).toMatch(DATETIME);
      if (r.last_login_at !== null) {
        expect(r.last_login_at).toMatch(DATETIME);
        expect(String(r.last_login_at) >= String(r.created_at)).toBe(true);
      }
    }
    expect(new Set(all.map((r) => r.email_normalized)).size).toBe(USERS);
    const phones = all.map((r) => r.phone).filter((p) => p !== null) as string[];
    expect(new Set(phones).size).toBe(phones.length);
    for (const p of phones) expect(p).toMatch(/^\+4670\d{7}$/);
    const nullPhones = USERS - phones.length;
    expect(nullPhones).toBeGreaterThan(USERS * 0.04);
    expect(nullPhones).toBeLessThan(USERS * 0.2);
    expect(await count(a, `SELECT COUNT(*) FROM users WHERE first_name LIKE '%å%' OR first_name LIKE '%ä%' OR first_name LIKE '%ö%' OR last_name LIKE '%ö%' OR last_name LIKE '%å%'`)).toBeGreaterThan(0);
    const consent = await count(a, 'SELECT COUNT(*) FROM users WHERE marketing_consent = 1');
    expect(consent / USERS).toBeGreaterThan(0.3);
    expect(consent / USERS).toBeLessThan(0.5);
    // created_at within the employer's contract
    const endOfContract = dialect === 'mysql' ? "CONCAT(o.contract_end, ' 23:59:59')" : "o.contract_end || ' 23:59:59'";
    const outside = await count(
      a,
      `SELECT COUNT(*) FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.created_at < o.contract_start OR (o.contract_end IS NOT NULL AND u.created_at > ${endOfContract})`,
    );
    expect(outside).toBe(0);
  });

  it('skews view events towards the heavy sample user', async () => {
    const perUser = await eventsPerUser(a);
    expect(perUser[0].userId).toBe(1);
    expect(perUser[0].n).toBeGreaterThanOrEqual(5 * Math.ceil(EVENTS / USERS));
    expect(perUser[0].n).toBeGreaterThan(perUser[1].n);
    const [range] = await rows(a, 'SELECT MIN(viewed_at) AS lo, MAX(viewed_at) AS hi FROM view_events');
    expect(String(range.lo) >= '2025-01-01 00:00:00').toBe(true);
    expect(String(range.hi) <= '2026-11-20 23:59:59').toBe(true);
    expect(range.lo).toMatch(DATETIME);
    const devices = (await rows(a, 'SELECT DISTINCT device FROM view_events ORDER BY device')).map((r) => r.device);
    expect(devices).toEqual(['android', 'ios', 'web']);
    expect(await count(a, 'SELECT COUNT(*) FROM view_events WHERE duration_seconds <= 0')).toBe(0);
    expect(await count(a, 'SELECT COUNT(*) FROM view_events e LEFT JOIN content_items c ON c.id = e.content_item_id WHERE c.id IS NULL')).toBe(0);
    // Anna also has several enrolments and answers.
    expect(await count(a, 'SELECT COUNT(*) FROM enrolments WHERE user_id = 1')).toBeGreaterThanOrEqual(3);
    expect(await count(a, 'SELECT COUNT(*) FROM answers WHERE user_id = 1')).toBeGreaterThanOrEqual(3);
  });

  it('keeps enrolments, assignments and answers consistent', async () => {
    const enrolments = await rows(a, 'SELECT progress_percent, completed_at, certificate_id, enrolled_at FROM enrolments');
    for (const e of enrolments) {
      const p = Number(e.progress_percent);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(100);
      if (p === 100) {
        expect(e.certificate_id).toMatch(/^CERT-\d{4}-\d{6}$/);
        expect(e.completed_at).toMatch(DATETIME);
        expect(String(e.completed_at) >= String(e.enrolled_at)).toBe(true);
      } else {
        expect(e.certificate_id).toBeNull();
        expect(e.completed_at).toBeNull();
      }
    }
    const certs = enrolments.map((e) => e.certificate_id).filter((c) => c !== null);
    expect(certs.length).toBeGreaterThan(0);
    expect(new Set(certs).size).toBe(certs.length);

    const statuses = (await rows(a, 'SELECT DISTINCT status FROM mission_assignments ORDER BY status')).map((r) => r.status);
    expect(statuses).toEqual(['assigned', 'overdue', 'submitted']);
    expect(await count(a, `SELECT COUNT(*) FROM mission_assignments WHERE status = 'submitted'`)).toBe(summaryA.answers);
    expect(
      await count(
        a,
        `SELECT COUNT(*) FROM answers x JOIN mission_assignments m ON m.id = x.assignment_id
          WHERE m.status = 'submitted' AND m.user_id = x.user_id AND x.submitted_at >= m.assigned_at`,
      ),
    ).toBe(summaryA.answers);
    const scores = await rows(a, 'SELECT score, answer_text FROM answers');
    for (const s of scores) {
      if (s.score !== null) expect(Number(s.score)).toBeGreaterThanOrEqual(0);
      if (s.score !== null) expect(Number(s.score)).toBeLessThanOrEqual(10);
      const sentences = String(s.answer_text).split(/(?<=[.!?])\s+/);
      expect(sentences.length).toBeGreaterThanOrEqual(1);
      expect(sentences.length).toBeLessThanOrEqual(3);
    }
  });

  it('works with a small database: samples exist and the heavy user still leads', async () => {
    const small = await dbs.fresh();
    const summary = await seedAppDatabase(small, dialect, { users: 50, events: 2000 });
    expect(summary.samples).toHaveLength(7);
    expect(await count(small, 'SELECT COUNT(*) FROM users')).toBe(50);
    expect(await count(small, 'SELECT COUNT(*) FROM view_events')).toBe(2000);
    expect(await count(small, 'SELECT COUNT(*) FROM users WHERE id <= 7')).toBe(7);
    const perUser = await eventsPerUser(small);
    expect(perUser[0].userId).toBe(1);
    expect(perUser[0].n).toBeGreaterThan(perUser[1].n);
    expect(await isAppDatabaseSeeded(small)).toBe(true);
    // The users are the same people whatever the size.
    const first50 = await rows(small, 'SELECT id, email, phone FROM users ORDER BY id');
    const firstOfBig = await rows(a, 'SELECT id, email, phone FROM users WHERE id <= 50 ORDER BY id');
    expect(first50).toEqual(firstOfBig);
  });

  it('rejects fewer users than sample subjects', async () => {
    const tiny = await dbs.fresh();
    await expect(seedAppDatabase(tiny, dialect, { users: 6, events: 10 })).rejects.toThrow(/users/);
  });
});
