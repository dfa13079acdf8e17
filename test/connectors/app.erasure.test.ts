import { existsSync, readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { seedAppDatabase } from '../../simulators/app-db/seed';
import { demoPeople, type DemoPerson } from '../../simulators/people';
import { loadConfig, type ConnectorSettings } from '../../src/config';
import { AppConnector, appConnectorFactory } from '../../src/connectors/app/app.connector';
import type { ActionOutcome, Connector, FieldChange, Row, SubjectKey, SystemSnapshot } from '../../src/connectors/connector';
import { createSqlDataSource, parseDatabaseUrl } from '../../src/db/sql-datasource';
import { DsrError } from '../../src/errors';
import { normaliseSubject } from '../../src/services/identity';
import { createTestDatabase, tempDir, TEST_DATABASE, type TestDatabase } from '../support/databases';
import { capturingLogger } from './http/test-server';

const USERS = 300;
const people = demoPeople(USERS);
const person = (id: number): DemoPerson => people[id - 1]!;
const ANNA = person(1); // the heavy user: the most view events
const ERIK = person(2); // erik_nilsson@...
const ERIKX = person(3); // erikxnilsson@..., the look-alike
const SOFIA = person(4); // email stored in mixed case, no phone
const JONS = person(5); // non-ASCII name and email
const LARS = person(6);
const MARIA = person(7); // processing restricted in the seed

/** A table and the column naming the user, per dataset (in the descriptor's order). */
const TABLES = { profile: ['users', 'id'], activity: ['view_events', 'user_id'], enrolments: ['enrolments', 'user_id'], assignments: ['mission_assignments', 'user_id'], answers: ['answers', 'user_id'] } as const;
const DATASETS = Object.keys(TABLES) as (keyof typeof TABLES)[];

const tmp = tempDir('app-erasure');
const { logger, lines } = capturingLogger();
const config = loadConfig({ NODE_ENV: 'test', DSR_DATA_DIR: tmp.dir });
const never = new AbortController().signal;

let db: TestDatabase;
/** A separate connection that reads the database back, as the tests' own witness. */
let witness: DataSource;
let app: AppConnector;

beforeAll(async () => {
  db = await createTestDatabase('app', tmp.dir);
  const seeder = createSqlDataSource(parseDatabaseUrl(db.url));
  await seeder.initialize();
  await seedAppDatabase(seeder, TEST_DATABASE, { users: USERS, events: 8_000 });
  await seeder.destroy();
  witness = createSqlDataSource(parseDatabaseUrl(db.url), { poolSize: 2 });
  await witness.initialize();
  if (TEST_DATABASE === 'sqlite') {
    // Start from a compact file: the seed's page splits leave copies of the first rows in free
    // space that no later delete reaches, so the byte scan below measures only what erasure leaves.
    await witness.query('PRAGMA secure_delete = ON');
    await witness.query('VACUUM');
    await witness.query('PRAGMA secure_delete = OFF');
  }
  app = appConnectorFactory.create('app', { kind: 'app', enabled: true, databaseUrl: db.url } as ConnectorSettings, { config, logger }) as AppConnector;
});

afterAll(async () => {
  await app?.close();
  if (witness?.isInitialized) await witness.destroy();
  await db?.drop();
  tmp.remove();
});

const byEmail = (p: DemoPerson) => normaliseSubject({ email: p.email });
const byPhone = (p: DemoPerson) => normaliseSubject({ phone: p.phone! });
const byId = (p: DemoPerson) => normaliseSubject({ appUserId: String(p.id) });
const NOBODY = normaliseSubject({ email: 'nobody.here@northwind.example' });

async function collect(subject: SubjectKey): Promise<SystemSnapshot> {
  const [snapshot] = await app.collect([subject], never);
  return snapshot!;
}
const records = (s: SystemSnapshot, dataset: string): Row[] => s.datasets.find((d) => d.name === dataset)!.records;
const countsOf = (s: SystemSnapshot) => Object.fromEntries(DATASETS.map((d) => [d, records(s, d).length]));

async function sql(query: string, params: unknown[] = []): Promise<Row[]> {
  return ((await witness.query(query, params)) as Row[]).map((r) => ({ ...r }));
}
async function userRow(id: number): Promise<Row | undefined> {
  return (await sql('SELECT * FROM users WHERE id = ?', [id]))[0];
}
/** Rows per table, for the whole database and for one user. */
async function tableTotals(userId?: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const d of DATASETS) {
    const [table, key] = TABLES[d];
    const where = userId === undefined ? '' : ` WHERE ${key} = ?`;
    out[d] = Number((await sql(`SELECT COUNT(*) AS n FROM ${table}${where}`, userId === undefined ? [] : [userId]))[0]!.n);
  }
  return out;
}

