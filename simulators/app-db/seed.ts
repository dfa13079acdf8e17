/**
 * Deterministic generator for the demo app database (an employee-engagement / e-learning app).
 *
 * Everything derives from one seed: the same options always produce the same rows, in both
 * SQLite and MySQL/MariaDB. Rows are written with multi-row INSERTs inside one transaction;
 * the seed_info row k='complete' is written last, so a database is only reported as seeded
 * when the whole run committed.
 */
import type { DataSource } from 'typeorm';
import { appSchemaStatements, type SqlDialect } from './schema';
import { DEMO_ORGANISATIONS, demoPeople, rng, SAMPLE_PERSON_IDS, type DemoOrganisation } from '../people';

export interface AppSeedOptions {
  users: number;
  events: number;
  seed?: number;
}

export interface AppSeedSummary {
  users: number;
  events: number;
  enrolments: number;
  assignments: number;
  answers: number;
  samples: { email: string; appUserId: string; note: string }[];
}

const DEFAULT_SEED = 20261125;
const BATCH_ROWS = 500;
const DAY = 86_400;

/** 'YYYY-MM-DD HH:MM:SS' (UTC) -> epoch seconds. */
function toSeconds(datetime: string): number {
  return Date.parse(`${datetime.replace(' ', 'T')}Z`) / 1000;
}

