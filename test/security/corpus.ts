import { createHmac, randomBytes } from 'node:crypto';

/**
 * The hostile input corpus: bad inputs for every argument of the API and every HTTP route, each
 * with the outcome the gateway promises. One runner (hostile.e2e.test.ts) plays them all against
 * one gateway with the simulators and checks the common rules on every answer (no 500, no stack
 * or SQL text, no other subject's data, a healthy process afterwards).
 */

export type Code = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED';
export type Who = 'VIEWER' | 'OPERATOR' | 'APPROVER' | 'AUDITOR' | 'none';

/** What the runner prepared before the corpus runs: two finished exports with a link each, and cursors. */
export interface Fixtures {
  /** A completed ACCESS request of sample subject app-1 (Anna) and its download token. */
  annaRequest: string;
  annaToken: string;
  /** A completed ACCESS request of sample subject app-2 (Erik) and its download token. */
  erikRequest: string;
  erikToken: string;
  requestsCursor: string;
  auditCursor: string;
  /** The gateway's base URL and the operators' tokens, for a case that needs calls before its probe. */
  baseUrl: string;
  tokens: Record<Exclude<Who, 'none'>, string>;
  activityCursor: string;
  /** Sample subjects of the demo world by ref (app-1, app-5, private-karin, ...). */
  sample(ref: string): { email: string; crmPersonId?: string; customerNumber?: string; appUserId?: string };
  /** An ERASURE request awaiting approval (it never has an export). */
  pendingErasure: string;
  /** The test identity provider: access tokens signed with its published key, or with another one. */
  idp: {
    issuer: string;
    audience: string;
    /** PEM of the provider's public key (what a key-confusion attack signs HS256 with). */
    publicKeyPem: string;
    sign(opts?: { claims?: Record<string, unknown>; header?: Record<string, unknown>; exp?: number | null; audience?: string; issuer?: string; foreignKey?: boolean }): Promise<string>;
  };
  /** Moves a download link's expiry into the past, as time passing would. */
  expireLinks(requestId: string): Promise<void>;
}

export type Probe =
  | { kind: 'gql'; as?: Who; query: string; variables?: Record<string, unknown>; operationName?: string }
  /** Any HTTP request to the gateway (path relative to its base URL). */
  | { kind: 'http'; method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }
  /** Bytes written to the socket as they are, for what fetch refuses to send (CR/LF, NUL, `..`). */
  | { kind: 'raw'; bytes: string };

export type Outcome =
  /** A GraphQL error with this contract code and no data. */
  | { code: Code; status?: number }
  /** An HTTP status (the body, if JSON, is checked like the others). */
  | { status: number }
  /** A normal answer that finds nobody: `found: false`, an empty list or a null field. */
  | { noMatch: true }
  /** A normal answer that finds exactly this sample subject (a ref of the demo world). */
  | { finds: string }
  /** A normal answer; the value was taken as data (checked by `check`, if given). */
  | { accepted: true };

export interface HostileCase {
  /** What is attacked: `Query.subject(input.email)`, `GET /exports/:id/download ?token`, ... */
  surface: string;
  /** What is sent, in a few words. */
  attack: string;
  group: Group;
  probe: (fx: Fixtures) => Probe | Promise<Probe>;
  expect: Outcome;
  /** Extra checks on the parsed body (and the whole answer, for its headers). */
  check?: (body: any, fx: Fixtures, answer: { status: number; headers: Record<string, string> }) => void | Promise<void>;
}

export const GROUPS = [
  'sql',
  'like',
  'unicode',
  'length',
  'control',
  'traversal',
  'cursor',
  'date',
  'type',
  'transport',
  'download',
  'token',
  'shape',
  /** Outcomes of the authentication and abuse limits work: OIDC JWTs, query cost/depth/alias limits, rate limits, headers. */
  'limits-and-oidc',
] as const;
export type Group = (typeof GROUPS)[number];

// ---- building blocks ------------------------------------------------------------------------------

const SUBJECT = `query($input: SubjectInput!) { subject(input: $input) { found identifiers { kind value source }
  systems { system status error recordCount datasets { name totalCount records(first: 1000) } } } }`;
const SUBJECTS = `query($inputs: [SubjectInput!]!) { subjects(inputs: $inputs) { found identifiers { kind value source } systems { system status recordCount } } }`;
const PLAN = `query($input: SubjectInput!) { erasurePlan(input: $input) { subject { kind value source } steps { system dataset action records } } }`;
const SUBMIT = `mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id type status subject { kind value } } }`;
const REQUEST = `query($id: ID!) { request(id: $id) { id type status subject { kind value } } }`;
const REQUESTS = `query($after: String, $first: Int, $status: [RequestStatus!]) { requests(after: $after, first: $first, status: $status) { totalCount edges { cursor node { id } } } }`;
const AUDIT = `query($after: String, $requestId: ID, $first: Int) { auditEvents(after: $after, requestId: $requestId, first: $first) { edges { node { id action requestId } } } }`;
const ACTIVITY = `query($after: String) { subject(input: {appUserId: "1"}) { activity(first: 5, after: $after) { edges { node { id } } } } }`;
const BY_ID: Record<string, string> = {
  approveRequest: 'mutation($id: ID!) { approveRequest(id: $id) { id } }',
  retryRequest: 'mutation($id: ID!) { retryRequest(id: $id) { id } }',
  rejectRequest: 'mutation($id: ID!, $reason: String!) { rejectRequest(id: $id, reason: $reason) { id } }',
  cancelRequest: 'mutation($id: ID!, $reason: String!) { cancelRequest(id: $id, reason: $reason) { id } }',
  extendDeadline: 'mutation($id: ID!, $reason: String!) { extendDeadline(id: $id, reason: $reason) { id } }',
  createDownloadLink: 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }',
  confirmManualStep: 'mutation($id: ID!, $system: String!, $evidence: String!) { confirmManualStep(requestId: $id, system: $system, evidence: $evidence) { id } }',
};
const NO_SUCH_REQUEST = '00000000-0000-4000-8000-000000000000';

const RETENTION = `query($after: String, $first: Int) { retentionCandidates(after: $after, first: $first) { totalCount edges { cursor node { system } } } }`;
const gql = (query: string, variables?: Record<string, unknown>, as: Who = 'OPERATOR'): Probe => ({ kind: 'gql', query, variables, as });
const subject = (input: Record<string, unknown>) => gql(SUBJECT, { input });
const submit = (input: Record<string, unknown>) =>
  gql(SUBMIT, { input: { type: 'ACCESS', subject: { email: 'nobody@nowhere.example' }, verification: 'signed letter', ...input } });
const byId = (op: string, id: string, extra: Record<string, unknown> = {}) =>
  gql(BY_ID[op]!, { id, reason: 'asked by phone', system: 'limego', evidence: 'deleted by hand', ...extra }, op === 'approveRequest' || op === 'rejectRequest' || op === 'extendDeadline' ? 'APPROVER' : 'OPERATOR');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const download = (id: string, query: string, headers?: Record<string, string>): Probe => ({ kind: 'http', path: `/exports/${id}/download${query}`, headers });