/** Runs an action expected to be refused; returns the error. */
async function refused(action: Promise<unknown>): Promise<DsrError> {
  const e = await action.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DsrError);
  return e as DsrError;
}
const code = (e: DsrError) => e.extensions.code;

const outcomes: ActionOutcome[] = [];
const errors: DsrError[] = [];
const track = <T extends ActionOutcome>(o: T): T => (outcomes.push(o), o);

describe(`app connector: erasure, restriction, objection, rectification (${TEST_DATABASE})`, () => {
  it('declares what its methods do', () => {
    expect(app.system.capabilities).toEqual(['ACCESS', 'ERASURE', 'RESTRICTION', 'RECTIFICATION', 'MARKETING_SUPPRESSION']);
    expect((app as Connector).manualInstructions).toBeUndefined(); // nothing is left to a person
  });

  it('plans an erasure with one lookup and one COUNT per dataset, and changes nothing', async () => {
    const before = await collect(byEmail(ANNA));
    const totals = await tableTotals();
    expect(records(before, 'activity').length).toBeGreaterThan(100);

    const queries = app.queries.count;
    const plan = await app.planErasure(byEmail(ANNA), never);
    expect(app.queries.count - queries).toBe(DATASETS.length); // the lookup (profile) + a COUNT per other dataset

    expect(plan.map((s) => s.dataset)).toEqual(app.system.datasets.map((d) => d.name));
    expect(plan.every((s) => s.action === 'DELETE' && typeof s.note === 'string')).toBe(true);
    expect(Object.fromEntries(plan.map((s) => [s.dataset, s.records]))).toEqual(countsOf(before));
    expect(Object.fromEntries(plan.map((s) => [s.dataset, s.records]))).toEqual(await tableTotals(ANNA.id));

    // nothing changed
    expect(await collect(byEmail(ANNA))).toEqual(before);
    expect(await tableTotals()).toEqual(totals);
    // the same plan by any identifier
    expect(await app.planErasure(byPhone(ANNA), never)).toEqual(plan);
    expect(await app.planErasure(byId(ANNA), never)).toEqual(plan);
  });

  it('plans nothing for a subject the app does not hold, with one query', async () => {
    const queries = app.queries.count;
    const plan = await app.planErasure(NOBODY, never);
    expect(app.queries.count - queries).toBe(1);
    expect(plan.map((s) => [s.dataset, s.action, s.records])).toEqual(DATASETS.map((d) => [d, 'DELETE', 0]));
    // identifiers the app cannot be searched by: no query at all
    const none = await app.planErasure({ customerNumber: ['2001'] }, never);
    expect(none.every((s) => s.records === 0)).toBe(true);
  });

  it('erases a person in one transaction: nothing left that names them, their employer stays', async () => {
    const subject = byEmail(ANNA);
    const snapshot = await collect(subject);
    const identifiers = app.discover(snapshot);
    const plan = await app.planErasure(subject, never);
    const totals = await tableTotals();
    const others = await collect(byEmail(LARS));

    const queries = app.queries.count;
    const outcome = track(await app.erase(subject, never));
    const statements = app.queries.count - queries;
    const planned = plan.reduce((a, s) => a + s.records, 0);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', recordsDeleted: planned });
    expect(outcome.note).toMatch(/^Deleted 1 account\(s\) with \d+ view events/);
    // BEGIN, the lookup, five deletes, COMMIT (and on SQLite the checkpoint)
    expect(statements).toBe(TEST_DATABASE === 'sqlite' ? 9 : 8);

    // every table lost exactly what the plan said
    const after = await tableTotals();
    for (const step of plan) expect(totals[step.dataset]! - after[step.dataset]!).toBe(step.records);

    // read back by every identifier the app revealed, alone and together
    for (const id of identifiers) {
      const s = await collect({ [id.kind]: [id.value] });
      expect(s.found).toBe(false);
      expect(s.datasets.every((d) => d.records.length === 0)).toBe(true);
    }
    expect((await collect({ email: [ANNA.email.toLowerCase()], phone: [ANNA.phone!], appUserId: ['1'] })).found).toBe(false);

    // and with SQL: no row with their id, email, phone or name
    expect(await tableTotals(ANNA.id)).toEqual(Object.fromEntries(DATASETS.map((d) => [d, 0])));
    expect(await sql('SELECT id FROM users WHERE email_normalized = ? OR email = ? OR phone = ? OR (first_name = ? AND last_name = ?)', [ANNA.email.toLowerCase(), ANNA.email, ANNA.phone, ANNA.firstName, ANNA.lastName])).toEqual([]);
    expect(await sql('SELECT id FROM organisations WHERE id = ?', [ANNA.organisationId])).toHaveLength(1);
    expect(await collect(byEmail(LARS))).toEqual(others);

    // the plan now has nothing to do
    expect((await app.planErasure(subject, never)).every((s) => s.records === 0)).toBe(true);
  });

  it('is idempotent: a second erasure finds nothing and says so', async () => {
    const totals = await tableTotals();
    for (const subject of [byEmail(ANNA), byPhone(ANNA), byId(ANNA)]) {
      expect(track(await app.erase(subject, never))).toMatchObject({ status: 'NOT_FOUND', recordsDeleted: 0 });
    }
    expect(await tableTotals()).toEqual(totals);
  });

  it('leaves look-alikes untouched (erik_nilsson vs erikxnilsson)', async () => {
    const lookalike = await collect(byEmail(ERIKX));
    expect(lookalike.found).toBe(true);
    const erik = await collect(byEmail(ERIK));
    const outcome = track(await app.erase(byEmail(ERIK), never));
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', recordsDeleted: Object.values(countsOf(erik)).reduce((a, b) => a + b, 0) });
    expect((await collect(byEmail(ERIK))).found).toBe(false);
    expect(await collect(byEmail(ERIKX))).toEqual(lookalike);
    expect(await collect(byPhone(ERIKX))).toEqual(lookalike);
  });

  it('erases several subjects at once, each on its own', async () => {
    const batch = [10, 11, 12, 13, 14].map(person);
    const expected = await Promise.all(batch.map(async (p) => Object.values(countsOf(await collect(byId(p)))).reduce((a, b) => a + b, 0)));
    const results = await Promise.all(batch.map((p) => app.erase(byId(p), never)));
    expect(results.map((r) => [r.status, r.recordsDeleted])).toEqual(expected.map((n) => ['SUCCEEDED', n]));
    for (const p of batch) expect(await tableTotals(p.id)).toEqual(Object.fromEntries(DATASETS.map((d) => [d, 0])));
  });

  it('rolls the whole erasure back when a statement fails midway', async () => {
    const p = person(20);
    const before = await tableTotals(p.id);
    expect(before.activity).toBeGreaterThan(0);
    await witness.query('ALTER TABLE answers RENAME TO answers_moved');
    try {
      await expect(app.erase(byId(p), never)).rejects.toThrow();
      expect(await tableTotals(p.id).catch(() => undefined)).toBeUndefined(); // answers is missing now
      expect(Number((await sql('SELECT COUNT(*) AS n FROM view_events WHERE user_id = ?', [p.id]))[0]!.n)).toBe(before.activity);
      expect(await userRow(p.id)).toBeDefined();
    } finally {
      await witness.query('ALTER TABLE answers_moved RENAME TO answers');
    }
    expect(await tableTotals(p.id)).toEqual(before);
    expect(track(await app.erase(byId(p), never)).recordsDeleted).toBe(Object.values(before).reduce((a, b) => a + b, 0));
  });

  it('restricts processing and lifts it again, reading back each time', async () => {
    const lookalike = await userRow(ERIKX.id);
    expect((await collect(byEmail(SOFIA))).restricted).toBe(false);

    expect(track(await app.restrict(byEmail(SOFIA), true, never))).toMatchObject({ status: 'SUCCEEDED', note: 'Processing restricted on 1 account(s)' });
    expect((await collect(byEmail(SOFIA))).restricted).toBe(true);
    expect(Number((await userRow(SOFIA.id))!.processing_restricted)).toBe(1);
    expect(track(await app.restrict(byId(SOFIA), true, never))).toMatchObject({ status: 'SUCCEEDED', note: expect.stringMatching(/already; nothing changed/) });
    expect((await collect(byEmail(SOFIA))).restricted).toBe(true);

    expect(track(await app.restrict(byEmail(SOFIA), false, never))).toMatchObject({ status: 'SUCCEEDED', note: 'Restriction lifted on 1 account(s)' });
    expect((await collect(byEmail(SOFIA))).restricted).toBe(false);
    expect(Number((await userRow(SOFIA.id))!.processing_restricted)).toBe(0);

    // the seeded restricted user keeps their flag; the look-alike is untouched
    expect((await collect(byEmail(MARIA))).restricted).toBe(true);
    expect(await userRow(ERIKX.id)).toEqual(lookalike);
    expect(track(await app.restrict(NOBODY, true, never))).toMatchObject({ status: 'NOT_FOUND' });
    expect(track(await app.restrict(byEmail(ANNA), true, never))).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('turns marketing consent off for good', async () => {
    const p = person(40);
    await witness.query('UPDATE users SET marketing_consent = 1 WHERE id = ?', [p.id]);
    const lookalike = await userRow(ERIKX.id);
    expect(track(await app.suppressMarketing(byEmail(p), never))).toMatchObject({ status: 'SUCCEEDED', note: 'Marketing consent turned off on 1 account(s)' });
    expect(Number(records(await collect(byEmail(p)), 'profile')[0]!.marketing_consent)).toBe(0);
    expect(track(await app.suppressMarketing(byId(p), never))).toMatchObject({ status: 'SUCCEEDED', note: 'Marketing consent was already off; nothing changed' });
    expect(Number((await userRow(p.id))!.marketing_consent)).toBe(0);
    expect(await userRow(ERIKX.id)).toEqual(lookalike);
    expect(track(await app.suppressMarketing(NOBODY, never))).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('corrects profile fields in one update and reads them back', async () => {
    const subject = byEmail(JONS);
    const lookalike = await userRow(ERIKX.id);
    const changes: FieldChange[] = [
      { field: 'first_name', value: '  Jöns Olof ' },
      { field: 'last_name', value: 'A\u030akesson-Lind' }, // decomposed Å: stored NFC
      { field: 'phone', value: '070-123 45 95' },
      { field: 'email', value: ' Jons.Akesson@Tailspin.example ' },
    ];
    const queries = app.queries.count;
    const outcome = track(await app.rectify(subject, changes, never));
    expect(outcome).toEqual({ status: 'SUCCEEDED', note: 'Corrected first_name, last_name, phone, email' });
    // BEGIN, the lookup, the email's uniqueness check, one UPDATE, COMMIT
    expect(app.queries.count - queries).toBe(5);

    const s = await collect(normaliseSubject({ email: 'jons.akesson@tailspin.example' }));
    expect(records(s, 'profile')).toEqual([
      expect.objectContaining({ id: JONS.id, first_name: 'Jöns Olof', last_name: 'Åkesson-Lind'.normalize('NFC'), phone: '+46701234595', email: 'Jons.Akesson@Tailspin.example', email_normalized: 'jons.akesson@tailspin.example' }),
    ]);
    expect(records(s, 'activity').length).toBeGreaterThan(0); // the rest of the account is the same
    expect((await collect(normaliseSubject({ phone: '+46701234595' }))).found).toBe(true);
    expect((await collect(subject)).found).toBe(false); // the old email names nobody now
    expect(await userRow(ERIKX.id)).toEqual(lookalike);

    // the same corrections again: nothing to change, said so
    expect(track(await app.rectify(byId(JONS), changes, never))).toEqual({ status: 'SUCCEEDED', note: 'The fields already hold the requested values; nothing changed' });
    // an address differing only in case is the person's own, not another account's
    expect(track(await app.rectify(byId(JONS), [{ field: 'email', value: 'JONS.AKESSON@tailspin.example' }], never))).toMatchObject({ status: 'SUCCEEDED', note: 'Corrected email' });
    expect((await userRow(JONS.id))!.email).toBe('JONS.AKESSON@tailspin.example');
    expect(track(await app.rectify(byEmail(ANNA), [{ field: 'first_name', value: 'Ann' }], never))).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('refuses unknown fields and invalid values before changing anything', async () => {
    const subject = byId(JONS);
    const before = await userRow(JONS.id);
    const valid = { field: 'first_name', value: 'Changed' };
    const cases: FieldChange[][] = [
      [],
      [valid, { field: 'password', value: 'x' }],
      [valid, { field: 'organisation_id', value: '2' }],
      [valid, { field: 'processing_restricted', value: '0' }],
      [valid, { field: 'phone', value: '12' }],
      [valid, { field: 'email', value: 'not-an-email' }],
      [valid, { field: 'last_name', value: '   ' }],
      [valid, { field: 'last_name', value: 'x'.repeat(101) }],
      [valid, { field: 'last_name', value: 'Ek\u0000' }],
      [valid, { field: 'first_name', value: 'Again' }],
    ];
    for (const changes of cases) {
      const queries = app.queries.count;
      const e = await refused(app.rectify(subject, changes, never));
      errors.push(e);
      expect(code(e)).toBe('BAD_USER_INPUT');
      expect(app.queries.count).toBe(queries); // refused before the database was asked
    }
    // another account's address (in another case): refused, nothing changed
    const taken = await refused(app.rectify(subject, [valid, { field: 'email', value: ERIKX.email.toUpperCase() }], never));
    errors.push(taken);
    expect(code(taken)).toBe('CONFLICT');
    // a subject naming two accounts cannot take one address
    const two = await refused(app.rectify({ appUserId: [String(JONS.id), String(LARS.id)] }, [{ field: 'email', value: 'shared@tailspin.example' }], never));
    errors.push(two);
    expect(code(two)).toBe('CONFLICT');
    expect(await userRow(JONS.id)).toEqual(before);
    expect(await userRow(ERIKX.id)).toMatchObject({ email_normalized: ERIKX.email });
  });

  it('keeps identifiers out of logs, notes and error messages', () => {
    expect(lines.length).toBeGreaterThan(0);
    const text = [...lines, ...outcomes.map((o) => o.note ?? ''), ...errors.map((e) => e.message)].join('\n');
    const touched = [ANNA, ERIK, ERIKX, SOFIA, JONS, LARS, person(40), person(20)];
    const contacts = touched.flatMap((p) => [p.email, ...(p.phone ? [p.phone, p.phone.slice(3)] : [])]);
    contacts.push('jons.akesson@tailspin.example', '+46701234595', 'shared@tailspin.example');
    for (const s of contacts) expect(text.toLowerCase()).not.toContain(s.toLowerCase());
    const names = touched.flatMap((p) => [p.firstName, p.lastName]).filter((n) => n.length > 3);
    names.push('Åkesson-Lind', 'Jöns Olof');
    for (const n of names) expect(text).not.toContain(n);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(entry).filter((k) => /id$|email|phone|name|subject/i.test(k) && k !== 'msg')).toEqual([]);
    }
  });

  (TEST_DATABASE === 'sqlite' ? it : it.skip)('leaves no erased text in the SQLite files (database, WAL, shared memory)', async () => {
    const location = parseDatabaseUrl(db.url);
    if (location.kind !== 'sqlite') throw new Error('sqlite only');
    const files = [location.path, `${location.path}-wal`, `${location.path}-shm`];
    const inFiles = (text: string) => files.some((f) => existsSync(f) && readFileSync(f).includes(Buffer.from(text, 'utf8')));
    const needles = [ERIKX.email, ERIKX.lastName, ERIKX.phone!];
    const found = () => needles.filter(inFiles);

    // control: the same delete on a connection without secure_delete leaves the text in the file
    const control = person(60);
    expect(inFiles(control.email)).toBe(true);
    await witness.query('DELETE FROM users WHERE id = ?', [control.id]);
    await witness.query('PRAGMA wal_checkpoint(TRUNCATE)');
    expect(await userRow(control.id)).toBeUndefined();
    expect(inFiles(control.email)).toBe(true);

    // the person is in the files before (last name unique in this database)
    expect(await sql('SELECT id FROM users WHERE last_name = ?', [ERIKX.lastName])).toEqual([{ id: ERIKX.id }]);
    expect(found()).toHaveLength(needles.length);

    expect(track(await app.erase(byEmail(ERIKX), never)).status).toBe('SUCCEEDED');
    expect(found()).toEqual([]);
    expect(existsSync(files[1]!) ? readFileSync(files[1]!).length : 0).toBe(0); // the log was truncated
    // and the database still works
    expect((await collect(byEmail(LARS))).found).toBe(true);
  });
});