/** Epoch seconds -> 'YYYY-MM-DD HH:MM:SS' (UTC). */
function formatDateTime(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

const EVENTS_START = toSeconds('2025-01-01 00:00:00');
const EVENTS_END = toSeconds('2026-11-20 23:59:59');
/** The "today" the demo data is written against: due dates before it are overdue. */
const REFERENCE_NOW = toSeconds('2026-11-25 00:00:00');

/** Fixed attributes of the sample subjects (ids 1..7). */
const SAMPLE_ATTRIBUTES: Record<number, { createdAt: string; lastLoginAt?: string; marketing: 0 | 1; restricted: 0 | 1; note: string }> = {
  1: { createdAt: '2022-02-14 08:31:07', lastLoginAt: '2026-11-20 17:42:10', marketing: 1, restricted: 0, note: 'heavy user: the most view events (thousands), several enrolments and answers' },
  2: { createdAt: '2022-05-03 12:04:55', marketing: 0, restricted: 0, note: 'look-alike of user 3 (erik_nilsson vs erikxnilsson)' },
  3: { createdAt: '2023-10-19 07:45:12', marketing: 0, restricted: 0, note: 'look-alike of user 2 (erikxnilsson vs erik_nilsson)' },
  4: { createdAt: '2022-08-22 14:10:33', marketing: 1, restricted: 0, note: 'email stored in mixed case; no phone number' },
  5: { createdAt: '2023-04-11 09:02:48', marketing: 0, restricted: 0, note: 'non-ASCII local part in email (NFC)' },
  6: { createdAt: '2021-04-06 10:15:00', marketing: 0, restricted: 0, note: "employer's contract ended more than a year ago" },
  7: { createdAt: '2022-01-10 13:37:21', marketing: 0, restricted: 1, note: 'processing restricted' },
};
const HEAVY_USER_ID = 1;

const TOPICS = [
  'Giving feedback', 'Psychological safety', 'Time management', 'Remote meetings',
  'Phishing awareness', 'GDPR basics', 'Ergonomics at the desk', 'Stress and recovery',
  'Onboarding new colleagues', 'Inclusive language', 'Customer conversations',
  'Running retrospectives', 'Password hygiene', 'Sustainable travel', 'Conflict resolution',
  'Coaching conversations', 'Presentation skills', 'Data-driven decisions', 'Mindful breaks',
  'Change management',
];
const CONTENT_KINDS = ['article', 'video', 'quiz'] as const;
type ContentKind = (typeof CONTENT_KINDS)[number];

function contentTitle(kind: ContentKind, topic: string): string {
  if (kind === 'article') return `${topic}: a practical guide`;
  if (kind === 'video') return `${topic} in five minutes`;
  return `Quiz: how much do you know about ${topic.toLowerCase()}?`;
}

const COURSES: [string, string][] = [
  ['Leading hybrid teams', 'Tools and habits for managers whose teams split their week between home and office.'],
  ['Feedback that lands', 'How to give and receive feedback that is specific, kind and useful.'],
  ['Information security essentials', 'Phishing, passwords, devices and what to do when something looks wrong.'],
  ['GDPR for everyday work', 'What personal data is, when you may use it, and how to handle requests from individuals.'],
  ['Healthy working days', 'Ergonomics, breaks and recovery for people who sit at a screen most of the day.'],
  ['Meetings worth having', 'Agendas, roles and follow-ups that make meetings shorter and more useful.'],
  ['Customer empathy', 'Listening techniques and question patterns for customer-facing roles.'],
  ['Onboarding buddy programme', 'How to welcome a new colleague during their first ninety days.'],
  ['Resolving conflicts early', 'Recognising tension early and having the conversation before it escalates.'],
  ['Presenting with confidence', 'Structuring a message, designing slides and handling questions.'],
  ['Data literacy basics', 'Reading charts, spotting misleading numbers and asking better questions of data.'],
  ['Coaching for managers', 'Coaching conversations that help people find their own solutions.'],
  ['Inclusive workplaces', 'Language, meeting practices and hiring habits that include everyone.'],
  ['Sustainable business travel', 'Choosing when to travel, how to travel and when a video call is enough.'],
  ['Managing change', 'Helping a team through reorganisations, new systems and new ways of working.'],
  ['Time and focus', 'Planning the week, protecting focus time and saying no without guilt.'],
  ['Writing clearly at work', 'Plain-language emails, reports and chat messages.'],
  ['Running retrospectives', 'Formats and facilitation tips for learning from finished work.'],
  ['Mental health awareness', 'Recognising signs of stress in yourself and colleagues and where to get help.'],
  ['Negotiation fundamentals', 'Preparing, anchoring and finding options that work for both sides.'],
  ['Project planning light', 'Just enough planning for small projects: scope, risks and milestones.'],
  ['Accessibility in documents', 'Making documents and presentations usable for everyone.'],
  ['Working across cultures', 'Communication styles and expectations in international teams.'],
  ['First-line manager basics', 'Responsibilities, one-to-ones and the first hundred days as a new manager.'],
  ['Innovation workshops', 'Running short workshops that turn ideas into experiments.'],
];

const MISSIONS: [string, string][] = [
  ['Ask for feedback', 'Ask two colleagues for feedback on something you delivered this month. What did you learn?'],
  ['One focus block a day', 'Book a 90-minute focus block every day for a week. How did it affect your work?'],
  ['Spot the phish', 'Look through your inbox for suspicious messages. Describe one and how you recognised it.'],
  ['Walking meeting', 'Replace one seated meeting with a walking meeting. How did the conversation change?'],
  ['Thank a colleague', 'Thank a colleague for something specific they did. How did they react?'],
  ['Tidy your data', 'Delete or archive files with personal data you no longer need. What did you find?'],
  ['Shorter meetings', 'Shorten one recurring meeting by ten minutes. What did you drop?'],
  ['Coach, do not tell', 'In your next one-to-one, ask questions instead of giving advice. What happened?'],
  ['Plain language', 'Rewrite one old email or document in plain language. What did you change?'],
  ['Screen break', 'Take a five-minute break away from screens every hour for a day. How did you feel?'],
  ['Customer story', 'Write down a recent customer conversation that taught you something.'],
  ['Retrospective', 'Run a short retrospective with your team. Which improvement did you agree on?'],
  ['Inclusive meeting', 'Make sure everyone speaks at least once in your next meeting. What did you notice?'],
  ['Travel less', 'Replace one planned trip with a video meeting. What did you gain or lose?'],
  ['Share a learning', 'Share something you learned in the app with your team. What did they think?'],
];

const ANSWER_SENTENCES = [
  'I tried this during a busy week and it was harder than I expected.',
  'My team was positive and we want to keep doing it.',
  'The biggest surprise was how much time it actually saved.',
  'I learned that I usually talk too much in our meetings.',
  'Two colleagues gave me feedback I had not heard before.',
  'It felt awkward at first but got easier after a few days.',
  'I will suggest this to my manager as a team routine.',
  'Honestly, I only managed to do it twice.',
  'We agreed to try a new format at the next team meeting.',
  'I found several old spreadsheets that should have been deleted long ago.',
  'The conversation went in a direction I did not plan for, which was good.',
  'It helped me focus on the work that actually matters.',
  'A customer thanked us afterwards, which made my day.',
  'Next time I will prepare better and book the time in advance.',
  'I noticed that the quieter people had the best ideas.',
  'It was a small change but people noticed it immediately.',
];

type Query = (sql: string, params?: unknown[]) => Promise<unknown>;

/** Collects rows and writes them as multi-row INSERTs of at most BATCH_ROWS rows. */
class BatchInserter {
  private values: unknown[] = [];
  private rows = 0;
  private readonly rowSql: string;
  private readonly prefix: string;
  private fullBatchSql: string | undefined;
  inserted = 0;

  constructor(
    private readonly query: Query,
    table: string,
    private readonly columns: readonly string[],
  ) {
    this.rowSql = `(${columns.map(() => '?').join(', ')})`;
    this.prefix = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
  }

  async add(row: unknown[]): Promise<void> {
    if (row.length !== this.columns.length) throw new Error('row does not match columns');
    for (const v of row) this.values.push(v);
    this.rows += 1;
    if (this.rows >= BATCH_ROWS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows === 0) return;
    let sql: string;
    if (this.rows === BATCH_ROWS) {
      this.fullBatchSql ??= this.prefix + new Array(BATCH_ROWS).fill(this.rowSql).join(', ');
      sql = this.fullBatchSql;
    } else {
      sql = this.prefix + new Array(this.rows).fill(this.rowSql).join(', ');
    }
    const params = this.values;
    this.inserted += this.rows;
    this.values = [];
    this.rows = 0;
    await this.query(sql, params);
  }
}

/** True when the database holds a completed seed. Never throws for a missing schema. */
export async function isAppDatabaseSeeded(ds: DataSource): Promise<boolean> {
  try {
    const rows = (await ds.query(`SELECT v FROM seed_info WHERE k = ?`, ['complete'])) as unknown[];
    return Array.isArray(rows) && rows.length > 0;
  } catch {
    return false;
  }
}

interface UserPlan {
  id: number;
  organisation: DemoOrganisation;
  createdAt: number;
  lastLoginAt: number | null;
  /** End of the period in which the user can act in the app (contract end or data end). */
  activeUntil: number;
  marketing: 0 | 1;
  restricted: 0 | 1;
  primaryDevice: number;
}

const DEVICES = ['web', 'ios', 'android'] as const;

/** Independent PRNG streams per table, so e.g. the event count does not change the users. */
function stream(seed: number, n: number): () => number {
  return rng((Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(n, 0x85ebca6b)) >>> 0);
}

function between(random: () => number, from: number, to: number): number {
  return to <= from ? from : from + Math.floor(random() * (to - from + 1));
}

/** k distinct integers from 1..n (k <= n). */
function distinct(random: () => number, k: number, n: number): number[] {
  const picked: number[] = [];
  const seen = new Set<number>();
  while (picked.length < Math.min(k, n)) {
    const v = 1 + Math.floor(random() * n);
    if (!seen.has(v)) {
      seen.add(v);
      picked.push(v);
    }
  }
  return picked;
}

function pickCount(random: () => number, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

export async function seedAppDatabase(ds: DataSource, dialect: SqlDialect, opts: AppSeedOptions): Promise<AppSeedSummary> {
  const { users: userCount, events: eventCount } = opts;
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(userCount) || userCount < SAMPLE_PERSON_IDS.length) {
    throw new Error(`users must be an integer >= ${SAMPLE_PERSON_IDS.length} (the sample subjects)`);
  }
  if (!Number.isInteger(eventCount) || eventCount < 0) throw new Error('events must be a non-negative integer');
  if (await isAppDatabaseSeeded(ds)) throw new Error('the app database is already seeded');

  // ---- plan users -------------------------------------------------------------------------
  const people = demoPeople(userCount, seed);
  const organisations = new Map(DEMO_ORGANISATIONS.map((o) => [o.id, o]));
  const userRandom = stream(seed, 1);
  const plans: UserPlan[] = people.map((person) => {
    const organisation = organisations.get(person.organisationId);
    if (!organisation) throw new Error(`unknown organisation ${person.organisationId}`);
    const contractStart = toSeconds(`${organisation.contractStart} 00:00:00`);
    const activeUntil = organisation.contractEnd
      ? Math.min(toSeconds(`${organisation.contractEnd} 23:59:59`), EVENTS_END)
      : EVENTS_END;
    const sample = SAMPLE_ATTRIBUTES[person.id];
    const createdAt = sample ? toSeconds(sample.createdAt) : between(userRandom, contractStart, activeUntil);
    const neverLoggedIn = !sample && userRandom() < 0.05;
    // Most users were last seen shortly before the end of their active period, some a while
    // earlier; the gap never eats more than 60% of the period so activity has room to spread.
    const span = Math.max(0, activeUntil - Math.max(createdAt, EVENTS_START));
    const recent = userRandom() < 0.7;
    const gap = Math.floor(userRandom() * (recent ? Math.min(30 * DAY, span * 0.2) : Math.min(400 * DAY, span * 0.6)));
    let lastLoginAt: number | null = neverLoggedIn
      ? null
      : Math.min(activeUntil, Math.max(createdAt, EVENTS_START, activeUntil - gap));
    if (sample?.lastLoginAt) lastLoginAt = toSeconds(sample.lastLoginAt);
    const marketing: 0 | 1 = sample ? sample.marketing : userRandom() < 0.4 ? 1 : 0;
    const restricted: 0 | 1 = sample ? sample.restricted : 0;
    const d = userRandom();
    const primaryDevice = d < 0.55 ? 0 : d < 0.8 ? 1 : 2;
    return { id: person.id, organisation, createdAt, lastLoginAt, activeUntil, marketing, restricted, primaryDevice };
  });

  // Event activity is Zipf-like (weight rank^-0.6) over users who have logged in, damped for
  // users whose active period in the event window is shorter than a year. The heavy sample user
  // always has rank 1 (and a long active period); everyone else gets a seeded random rank.
  const active = plans.filter((p) => p.lastLoginAt !== null && p.id !== HEAVY_USER_ID);
  for (let i = active.length - 1; i > 0; i--) {
    const j = Math.floor(userRandom() * (i + 1));
    [active[i], active[j]] = [active[j], active[i]];
  }
  const ranked = [plans[HEAVY_USER_ID - 1], ...active];
  const cumulative = new Float64Array(ranked.length);
  let total = 0;
  for (let r = 0; r < ranked.length; r++) {
    const user = ranked[r];
    const activeSeconds = (user.lastLoginAt ?? user.activeUntil) - Math.max(user.createdAt, EVENTS_START);
    total += Math.pow(r + 1, -0.6) * Math.min(1, Math.max(activeSeconds, DAY) / (365 * DAY));
    cumulative[r] = total;
  }

  // ---- plan view events (sorted by time so ids follow time) --------------------------------
  const eventRandom = stream(seed, 2);
  const eventUser = new Int32Array(eventCount);
  const eventContent = new Int32Array(eventCount);
  const eventTime = new Float64Array(eventCount);
  const eventDuration = new Int32Array(eventCount);
  const eventDevice = new Uint8Array(eventCount);
  const contentCount = TOPICS.length * CONTENT_KINDS.length;
  const kindOf = (contentId: number): ContentKind => CONTENT_KINDS[(contentId - 1) % CONTENT_KINDS.length];
  for (let i = 0; i < eventCount; i++) {
    const x = eventRandom() * total;
    let lo = 0;
    let hi = ranked.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    const user = ranked[lo];
    eventUser[i] = user.id;
    eventTime[i] = between(eventRandom, Math.max(user.createdAt, EVENTS_START), user.lastLoginAt ?? user.activeUntil);
    const contentId = 1 + Math.floor(contentCount * Math.pow(eventRandom(), 1.6));
    eventContent[i] = contentId;
    const kind = kindOf(contentId);
    eventDuration[i] =
      kind === 'video' ? between(eventRandom, 30, 1800) : kind === 'article' ? between(eventRandom, 20, 900) : between(eventRandom, 60, 600);
    eventDevice[i] = eventRandom() < 0.8 ? user.primaryDevice : Math.floor(eventRandom() * DEVICES.length);
  }
  const order = new Uint32Array(eventCount);
  for (let i = 0; i < eventCount; i++) order[i] = i;
  order.sort((a, b) => eventTime[a] - eventTime[b] || a - b);

  // ---- write everything in one transaction -------------------------------------------------
  // pages SQLite frees while it fills the tables are zeroed, so no stale copy of a person's row
  // outlives its erasure in the file
  if (dialect === 'sqlite') await ds.query('PRAGMA secure_delete = ON');
  for (const statement of appSchemaStatements(dialect)) await ds.query(statement);

  const counts = { enrolments: 0, assignments: 0, answers: 0 };
  await ds.transaction(async (manager) => {
    const query: Query = (sql, params) => manager.query(sql, params);

    const orgInserter = new BatchInserter(query, 'organisations', ['id', 'name', 'org_number', 'contract_start', 'contract_end']);
    for (const o of DEMO_ORGANISATIONS) await orgInserter.add([o.id, o.name, o.orgNumber, o.contractStart, o.contractEnd]);
    await orgInserter.flush();

    const userInserter = new BatchInserter(query, 'users', [
      'id', 'organisation_id', 'first_name', 'last_name', 'email', 'email_normalized', 'phone',
      'marketing_consent', 'processing_restricted', 'created_at', 'last_login_at',
    ]);
    for (const person of people) {
      const plan = plans[person.id - 1];
      await userInserter.add([
        person.id, person.organisationId, person.firstName, person.lastName, person.email,
        person.email.trim().normalize('NFC').toLowerCase(), person.phone, plan.marketing, plan.restricted,
        formatDateTime(plan.createdAt), plan.lastLoginAt === null ? null : formatDateTime(plan.lastLoginAt),
      ]);
    }
    await userInserter.flush();

    const contentInserter = new BatchInserter(query, 'content_items', ['id', 'kind', 'title']);
    for (let id = 1; id <= contentCount; id++) {
      const topic = TOPICS[Math.floor((id - 1) / CONTENT_KINDS.length)];
      await contentInserter.add([id, kindOf(id), contentTitle(kindOf(id), topic)]);
    }
    await contentInserter.flush();

    const eventInserter = new BatchInserter(query, 'view_events', ['id', 'user_id', 'content_item_id', 'viewed_at', 'duration_seconds', 'device']);
    for (let n = 0; n < eventCount; n++) {
      const i = order[n];
      await eventInserter.add([n + 1, eventUser[i], eventContent[i], formatDateTime(eventTime[i]), eventDuration[i], DEVICES[eventDevice[i]]]);
    }
    await eventInserter.flush();

    const courseInserter = new BatchInserter(query, 'courses', ['id', 'title', 'description']);
    for (let i = 0; i < COURSES.length; i++) await courseInserter.add([i + 1, COURSES[i][0], COURSES[i][1]]);
    await courseInserter.flush();

    const missionInserter = new BatchInserter(query, 'missions', ['id', 'title', 'prompt']);
    for (let i = 0; i < MISSIONS.length; i++) await missionInserter.add([i + 1, MISSIONS[i][0], MISSIONS[i][1]]);
    await missionInserter.flush();

    // Enrolments: about 1.5 per user; only users who have logged in enrol.
    const enrolRandom = stream(seed, 3);
    const enrolInserter = new BatchInserter(query, 'enrolments', [
      'id', 'user_id', 'course_id', 'enrolled_at', 'progress_percent', 'completed_at', 'certificate_id',
    ]);
    let certificateSeq = 0;
    for (const plan of plans) {
      if (plan.lastLoginAt === null) continue;
      const lastLogin = plan.lastLoginAt;
      const heavy = plan.id === HEAVY_USER_ID;
      const n = heavy ? 5 : pickCount(enrolRandom, [12, 33, 37, 18]);
      const courses = distinct(enrolRandom, n, COURSES.length);
      for (let k = 0; k < courses.length; k++) {
        const enrolledAt = between(enrolRandom, plan.createdAt, lastLogin);
        const done = heavy ? k < 2 : enrolRandom() < 0.35;
        const progress = done ? 100 : Math.floor(enrolRandom() * 100);
        let completedAt: string | null = null;
        let certificate: string | null = null;
        if (progress === 100) {
          const at = between(enrolRandom, enrolledAt, lastLogin);
          completedAt = formatDateTime(at);
          certificateSeq += 1;
          certificate = `CERT-${completedAt.slice(0, 4)}-${String(certificateSeq).padStart(6, '0')}`;
        }
        counts.enrolments += 1;
        await enrolInserter.add([counts.enrolments, plan.id, courses[k], formatDateTime(enrolledAt), progress, completedAt, certificate]);
      }
    }
    await enrolInserter.flush();

    // Mission assignments: about 2 per user; submitted ones carry an answer.
    const missionRandom = stream(seed, 4);
    const assignmentInserter = new BatchInserter(query, 'mission_assignments', ['id', 'mission_id', 'user_id', 'assigned_at', 'due_at', 'status']);
    const answerInserter = new BatchInserter(query, 'answers', ['id', 'assignment_id', 'user_id', 'answer_text', 'submitted_at', 'score']);
    for (const plan of plans) {
      const heavy = plan.id === HEAVY_USER_ID;
      const n = heavy ? 6 : pickCount(missionRandom, [10, 20, 40, 20, 10]);
      const missions = distinct(missionRandom, n, MISSIONS.length);
      const until = plan.lastLoginAt ?? plan.activeUntil;
      for (let k = 0; k < missions.length; k++) {
        const assignedAt = between(missionRandom, plan.createdAt, until);
        const dueAt = missionRandom() < 0.1 ? null : assignedAt + between(missionRandom, 7, 30) * DAY;
        const submitted = plan.lastLoginAt !== null && (heavy ? k < 5 : missionRandom() < 0.55);
        const status = submitted ? 'submitted' : dueAt !== null && dueAt < REFERENCE_NOW ? 'overdue' : 'assigned';
        counts.assignments += 1;
        const assignmentId = counts.assignments;
        await assignmentInserter.add([
          assignmentId, missions[k], plan.id, formatDateTime(assignedAt), dueAt === null ? null : formatDateTime(dueAt), status,
        ]);
        if (submitted && plan.lastLoginAt !== null) {
          const latest = Math.min(dueAt ?? assignedAt + 30 * DAY, plan.lastLoginAt);
          const submittedAt = between(missionRandom, assignedAt, latest);
          const sentences = distinct(missionRandom, 1 + Math.floor(missionRandom() * 3), ANSWER_SENTENCES.length);
          const text = sentences.map((s) => ANSWER_SENTENCES[s - 1]).join(' ');
          const score = missionRandom() < 0.2 ? null : Math.floor(missionRandom() * 11);
          counts.answers += 1;
          await answerInserter.add([counts.answers, assignmentId, plan.id, text, formatDateTime(submittedAt), score]);
        }
      }
    }
    await assignmentInserter.flush();
    await answerInserter.flush();

    const infoInserter = new BatchInserter(query, 'seed_info', ['k', 'v']);
    await infoInserter.add(['users', String(userCount)]);
    await infoInserter.add(['events', String(eventCount)]);
    await infoInserter.add(['seed', String(seed)]);
    await infoInserter.flush();
    await query(`INSERT INTO seed_info (k, v) VALUES (?, ?)`, ['complete', 'yes']);
  });

  return {
    users: userCount,
    events: eventCount,
    enrolments: counts.enrolments,
    assignments: counts.assignments,
    answers: counts.answers,
    samples: SAMPLE_PERSON_IDS.map((id) => ({
      email: people[id - 1].email,
      appUserId: String(id),
      note: SAMPLE_ATTRIBUTES[id].note,
    })),
  };
}