/** A raw request line + headers; the runner adds Host and Connection: close. */
const raw = (lines: string[]): Probe => ({ kind: 'raw', bytes: `${lines.join('\r\n')}\r\n` });
const flip = (token: string) => `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;

/** A JSON web token with the given parts; `key` signs it with HS256, none leaves the signature empty. */
export function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, key?: Buffer | string): string {
  const head = b64(JSON.stringify(header));
  const body = b64(JSON.stringify(payload));
  const sig = key ? createHmac('sha256', key).update(`${head}.${body}`).digest('base64url') : '';
  return `${head}.${body}.${sig}`;
}
const now = () => Math.floor(Date.now() / 1000);
const asBearer = (token: string): Probe => ({
  kind: 'http',
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ query: '{ me { name roles } }' }),
});

// ---- the cases ---------------------------------------------------------------------------------

const SUBJECT_FIELDS = ['email', 'phone', 'appUserId', 'customerNumber', 'crmPersonId'] as const;
const SQL = ["' OR 1=1 --", '"; DROP TABLE users; --', "\\' OR \\'1\\'=\\'1"];
const LONG = 'a'.repeat(10_000);
const HUGE = 'a'.repeat(1_100_000);

function sqlCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const text = `' OR 1=1 --; "; DROP TABLE dsr_requests; -- \\`;
  for (const field of SUBJECT_FIELDS) {
    for (const value of SQL) {
      cases.push({ group: 'sql', surface: `Query.subject(input.${field})`, attack: value, probe: () => subject({ [field]: value }), expect: { code: 'BAD_USER_INPUT' } });
    }
    cases.push({ group: 'sql', surface: `Query.subjects(inputs[].${field})`, attack: SQL[0]!, probe: () => gql(SUBJECTS, { inputs: [{ appUserId: '1' }, { [field]: SQL[0] }] }), expect: { code: 'BAD_USER_INPUT' } });
    cases.push({ group: 'sql', surface: `Query.erasurePlan(input.${field})`, attack: SQL[1]!, probe: () => gql(PLAN, { input: { [field]: SQL[1] } }), expect: { code: 'BAD_USER_INPUT' } });
    cases.push({ group: 'sql', surface: `Mutation.submitRequest(input.subject.${field})`, attack: SQL[2]!, probe: () => submit({ subject: { [field]: SQL[2] } }), expect: { code: 'BAD_USER_INPUT' } });
  }
  // an address that is well formed and full of quotes is only itself
  for (const email of ["x'OR'1'='1'--@x.se", 'a\\\'--@northwind.example', '"anna"@northwind.example']) {
    cases.push({ group: 'sql', surface: 'Query.subject(input.email)', attack: email, probe: () => subject({ email }), expect: { noMatch: true } });
  }
  // free text is stored as it is, never run
  cases.push({
    group: 'sql',
    surface: 'Mutation.submitRequest(input.verification, input.note)',
    attack: 'SQL in free text',
    probe: () => submit({ verification: text, note: text, idempotencyKey: `k'--;"${randomBytes(4).toString('hex')}` }),
    expect: { accepted: true },
    check: (body) => expect(body.data.submitRequest.status).toBe('IN_PROGRESS'),
  });
  cases.push({ group: 'sql', surface: 'Mutation.submitRequest(input.idempotencyKey)', attack: "' OR 1=1 --", probe: () => submit({ idempotencyKey: "' OR 1=1 --" }), expect: { code: 'BAD_USER_INPUT' } });
  for (const op of ['cancelRequest', 'rejectRequest', 'extendDeadline']) {
    cases.push({ group: 'sql', surface: `Mutation.${op}(id)`, attack: SQL[0]!, probe: () => byId(op, SQL[0]!), expect: { code: 'NOT_FOUND' } });
  }
  cases.push({ group: 'sql', surface: 'Mutation.rejectRequest(reason)', attack: SQL[1]!, probe: () => byId('rejectRequest', NO_SUCH_REQUEST, { reason: SQL[1] }), expect: { code: 'NOT_FOUND' } });
  // reasons are stored as they are, never run
  cases.push({
    group: 'sql',
    surface: 'Mutation.extendDeadline(reason)',
    attack: 'SQL in the reason, kept verbatim',
    probe: (fx) => gql('mutation($id: ID!, $reason: String!) { extendDeadline(id: $id, reason: $reason) { id extensionReason } }', { id: fx.pendingErasure, reason: text }, 'APPROVER'),
    expect: { accepted: true },
    check: (body) => expect(body.data.extendDeadline.extensionReason).toBe(text.trim()),
  });
  for (const op of ['rejectRequest', 'cancelRequest']) {
    cases.push({
      group: 'sql',
      surface: `Mutation.${op}(reason)`,
      attack: 'SQL in the reason of a real request',
      probe: async (fx) => {
        const res = await fetch(`${fx.baseUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${fx.tokens.OPERATOR}` },
          body: JSON.stringify({ query: 'mutation { submitRequest(input: {type: ERASURE, subject: {email: "nobody@nowhere.example"}, verification: "signed letter"}) { id } }' }),
        });
        const { data } = (await res.json()) as { data: { submitRequest: { id: string } } };
        return byId(op, data.submitRequest.id, { reason: text });
      },
      expect: { accepted: true },
      check: (body) => expect(body.data[op].id).toMatch(/^[0-9a-f-]{36}$/),
    });
  }
  cases.push({ group: 'sql', surface: 'Mutation.confirmManualStep(system, evidence)', attack: SQL[0]!, probe: (fx) => byId('confirmManualStep', fx.annaRequest, { system: SQL[0], evidence: SQL[1] }), expect: { code: 'BAD_USER_INPUT' } });
  cases.push({ group: 'sql', surface: 'Query.request(id)', attack: SQL[0]!, probe: () => gql(REQUEST, { id: SQL[0] }), expect: { noMatch: true } });
  cases.push({ group: 'sql', surface: 'Query.auditEvents(requestId)', attack: SQL[0]!, probe: () => gql(AUDIT, { requestId: SQL[0] }, 'AUDITOR'), expect: { noMatch: true } });
  cases.push({ group: 'sql', surface: 'Query.requests(after)', attack: 'cursor holding SQL', probe: () => gql(REQUESTS, { after: b64(`req:2026-01-01T00:00:00.000Z|${SQL[0]}`) }), expect: { code: 'BAD_USER_INPUT' } });
  cases.push({ group: 'sql', surface: 'Mutation.submitRequest(input.changes[].field)', attack: SQL[1]!, probe: () => submit({ type: 'RECTIFICATION', changes: [{ system: 'app', field: SQL[1], value: 'x' }] }), expect: { code: 'BAD_USER_INPUT' } });
  return cases;
}

function likeCases(): HostileCase[] {
  const noMatch = (field: string, value: string | ((fx: Fixtures) => string)): HostileCase => ({
    group: 'like',
    surface: `Query.subject(input.${field})`,
    attack: typeof value === 'string' ? value : 'a real id with one character made a wildcard',
    probe: (fx) => subject({ [field]: typeof value === 'string' ? value : value(fx) }),
    expect: { noMatch: true },
  });
  return [
    noMatch('email', 'a%@example.se'),
    noMatch('email', '%@%'),
    noMatch('email', '%@northwind.example'),
    noMatch('email', '_nna.lindqvist@northwind.example'),
    noMatch('email', 'anna.lindqvist@%'),
    noMatch('email', 'anna.lindqvist@northwind.exampl_'),
    noMatch('email', 'erik%nilsson@contoso.example'),
    noMatch('email', '*@*'),
    noMatch('email', '.*@.*'),
    noMatch('appUserId', '_'),
    noMatch('customerNumber', '20_1'),
    noMatch('crmPersonId', (fx) => `${fx.sample('app-1').crmPersonId!.slice(0, -1)}_`),
    { group: 'like', surface: 'Query.subject(input.email)', attack: '%', probe: () => subject({ email: '%' }), expect: { code: 'BAD_USER_INPUT' } },
    { group: 'like', surface: 'Query.subject(input.appUserId)', attack: '%', probe: () => subject({ appUserId: '%' }), expect: { code: 'BAD_USER_INPUT' } },
    { group: 'like', surface: 'Query.subjects(inputs)', attack: 'wildcards in a batch', probe: () => gql(SUBJECTS, { inputs: [{ email: '%@%' }, { email: '_%@%._%' }, { customerNumber: '_' }] }), expect: { noMatch: true } },
    {
      group: 'like',
      surface: 'Query.erasurePlan(input.email)',
      attack: '%@northwind.example',
      probe: () => gql(PLAN, { input: { email: '%@northwind.example' } }),
      expect: { accepted: true },
      // nobody is found: only the ad audiences, which cannot tell who is in them, plan a removal of the address as given
      check: (body) => expect(body.data.erasurePlan.steps.filter((s: { system: string; records: number }) => s.records > 0 && s.system !== 'linkedin' && s.system !== 'googleads')).toEqual([]),
    },
  ];
}

function unicodeCases(): HostileCase[] {
  const email = (attack: string, value: (fx: Fixtures) => string, expected: Outcome): HostileCase => ({
    group: 'unicode',
    surface: 'Query.subject(input.email)',
    attack,
    probe: (fx) => subject({ email: value(fx) }),
    expect: expected,
  });
  const anna = (fx: Fixtures) => fx.sample('app-1').email;
  return [
    email('Cyrillic "а" in a sample address', (fx) => anna(fx).replace('a', '\u0430'), { noMatch: true }),
    email('Greek "ο" in a sample address', (fx) => anna(fx).replace('o', '\u03bf'), { noMatch: true }),
    email('fullwidth "＠"', (fx) => anna(fx).replace('@', '\uff20'), { code: 'BAD_USER_INPUT' }),
    email('fullwidth letters', (fx) => anna(fx).replace('anna', '\uff41\uff4e\uff4e\uff41'), { noMatch: true }),
    email('zero-width joiner', (fx) => anna(fx).replace('@', '\u200d@'), { code: 'BAD_USER_INPUT' }),
    email('zero-width space', (fx) => `\u200b${anna(fx)}`, { code: 'BAD_USER_INPUT' }),
    email('right-to-left override', (fx) => `\u202e${anna(fx)}`, { code: 'BAD_USER_INPUT' }),
    email('byte order mark before a sample address (white space: trimmed)', (fx) => `\ufeff${anna(fx)}`, { finds: 'app-1' }),
    email('lone surrogate', () => 'anna\ud800@northwind.example', { code: 'BAD_USER_INPUT' }),
    email('NFD form of a sample address', (fx) => fx.sample('app-5').email.normalize('NFD'), { finds: 'app-5' }),
    email('Ångström sign (NFC: Å) in a sample address', (fx) => fx.sample('app-5').email.normalize('NFC').replace('å', '\u212b'), { finds: 'app-5' }),
    email('Kelvin sign (NFC: K) for "k"', (fx) => fx.sample('private-karin').email.replace('k', '\u212a'), { finds: 'private-karin' }),
    email('ASCII-folded non-ASCII address', () => 'jons.akesson@tailspin.example', { noMatch: true }),
    email('dotted capital I', () => 'er\u0130k_nilsson@contoso.example', { noMatch: true }),
    email('upper case and spaces around', (fx) => `  ${anna(fx).toUpperCase()}\t`, { finds: 'app-1' }),
    {
      group: 'unicode',
      surface: 'Query.subject(input.appUserId)',
      attack: 'fullwidth digit',
      probe: () => subject({ appUserId: '\uff11' }),
      expect: { code: 'BAD_USER_INPUT' },
    },
    {
      group: 'unicode',
      surface: 'Query.subject(input.customerNumber)',
      attack: 'Arabic-Indic digits',
      probe: () => subject({ customerNumber: '\u0662\u0660\u0660\u0661' }),
      expect: { code: 'BAD_USER_INPUT' },
    },
    {
      group: 'unicode',
      surface: 'Query.subject(input.phone)',
      // digits are digits in any script for a phone number (libphonenumber), and E.164 is the same
      attack: 'fullwidth digits of a sample phone',
      probe: () => subject({ phone: '\uff10\uff17\uff10\uff11\uff12\uff13\uff14\uff15\uff10\uff11' }),
      expect: { finds: 'app-1' },
    },
  ];
}

/** Every string argument of the API with a 10k-character value; a few with 1.1M characters (over the body limit). */
function lengthCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (surface: string, probe: (value: string, fx: Fixtures) => Probe, expected: Outcome, huge = false) => {
    cases.push({ group: 'length', surface, attack: '10,000 characters', probe: (fx) => probe(LONG, fx), expect: expected });
    if (huge) cases.push({ group: 'length', surface, attack: '1,100,000 characters', probe: (fx) => probe(HUGE, fx), expect: { status: 413 } });
  };
  for (const field of SUBJECT_FIELDS) add(`Query.subject(input.${field})`, (v) => subject({ [field]: v }), { code: 'BAD_USER_INPUT' }, field === 'email');
  add('Query.subject(input.email) as user@<long domain>', (v) => subject({ email: `a@${v}.se` }), { code: 'BAD_USER_INPUT' });
  add('Query.subjects(inputs[].crmPersonId)', (v) => gql(SUBJECTS, { inputs: [{ crmPersonId: v }] }), { code: 'BAD_USER_INPUT' });
  add('Query.erasurePlan(input.customerNumber)', (v) => gql(PLAN, { input: { customerNumber: v } }), { code: 'BAD_USER_INPUT' });
  add('Mutation.submitRequest(input.verification)', (v) => submit({ verification: v }), { code: 'BAD_USER_INPUT' }, true);
  add('Mutation.submitRequest(input.note)', (v) => submit({ note: v }), { code: 'BAD_USER_INPUT' });
  add('Mutation.submitRequest(input.idempotencyKey)', (v) => submit({ idempotencyKey: v }), { code: 'BAD_USER_INPUT' });
  add('Mutation.submitRequest(input.changes[].value)', (v) => submit({ type: 'RECTIFICATION', changes: [{ system: 'app', field: 'first_name', value: v }] }), { code: 'BAD_USER_INPUT' });
  add('Mutation.submitRequest(input.changes[].system)', (v) => submit({ type: 'RECTIFICATION', changes: [{ system: v, field: 'first_name', value: 'x' }] }), { code: 'BAD_USER_INPUT' });
  add('Mutation.rejectRequest(reason)', (v, fx) => byId('rejectRequest', fx.annaRequest, { reason: v }), { code: 'BAD_USER_INPUT' });
  add('Mutation.cancelRequest(reason)', (v, fx) => byId('cancelRequest', fx.annaRequest, { reason: v }), { code: 'BAD_USER_INPUT' }, true);
  add('Mutation.extendDeadline(reason)', (v, fx) => byId('extendDeadline', fx.annaRequest, { reason: v }), { code: 'BAD_USER_INPUT' });
  add('Mutation.confirmManualStep(evidence)', (v, fx) => byId('confirmManualStep', fx.annaRequest, { evidence: v }), { code: 'BAD_USER_INPUT' });
  add('Mutation.confirmManualStep(system)', (v, fx) => byId('confirmManualStep', fx.annaRequest, { system: v }), { code: 'BAD_USER_INPUT' });
  add('Mutation.approveRequest(id)', (v) => byId('approveRequest', v), { code: 'NOT_FOUND' }, true);
  add('Mutation.createDownloadLink(requestId)', (v) => byId('createDownloadLink', v), { code: 'NOT_FOUND' });
  add('Query.request(id)', (v) => gql(REQUEST, { id: v }), { noMatch: true });
  add('Query.auditEvents(requestId)', (v) => gql(AUDIT, { requestId: v }, 'AUDITOR'), { noMatch: true });
  add('Query.requests(after)', (v) => gql(REQUESTS, { after: v }), { code: 'BAD_USER_INPUT' });
  add('Query.auditEvents(after)', (v) => gql(AUDIT, { after: v }, 'AUDITOR'), { code: 'BAD_USER_INPUT' });
  add('Subject.activity(after)', (v) => gql(ACTIVITY, { after: v }), { code: 'BAD_USER_INPUT' });
  add('GET /exports/:id/download ?token', (v, fx) => download(fx.annaRequest, `?token=${v}`), { status: 404 });
  add('Authorization: Bearer', (v) => asBearer(v), { code: 'UNAUTHENTICATED' });
  cases.push({ group: 'length', surface: 'Query.subjects(inputs)', attack: '101 subjects (more than the 100 allowed)', probe: () => gql(SUBJECTS, { inputs: Array.from({ length: 101 }, (_, i) => ({ appUserId: String(i + 1) })) }), expect: { code: 'BAD_USER_INPUT' } });
  cases.push({ group: 'length', surface: 'Query.subjects(inputs)', attack: '5,000 subjects', probe: () => gql(SUBJECTS, { inputs: Array.from({ length: 5_000 }, () => ({ appUserId: '1' })) }), expect: { code: 'BAD_USER_INPUT' } });
  cases.push({ group: 'length', surface: 'Query.subjects(inputs)', attack: '20,000 subjects (over the body limit)', probe: () => gql(SUBJECTS, { inputs: Array.from({ length: 20_000 }, () => ({ appUserId: '1' })) }), expect: { status: 413 } });
  cases.push({ group: 'length', surface: 'Mutation.submitRequest(input.changes)', attack: '51 changes', probe: () => submit({ type: 'RECTIFICATION', changes: Array.from({ length: 51 }, () => ({ system: 'app', field: 'first_name', value: 'x' })) }), expect: { code: 'BAD_USER_INPUT' } });
  cases.push({
    group: 'length',
    surface: 'Query.requests(status)',
    attack: '9,000 repeated status values',
    probe: () => gql(REQUESTS, { status: Array.from({ length: 9_000 }, () => 'IN_PROGRESS') }),
    expect: { accepted: true },
    check: (body) => expect(body.data.requests.totalCount).toBeGreaterThanOrEqual(0),
  });
  return cases;
}

function controlCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const bad = (surface: string, attack: string, probe: (fx: Fixtures) => Probe, expected: Outcome = { code: 'BAD_USER_INPUT' }) => cases.push({ group: 'control', surface, attack, probe, expect: expected });
  for (const field of SUBJECT_FIELDS) bad(`Query.subject(input.${field})`, 'NUL byte', () => subject({ [field]: field === 'email' ? 'anna.lindqvist@northwind.example\u0000' : '1\u0000' }));
  bad('Query.subject(input.email)', 'CR/LF header injection', () => subject({ email: 'anna.lindqvist@northwind.example\r\nBcc: all@example.se' }));
  bad('Query.subject(input.appUserId)', 'CR/LF', () => subject({ appUserId: '1\r\n2' }));
  cases.push({ group: 'control', surface: 'Query.subject(input.email)', attack: 'CR/LF around a sample address (trimmed)', probe: (fx) => subject({ email: `\r\n${fx.sample('app-1').email}\r\n` }), expect: { finds: 'app-1' } });
  bad('Mutation.submitRequest(input.verification)', 'NUL byte', () => submit({ verification: 'signed\u0000 letter' }));
  bad('Mutation.submitRequest(input.note)', 'NUL and escape bytes', () => submit({ note: 'called\u0000 \u001b[31m' }));
  bad('Mutation.submitRequest(input.idempotencyKey)', 'CR/LF', () => submit({ idempotencyKey: 'ticket\r\n4711' }));
  bad('Mutation.submitRequest(input.changes[].value)', 'NUL byte', () => submit({ type: 'RECTIFICATION', changes: [{ system: 'app', field: 'first_name', value: 'An\u0000na' }] }));
  bad('Mutation.rejectRequest(reason)', 'NUL byte', (fx) => byId('rejectRequest', fx.annaRequest, { reason: 'not\u0000 verified' }));
  bad('Mutation.cancelRequest(reason)', 'NUL byte', (fx) => byId('cancelRequest', fx.annaRequest, { reason: 'asked\u0000 by phone' }));
  bad('Mutation.extendDeadline(reason)', 'NUL byte', (fx) => byId('extendDeadline', fx.annaRequest, { reason: 'complex\u0000' }));
  bad('Mutation.confirmManualStep(evidence)', 'NUL byte', (fx) => byId('confirmManualStep', fx.annaRequest, { evidence: 'deleted\u0000 by hand' }));
  bad('Mutation.confirmManualStep(system)', 'CR/LF', (fx) => byId('confirmManualStep', fx.annaRequest, { system: 'limego\r\n' }));
  cases.push({ group: 'control', surface: 'Query.request(id)', attack: 'NUL byte after a real id', probe: (fx) => gql(REQUEST, { id: `${fx.annaRequest}\u0000` }), expect: { noMatch: true } });
  cases.push({
    group: 'control',
    surface: 'Mutation.submitRequest(input.note)',
    attack: 'CR/LF in a multi-line note (allowed)',
    probe: () => submit({ note: 'line one\r\nline two\n\tindented' }),
    expect: { accepted: true },
    check: (body) => expect(body.data.submitRequest.status).toBe('IN_PROGRESS'),
  });
  cases.push({ group: 'control', surface: 'GET /exports/:id/download ?token', attack: 'valid token + %0d%0aSet-Cookie', probe: (fx) => download(fx.annaRequest, `?token=${fx.annaToken}%0d%0aSet-Cookie:%20a=b`), expect: { status: 404 } });
  cases.push({ group: 'control', surface: 'GET /exports/:id/download ?token', attack: 'valid token + %00', probe: (fx) => download(fx.annaRequest, `?token=${fx.annaToken}%00`), expect: { status: 404 } });
  cases.push({ group: 'control', surface: 'GET /exports/:id/download :id', attack: 'real id + %0d%0a', probe: (fx) => download(`${fx.annaRequest}%0d%0aX-Injected:%201`, `?token=${fx.annaToken}`), expect: { status: 404 } });
  cases.push({ group: 'control', surface: 'Authorization header', attack: 'CR/LF inside (raw)', probe: () => raw(['POST /graphql HTTP/1.1', 'Content-Type: application/json', 'Authorization: Bearer operator-token\r\n-0123456789abcd', 'Content-Length: 2', '', '{}']), expect: { status: 400 } });
  cases.push({ group: 'control', surface: 'Authorization header', attack: 'NUL byte (raw)', probe: () => raw(['POST /graphql HTTP/1.1', 'Content-Type: application/json', 'Authorization: Bearer operator-token-0123456789abcd\u0000', 'Content-Length: 2', '', '{}']), expect: { status: 400 } });
  cases.push({
    group: 'control',
    surface: 'Authorization header',
    attack: 'two headers, a wrong one first (raw)',
    probe: () => {
      const body = JSON.stringify({ query: '{ me { name } }' });
      return raw(['POST /graphql HTTP/1.1', 'Content-Type: application/json', 'Authorization: Bearer wrong-token-000000000000000', 'Authorization: Bearer operator-token-0123456789abcd', `Content-Length: ${body.length}`, '', body]);
    },
    expect: { code: 'UNAUTHENTICATED' },
  });
  return cases;
}

function traversalCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const ids = ['../../etc/passwd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/etc/passwd', '..\\..\\windows\\win.ini', 'C:\\Windows\\win.ini'];
  for (const id of ids) {
    cases.push({ group: 'traversal', surface: 'Mutation.createDownloadLink(requestId)', attack: id, probe: () => byId('createDownloadLink', id), expect: { code: 'NOT_FOUND' } });
  }
  cases.push({ group: 'traversal', surface: 'Query.request(id)', attack: ids[0]!, probe: () => gql(REQUEST, { id: ids[0] }), expect: { noMatch: true } });
  cases.push({ group: 'traversal', surface: 'Mutation.retryRequest(id)', attack: 'a real id + /../', probe: (fx) => byId('retryRequest', `${fx.annaRequest}/../${fx.erikRequest}`), expect: { code: 'NOT_FOUND' } });
  cases.push({ group: 'traversal', surface: 'Mutation.confirmManualStep(system)', attack: '../../etc', probe: (fx) => byId('confirmManualStep', fx.annaRequest, { system: '../../etc' }), expect: { code: 'BAD_USER_INPUT' } });
  cases.push({ group: 'traversal', surface: 'Mutation.submitRequest(input.changes[].system)', attack: '../app', probe: () => submit({ type: 'RECTIFICATION', changes: [{ system: '../app', field: 'first_name', value: 'x' }] }), expect: { code: 'BAD_USER_INPUT' } });
  const routes: [string, (fx: Fixtures) => Probe][] = [
    ['encoded ../../etc/passwd as :id', (fx) => download('..%2F..%2Fetc%2Fpasswd', `?token=${fx.annaToken}`)],
    ['%2e%2e%2f as :id', (fx) => download('%2e%2e%2f%2e%2e%2fetc%2fpasswd', `?token=${fx.annaToken}`)],
    ['double-encoded %252e%252e%252f as :id', (fx) => download('%252e%252e%252f', `?token=${fx.annaToken}`)],
    ['absolute path as :id', (fx) => download('%2Fetc%2Fpasswd', `?token=${fx.annaToken}`)],
    ['traversal in the token', (fx) => download(fx.annaRequest, '?token=..%2F..%2F..%2Fetc%2Fpasswd')],
    ['absolute path as the token', (fx) => download(fx.annaRequest, '?token=%2Fetc%2Fpasswd')],
    ['another request id + /.. to this one (raw)', (fx) => raw([`GET /exports/${fx.erikRequest}/../${fx.annaRequest}/download?token=${fx.annaToken} HTTP/1.1`, ''])],
    ['literal ../../etc/passwd in the path (raw)', (fx) => raw([`GET /exports/../../../../etc/passwd/download?token=${fx.annaToken} HTTP/1.1`, ''])],
  ];
  for (const [attack, probe] of routes) cases.push({ group: 'traversal', surface: 'GET /exports/:id/download', attack, probe, expect: { status: 404 } });
  // the upload route of systems without an API: a file for a request and system named in the path
  const upload = (path: string): Probe => ({
    kind: 'http', method: 'POST', path, headers: { authorization: 'Bearer operator-token-0123456789abcd', 'content-type': 'multipart/form-data; boundary=x' },
    body: '--x\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\nContent-Type: text/plain\r\n\r\nroot:x:0:0\r\n--x--\r\n',
  });
  const uploads: [string, (fx: Fixtures) => Probe][] = [
    ['encoded ../../etc as the request id', () => upload('/requests/..%2F..%2Fetc/systems/app/files')],
    ['encoded ../ as the system id', (fx) => upload(`/requests/${fx.annaRequest}/systems/..%2F..%2Fexports/files`)],
    ['absolute path as the system id', (fx) => upload(`/requests/${fx.annaRequest}/systems/%2Fetc%2Fpasswd/files`)],
    ['a system with an API as the system id', (fx) => upload(`/requests/${fx.annaRequest}/systems/app/files`)],
  ];
  for (const [attack, probe] of uploads) cases.push({ group: 'traversal', surface: 'POST /requests/:id/systems/:system/files', attack, probe, expect: { status: 404 } });
  return cases;
}

function cursorCases(): HostileCase[] {
  const bad = (surface: string, attack: string, probe: (fx: Fixtures) => Probe): HostileCase => ({ group: 'cursor', surface, attack, probe, expect: { code: 'BAD_USER_INPUT' } });
  return [
    bad('Query.requests(after)', 'not base64', () => gql(REQUESTS, { after: '!!not base64!!' })),
    bad('Query.requests(after)', 'base64 of garbage', () => gql(REQUESTS, { after: randomBytes(24).toString('base64url') })),
    bad('Query.requests(after)', 'a cursor of auditEvents', (fx) => gql(REQUESTS, { after: fx.auditCursor })),
    bad('Query.requests(after)', 'a cursor of Subject.activity', (fx) => gql(REQUESTS, { after: fx.activityCursor })),
    bad('Query.requests(after)', 'a real cursor with a character changed', (fx) => gql(REQUESTS, { after: `${fx.requestsCursor.slice(0, 4)}${fx.requestsCursor[4] === 'Z' ? 'Y' : 'Z'}${fx.requestsCursor.slice(5)}` })),
    bad('Query.auditEvents(after)', 'a cursor of requests', (fx) => gql(AUDIT, { after: fx.requestsCursor }, 'AUDITOR')),
    bad('Query.auditEvents(after)', 'audit:-1', () => gql(AUDIT, { after: b64('audit:-1') }, 'AUDITOR')),
    bad('Query.auditEvents(after)', 'audit:99999999999 (too many digits)', () => gql(AUDIT, { after: b64('audit:99999999999') }, 'AUDITOR')),
    bad('Query.auditEvents(after)', 'audit:1 OR 1=1', () => gql(AUDIT, { after: b64('audit:1 OR 1=1') }, 'AUDITOR')),
    bad('Subject.activity(after)', 'a cursor of requests', (fx) => gql(ACTIVITY, { after: fx.requestsCursor })),
    bad('Subject.activity(after)', 'base64 of garbage', () => gql(ACTIVITY, { after: b64('\u0000\u0001garbage') })),
    bad('Query.requests(first)', 'first: 0', () => gql(REQUESTS, { first: 0 })),
    bad('Query.requests(first)', 'first: 201', () => gql(REQUESTS, { first: 201 })),
    bad('Query.auditEvents(first)', 'first: -1', () => gql(AUDIT, { first: -1 }, 'AUDITOR')),
    bad('Query.retentionCandidates(after)', 'a cursor of requests', (fx) => gql(RETENTION, { after: fx.requestsCursor })),
    bad('Query.retentionCandidates(after)', 'base64 of garbage', () => gql(RETENTION, { after: b64("app:1' OR 1=1 --") })),
    bad('Query.retentionCandidates(after)', 'not base64', () => gql(RETENTION, { after: '%%%' })),
    bad('Query.retentionCandidates(first)', 'first: 0', () => gql(RETENTION, { first: 0 })),
    bad('Query.retentionCandidates(first)', 'first: 100000', () => gql(RETENTION, { first: 100_000 })),
    bad('DatasetData.records(first, offset)', 'offset: -1', () => gql('{ subject(input: {appUserId: "1"}) { systems { datasets { records(first: 1, offset: -1) } } } }')),
    bad('Subject.activity(first)', 'first: 1001', () => gql('{ subject(input: {appUserId: "1"}) { activity(first: 1001) { totalCount } } }')),
  ];
}

function dateCases(): HostileCase[] {
  const at = (attack: string, receivedAt: unknown): HostileCase => ({ group: 'date', surface: 'Mutation.submitRequest(input.receivedAt)', attack, probe: () => submit({ receivedAt }), expect: { code: 'BAD_USER_INPUT' } });
  return [
    at('far future', '9999-12-31T23:59:59Z'),
    at('tomorrow', new Date(Date.now() + 86_400_000).toISOString()),
    at('far past (year 1)', '0001-01-01T00:00:00Z'),
    at('before the GDPR applied', '2018-05-24T23:59:59Z'),
    at('not a date', 'yesterday'),
    at('no zone', '2026-11-20T09:00:00'),
    at('31 February', '2026-02-31T09:00:00Z'),
    at('a number', 1e20),
    at('an expanded year', '+275760-09-13T00:00:00Z'),
    at('SQL', "2026-11-20T09:00:00Z' OR 1=1 --"),
  ];
}

function typeCases(): HostileCase[] {
  const bad = (surface: string, attack: string, probe: () => Probe): HostileCase => ({ group: 'type', surface, attack, probe, expect: { code: 'BAD_USER_INPUT' } });
  return [
    bad('Mutation.submitRequest(input.type)', 'enum garbage', () => submit({ type: 'DELETE_EVERYTHING' })),
    bad('Mutation.submitRequest(input.type)', 'enum in lower case', () => submit({ type: 'access' })),
    bad('Query.requests(status)', 'enum garbage in a list', () => gql(REQUESTS, { status: ["COMPLETED' OR 1=1 --"] })),
    bad('Query.requests(type)', 'enum literal with SQL', () => gql('{ requests(type: [ACCESS, DROP_TABLE]) { totalCount } }')),
    bad('Query.subject(input.email)', 'a number', () => subject({ email: 5 })),
    bad('Query.subject(input.email)', 'an object', () => subject({ email: { $ne: null } })),
    bad('Query.subject(input.email)', 'a list', () => subject({ email: ['anna.lindqvist@northwind.example', 'erik_nilsson@contoso.example'] })),
    bad('Query.subject(input)', 'no identifier', () => subject({})),
    bad('Query.subject(input)', 'every identifier null', () => subject({ email: null, phone: null, appUserId: null })),
    bad('Query.subject(input)', 'an unknown field', () => subject({ email: 'anna.lindqvist@northwind.example', isAdmin: true })),
    bad('Query.requests(first)', 'a string', () => gql(REQUESTS, { first: '10' })),
    bad('Query.requests(first)', 'beyond 32 bits', () => gql(REQUESTS, { first: 2 ** 31 })),
    bad('Query.requests(first)', 'a fraction', () => gql(REQUESTS, { first: 1.5 })),
    bad('Query.request(id)', 'a boolean', () => gql(REQUEST, { id: true })),
    bad('Mutation.submitRequest(input.liftRestriction)', 'for an ACCESS request', () => submit({ liftRestriction: true })),
    bad('Mutation.submitRequest(input.changes)', 'for an ACCESS request', () => submit({ changes: [{ system: 'app', field: 'first_name', value: 'x' }] })),
    bad('Mutation.submitRequest(input.changes[].system)', 'a system that is not enabled', () => submit({ type: 'RECTIFICATION', changes: [{ system: 'payroll', field: 'first_name', value: 'x' }] })),
    bad('Mutation.submitRequest(input.verification)', 'only spaces', () => submit({ verification: '      ' })),
    bad('Mutation.rejectRequest(reason)', 'empty', () => byId('rejectRequest', NO_SUCH_REQUEST, { reason: '' })),
    bad('Mutation.runRetentionSweep(dryRun)', 'a string', () => gql('mutation($d: Boolean!) { runRetentionSweep(dryRun: $d) { created } }', { d: 'false' })),
    bad('Mutation.runRetentionSweep(dryRun)', 'null', () => gql('mutation($d: Boolean!) { runRetentionSweep(dryRun: $d) { created } }', { d: null })),
    bad('Query.subject', 'a variable declared with the wrong type', () => gql('query($input: String!) { subject(input: {email: $input}) { found } }', { input: 42 })),
  ];
}

/** The HTTP layer: bodies that are not a GraphQL request. */
function transportCases(): HostileCase[] {
  const post = (attack: string, body: string | Buffer, expected: Outcome, headers: Record<string, string> = {}): HostileCase => ({
    group: 'transport',
    surface: 'POST /graphql',
    attack,
    probe: () => ({ kind: 'http', method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', authorization: 'Bearer operator-token-0123456789abcd', ...headers }, body }),
    expect: expected,
  });
  const gzipBomb = () => {
    // 60 MB of spaces inside a JSON string, a few dozen kB on the wire
    const { gzipSync } = require('node:zlib') as typeof import('node:zlib');
    return gzipSync(Buffer.concat([Buffer.from('{"query":"{ me { name } }","x":"'), Buffer.alloc(60_000_000, 0x20), Buffer.from('"}')]));
  };
  return [
    post('not JSON', '{"query": "{ me { name } }"', { status: 400 }),
    post('JSON that is not an object', '"{ me { name } }"', { status: 400 }),
    post('an empty body', '', { status: 400 }),
    post('query is a number', JSON.stringify({ query: 42 }), { code: 'BAD_USER_INPUT', status: 400 }),
    post('variables is a string', JSON.stringify({ query: '{ me { name } }', variables: 'x' }), { code: 'BAD_USER_INPUT', status: 400 }),
    post('a batch of two operations', JSON.stringify([{ query: '{ me { name } }' }, { query: '{ me { name } }' }]), { status: 400 }),
    post('two operations and no operationName', JSON.stringify({ query: 'query A { me { name } } query B { systems { id } }' }), { code: 'BAD_USER_INPUT', status: 400 }),
    post('an operationName that is not in the document', JSON.stringify({ query: 'query A { me { name } }', operationName: 'B' }), { code: 'BAD_USER_INPUT', status: 400 }),
    post('a syntax error', JSON.stringify({ query: '{ me { name }' }), { code: 'BAD_USER_INPUT', status: 400 }),
    post('an unknown field', JSON.stringify({ query: '{ everyone { email } }' }), { code: 'BAD_USER_INPUT', status: 400 }),
    post('a fragment cycle', JSON.stringify({ query: '{ me { ...A } } fragment A on Operator { name ...B } fragment B on Operator { ...A }' }), { code: 'BAD_USER_INPUT', status: 400 }),
    post('a list literal nested 5,000 deep', JSON.stringify({ query: `{ subject(input: {email: ${'['.repeat(5000)}"a"${']'.repeat(5000)}}) { found } }` }), { code: 'BAD_USER_INPUT', status: 400 }),
    post('a 2 MB body', JSON.stringify({ query: '{ me { name } }', variables: { x: 'a'.repeat(2_000_000) } }), { status: 413 }),
    post('a gzip bomb (60 MB inflated)', gzipBomb(), { status: 413 }, { 'content-encoding': 'gzip' }),
    post('gzip that is not gzip', Buffer.from('not gzip at all'), { status: 400 }, { 'content-encoding': 'gzip' }),
    post('an unsupported charset', JSON.stringify({ query: '{ me { name } }' }), { status: 415 }, { 'content-type': 'application/json; charset=iso-8859-1' }),
    post('text/plain (a cross-site form post)', JSON.stringify({ query: 'mutation { cancelRequest(id: "x", reason: "abc") { id } }' }), { status: 400 }, { 'content-type': 'text/plain' }),
    {
      group: 'transport',
      surface: 'GET /graphql',
      attack: 'a mutation over GET',
      probe: () => ({ kind: 'http', path: `/graphql?query=${encodeURIComponent('mutation { cancelRequest(id: "x", reason: "abc") { id } }')}`, headers: { authorization: 'Bearer operator-token-0123456789abcd', 'apollo-require-preflight': 'true' } }),
      expect: { status: 405 },
    },
    { group: 'transport', surface: 'GET /healthz', attack: 'query string garbage', probe: () => ({ kind: 'http', path: "/healthz?x=' OR 1=1 --&x[$gt]=1&__proto__[admin]=1" }), expect: { status: 200 } },
    { group: 'transport', surface: 'GET /nowhere', attack: 'an unknown route with a script in it', probe: () => ({ kind: 'http', path: '/%3Cscript%3Ealert(1)%3C%2Fscript%3E' }), expect: { status: 404 }, check: (body) => expect(String(body)).not.toContain('<script>') },
    { group: 'transport', surface: 'HTTP request line', attack: 'not HTTP at all (raw)', probe: () => raw(['HELLO THERE', '']), expect: { status: 400 } },
  ];
}

/** Download links: forged, truncated, another request's, replayed after expiry, in the wrong place. */
function downloadCases(): HostileCase[] {
  const cases: [string, (fx: Fixtures) => Probe | Promise<Probe>][] = [
    ["another request's token", (fx) => download(fx.annaRequest, `?token=${fx.erikToken}`)],
    ['one character flipped', (fx) => download(fx.annaRequest, `?token=${flip(fx.annaToken)}`)],
    ['truncated by one character', (fx) => download(fx.annaRequest, `?token=${fx.annaToken.slice(0, -1)}`)],
    ['one character added', (fx) => download(fx.annaRequest, `?token=${fx.annaToken}A`)],
    ['upper-cased', (fx) => download(fx.annaRequest, `?token=${fx.annaToken.toUpperCase()}`)],
    ['no token', (fx) => download(fx.annaRequest, '')],
    ['an empty token', (fx) => download(fx.annaRequest, '?token=')],
    ['the token twice (an array)', (fx) => download(fx.annaRequest, `?token=${fx.annaToken}&token=${fx.annaToken}`)],
    ['the token as an object', (fx) => download(fx.annaRequest, `?token[a]=${fx.annaToken}`)],
    ['the token in Authorization instead of the query', (fx) => download(fx.annaRequest, '', { authorization: `Bearer ${fx.annaToken}` })],
    ['an operator token instead of the link token', (fx) => download(fx.annaRequest, '?token=operator-token-0123456789abcd')],
    ['a well-formed random token', (fx) => download(fx.annaRequest, `?token=${randomBytes(32).toString('base64url')}`)],
    ['the request id in upper case', (fx) => download(fx.annaRequest.toUpperCase(), `?token=${fx.annaToken}`)],
    ['a request that does not exist', (fx) => download(NO_SUCH_REQUEST, `?token=${fx.annaToken}`)],
    [
      'replayed after the link expired',
      async (fx) => {
        await fx.expireLinks(fx.erikRequest);
        return download(fx.erikRequest, `?token=${fx.erikToken}`);
      },
    ],
  ];
  const out: HostileCase[] = cases.map(([attack, probe]) => ({ group: 'download', surface: 'GET /exports/:id/download', attack, probe, expect: { status: 404 } }));
  out.push({ group: 'download', surface: 'POST /exports/:id/download', attack: 'a valid link with another method', probe: (fx) => ({ kind: 'http', method: 'POST', path: `/exports/${fx.annaRequest}/download?token=${fx.annaToken}` }), expect: { status: 404 } });
  out.push({ group: 'download', surface: 'Mutation.createDownloadLink(requestId)', attack: 'a request with no export', probe: (fx) => byId('createDownloadLink', fx.pendingErasure), expect: { code: 'CONFLICT' } });
  out.push({ group: 'download', surface: 'Mutation.createDownloadLink(requestId)', attack: 'a real id in upper case', probe: (fx) => byId('createDownloadLink', fx.annaRequest.toUpperCase()), expect: { code: 'NOT_FOUND' } });
  return out;
}

/** Authentication: what is not a token of an operator or a valid access token of the identity provider. */
function tokenCases(): HostileCase[] {
  const unauth = (attack: string, token: (fx: Fixtures) => string | Promise<string>): HostileCase => ({
    group: 'token',
    surface: 'Authorization: Bearer',
    attack,
    probe: async (fx) => asBearer(await token(fx)),
    expect: { code: 'UNAUTHENTICATED' },
  });
  const parts = async (fx: Fixtures) => (await fx.idp.sign()).split('.') as [string, string, string];
  return [
    {
      group: 'token',
      surface: 'Authorization: Bearer',
      attack: 'a valid access token of the identity provider (the control: it signs in)',
      probe: async (fx) => asBearer(await fx.idp.sign()),
      expect: { accepted: true },
      check: (body) => expect(body.data.me).toEqual({ name: 'mallory@example.se', roles: ['OPERATOR'] }),
    },
    unauth('JWT alg none', async (fx) => jwt({ alg: 'none', typ: 'JWT' }, JSON.parse(Buffer.from((await parts(fx))[1], 'base64url').toString()))),
    unauth('JWT alg "None"', async (fx) => jwt({ alg: 'None', typ: 'JWT' }, JSON.parse(Buffer.from((await parts(fx))[1], 'base64url').toString()))),
    unauth("HS256 keyed with the provider's public key (key confusion)", async (fx) => jwt({ alg: 'HS256', typ: 'JWT', kid: 'idp-1' }, JSON.parse(Buffer.from((await parts(fx))[1], 'base64url').toString()), fx.idp.publicKeyPem)),
    unauth('HS256 keyed with a random secret', async (fx) => jwt({ alg: 'HS256', typ: 'JWT' }, JSON.parse(Buffer.from((await parts(fx))[1], 'base64url').toString()), randomBytes(32))),
    unauth("signed with another key under the provider's kid", (fx) => fx.idp.sign({ foreignKey: true })),
    unauth('for another audience', (fx) => fx.idp.sign({ audience: 'api://another-service' })),
    unauth('from another issuer', (fx) => fx.idp.sign({ issuer: 'https://evil.example/v2.0' })),
    unauth('expired an hour ago', (fx) => fx.idp.sign({ exp: now() - 3600 })),
    unauth('not valid for another hour (nbf)', (fx) => fx.idp.sign({ claims: { nbf: now() + 3600 } })),
    unauth('without an expiry', (fx) => fx.idp.sign({ exp: null })),
    unauth('roles changed after signing', async (fx) => {
      const [head, body, sig] = await parts(fx);
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      return `${head}.${b64(JSON.stringify({ ...claims, roles: ['Dsr.Operator', 'Dsr.Approver', 'Dsr.Auditor'] }))}.${sig}`;
    }),
    unauth('garbage in the header segment', async (fx) => `!!!.${(await parts(fx)).slice(1).join('.')}`),
    unauth('garbage in the payload segment', async (fx) => {
      const [head, , sig] = await parts(fx);
      return `${head}.e30garbage.${sig}`;
    }),
    unauth('garbage in the signature segment', async (fx) => `${(await parts(fx)).slice(0, 2).join('.')}.AAAA`),
    unauth('an empty signature', async (fx) => `${(await parts(fx)).slice(0, 2).join('.')}.`),
    unauth('a kid that is a path', (fx) => fx.idp.sign({ header: { kid: '../../../../dev/null' } })),
    unauth('a jku pointing elsewhere', (fx) => fx.idp.sign({ header: { jku: 'http://127.0.0.1:1/jwks.json' }, foreignKey: true })),
    unauth('four segments', async (fx) => `${await fx.idp.sign()}.extra`),
    unauth('a 9 KB token', async (fx) => `${await fx.idp.sign()}${'A'.repeat(9000)}`),
    unauth('an operator token with a space inside', () => 'operator-token-0123 456789abcd'),
    unauth('an operator token as a prefix', () => 'operator-token-0123456789abc'),
    unauth('non-ASCII token', () => 'operator-token-0123456789ab\u00e7d'),
    {
      group: 'token',
      surface: 'Query.subject',
      attack: 'a valid access token whose role claim maps to no role',
      probe: async (fx) => ({ kind: 'http', method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', authorization: `Bearer ${await fx.idp.sign({ claims: { roles: ['Dsr.Admin', 'OPERATOR'] } })}` }, body: JSON.stringify({ query: SUBJECT, variables: { input: { appUserId: '1' } } }) }),
      expect: { code: 'FORBIDDEN' },
    },
    { group: 'token', surface: 'Authorization', attack: 'Basic scheme with an operator token', probe: () => ({ kind: 'http', method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', authorization: 'Basic operator-token-0123456789abcd' }, body: JSON.stringify({ query: '{ me { name } }' }) }), expect: { code: 'UNAUTHENTICATED' } },
    { group: 'token', surface: 'Authorization', attack: 'a token in the query string instead', probe: () => ({ kind: 'http', method: 'POST', path: '/graphql?access_token=operator-token-0123456789abcd', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { name } }' }) }), expect: { code: 'UNAUTHENTICATED' } },
    { group: 'token', surface: 'Mutation.approveRequest', attack: 'a VIEWER token', probe: (fx) => gql(BY_ID.approveRequest!, { id: fx.annaRequest }, 'VIEWER'), expect: { code: 'FORBIDDEN' } },
    { group: 'token', surface: 'Query.subject', attack: 'an AUDITOR token', probe: () => gql(SUBJECT, { input: { appUserId: '1' } }, 'AUDITOR'), expect: { code: 'FORBIDDEN' } },
  ];
}

/** The shape of a query: how deep, how wide, how many aliases and operations. */
function shapeCases(): HostileCase[] {
  return [
    {
      group: 'shape',
      surface: 'POST /graphql',
      attack: 'the same directive 1,000 times',
      probe: () => gql(`{ me ${'@include(if: true) '.repeat(1000)} { name } }`),
      expect: { code: 'BAD_USER_INPUT' },
    },
    {
      group: 'shape',
      surface: 'POST /graphql',
      attack: '1,000 operations in one document',
      probe: () => gql(Array.from({ length: 1000 }, (_, i) => `query Q${i} { me { name } }`).join('\n')),
      expect: { code: 'BAD_USER_INPUT' },
    },
  ];
}

/**
 * The outcomes of the authentication and abuse limits (OIDC sign-in, query depth/cost/alias and
 * operation limits, per-operator rate limits, security headers): run when `limitsLanded` is set.
 */
function limitCases(): HostileCase[] {
  const deep = `{ __schema { types { fields { type { ${'ofType { '.repeat(30)}name${' }'.repeat(30)} } } } } }`;
  const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
  return [
    { group: 'limits-and-oidc', surface: 'POST /graphql', attack: 'a query 35 levels deep', probe: () => gql(deep), expect: { code: 'BAD_USER_INPUT' } },
    { group: 'limits-and-oidc', surface: 'POST /graphql', attack: 'an alias flood: 1,000 x me', probe: () => gql(aliases(1000, 'me { name }')), expect: { code: 'BAD_USER_INPUT' } },
    { group: 'limits-and-oidc', surface: 'POST /graphql', attack: 'an alias flood: 200 x subject', probe: () => gql(aliases(200, 'subject(input: {appUserId: "1"}) { found }')), expect: { code: 'BAD_USER_INPUT' } },
    {
      group: 'limits-and-oidc',
      surface: 'POST /graphql',
      attack: 'a wide, costly query: 100 subjects x every dataset x 1000 records',
      probe: () => gql(`query($i: [SubjectInput!]!) { ${Array.from({ length: 5 }, (_, i) => `s${i}: subjects(inputs: $i) { systems { datasets { records(first: 1000) } } activity(first: 1000) { edges { node { id } } } }`).join(' ')} }`, { i: Array.from({ length: 100 }, (_, i) => ({ appUserId: String(i + 1) })) }),
      expect: { code: 'BAD_USER_INPUT' },
    },
    {
      group: 'limits-and-oidc',
      surface: 'POST /graphql',
      attack: 'the same field 5,000 times without aliases (over the token limit)',
      probe: () => gql(`{ ${'me { name } '.repeat(5000)} }`),
      expect: { code: 'BAD_USER_INPUT' },
    },
    {
      group: 'limits-and-oidc',
      surface: 'POST /graphql',
      attack: 'an answer a browser could be tricked into rendering or framing',
      probe: () => gql('{ me { name } }'),
      expect: { accepted: true },
      check: (_body, _fx, answer) => {
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
        expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(answer.headers['referrer-policy']).toBe('no-referrer');
        expect(answer.headers['cache-control']).toBe('no-store');
        expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      },
    },
    {
      group: 'limits-and-oidc',
      surface: 'GET /exports/:id/download',
      attack: 'guessing tokens from one client until refused, then the right token',
      probe: async (fx) => {
        // the limit (120 a minute by default) is reached within two limits' worth of guesses
        for (let i = 0; i < 241; i++) {
          const res = await fetch(`${fx.baseUrl}/exports/${fx.annaRequest}/download?token=${randomBytes(32).toString('base64url')}`);
          await res.arrayBuffer();
          if (res.status === 429) break;
          expect(res.status).toBe(404);
        }
        return download(fx.annaRequest, `?token=${fx.annaToken}`);
      },
      expect: { status: 429 },
      check: (_body, _fx, answer) => expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0),
    },
  ];
}

export function buildCorpus(): HostileCase[] {
  return [
    ...sqlCases(),
    ...likeCases(),
    ...unicodeCases(),
    ...lengthCases(),
    ...controlCases(),
    ...traversalCases(),
    ...cursorCases(),
    ...dateCases(),
    ...typeCases(),
    ...transportCases(),
    ...downloadCases(),
    ...tokenCases(),
    ...shapeCases(),
    ...limitCases(),
  ];
}
