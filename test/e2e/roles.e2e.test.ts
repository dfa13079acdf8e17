import { codes, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

type Role = 'VIEWER' | 'OPERATOR' | 'APPROVER' | 'AUDITOR';
type Who = 'none' | 'bogus' | Role | 'OPERATOR+APPROVER';

/**
 * The role matrix, generated from one table: every root operation of the schema with the roles
 * that may run it (README "Roles") and what such a caller gets. Every operation is played by every
 * column: no token and a token nobody holds get UNAUTHENTICATED, a role not listed FORBIDDEN, a
 * listed one the row's outcome. The test fails when the schema has an operation the table does not
 * list, so none is forgotten.
 */
const ANY: Role[] = ['VIEWER', 'OPERATOR', 'APPROVER', 'AUDITOR'];
const NO_SUCH_REQUEST = '00000000-0000-4000-8000-000000000000';
const SUBJECT_EMAIL = 'nobody@nowhere.example';

interface Row {
  /** The operation, with `$REQUEST` standing for a request that exists. */
  query: string;
  allowed: Role[];
  /** What an allowed caller gets: the data, or NOT_FOUND for a request that does not exist. */
  outcome: 'data' | 'NOT_FOUND';
  /** Checks on an allowed caller's data. */
  check?: (data: any, who: Who) => void;
}

/** A VIEWER sees requests without identifier values; the other roles see them. */
const subjectValues = (ids: { kind: string; value: string }[], who: Who) =>
  expect(ids.map((i) => i.value)).toEqual(who === 'VIEWER' ? ['<hidden>'] : [SUBJECT_EMAIL]);

const MATRIX: Record<string, Row> = {
  'Query.me': { query: '{ me { name roles } }', allowed: ANY, outcome: 'data', check: (d, who) => expect(d.me.roles.sort()).toEqual(who.split('+').sort()) },
  'Query.systems': { query: '{ systems { id } }', allowed: ANY, outcome: 'data', check: (d) => expect(d.systems.map((s: any) => s.id)).toContain('app') },
  'Query.subject': { query: '{ subject(input: {appUserId: "1"}) { found } }', allowed: ['OPERATOR'], outcome: 'data', check: (d) => expect(d.subject.found).toBe(true) },
  'Query.subjects': { query: '{ subjects(inputs: [{appUserId: "1"}, {appUserId: "2"}]) { found } }', allowed: ['OPERATOR'], outcome: 'data', check: (d) => expect(d.subjects).toEqual([{ found: true }, { found: true }]) },
  'Query.erasurePlan': { query: '{ erasurePlan(input: {appUserId: "1"}) { steps { system dataset action records } } }', allowed: ['OPERATOR'], outcome: 'data', check: (d) => expect(d.erasurePlan.steps.length).toBeGreaterThan(0) },
  'Query.auditEvents': { query: '{ auditEvents(first: 1) { edges { node { id } } } }', allowed: ['AUDITOR'], outcome: 'data', check: (d) => expect(d.auditEvents.edges).toHaveLength(1) },
  'Query.verifyAuditChain': { query: '{ verifyAuditChain { ok } }', allowed: ['AUDITOR'], outcome: 'data', check: (d) => expect(d.verifyAuditChain.ok).toBe(true) },
  'Query.request': { query: '{ request(id: "$REQUEST") { id subject { kind value } } }', allowed: ANY, outcome: 'data', check: (d, who) => subjectValues(d.request.subject, who) },
  'Query.requests': {
    query: '{ requests(first: 200) { totalCount edges { node { id subject { kind value } } } } }',
    allowed: ANY,
    outcome: 'data',
    check: (d, who) => {
      expect(d.requests.totalCount).toBeGreaterThan(0);
      for (const e of d.requests.edges) subjectValues(e.node.subject, who);
    },
  },
  'Mutation.submitRequest': {
    query: `mutation { submitRequest(input: {type: ACCESS, subject: {email: "${SUBJECT_EMAIL}"}, verification: "signed letter"}) { id status } }`,
    allowed: ['OPERATOR'],
    outcome: 'data',
    check: (d) => expect(d.submitRequest.status).toBe('IN_PROGRESS'),
  },
  'Mutation.cancelRequest': { query: `mutation { cancelRequest(id: "${NO_SUCH_REQUEST}", reason: "asked by phone") { id } }`, allowed: ['OPERATOR'], outcome: 'NOT_FOUND' },
  'Mutation.extendDeadline': { query: `mutation { extendDeadline(id: "${NO_SUCH_REQUEST}", reason: "complex request") { id } }`, allowed: ['APPROVER'], outcome: 'NOT_FOUND' },
  'Mutation.retryRequest': { query: `mutation { retryRequest(id: "${NO_SUCH_REQUEST}") { id } }`, allowed: ['OPERATOR'], outcome: 'NOT_FOUND' },
  'Mutation.approveRequest': { query: `mutation { approveRequest(id: "${NO_SUCH_REQUEST}") { id } }`, allowed: ['APPROVER'], outcome: 'NOT_FOUND' },
  'Mutation.rejectRequest': { query: `mutation { rejectRequest(id: "${NO_SUCH_REQUEST}", reason: "not verified") { id } }`, allowed: ['APPROVER'], outcome: 'NOT_FOUND' },
  'Mutation.confirmManualStep': { query: `mutation { confirmManualStep(requestId: "${NO_SUCH_REQUEST}", system: "app", evidence: "deleted by hand") { id } }`, allowed: ['OPERATOR'], outcome: 'NOT_FOUND' },
  'Mutation.createDownloadLink': { query: `mutation { createDownloadLink(requestId: "${NO_SUCH_REQUEST}") { url } }`, allowed: ['OPERATOR'], outcome: 'NOT_FOUND' },
  'Query.retentionCandidates': {
    query: '{ retentionCandidates(first: 5) { totalCount edges { node { subject { kind value } system since } } } }',
    allowed: ['OPERATOR'],
    outcome: 'data',
    check: (d) => expect(d.retentionCandidates.totalCount).toBeGreaterThanOrEqual(0),
  },
  'Mutation.runRetentionSweep': {
    query: 'mutation { runRetentionSweep(dryRun: true) { candidates created skipped } }',
    allowed: ['OPERATOR'],
    outcome: 'data',
    check: (d) => expect(d.runRetentionSweep.created).toBe(0),
  },
};

const TOKEN: Record<Who, string | null> = {
  none: null,
  bogus: 'not-a-real-token-000000000000',
  VIEWER: TOKENS.VIEWER,
  OPERATOR: TOKENS.OPERATOR,
  APPROVER: TOKENS.APPROVER,
  AUDITOR: TOKENS.AUDITOR,
  'OPERATOR+APPROVER': TOKENS.OPERATOR_APPROVER,
};

/** The documented outcome of one cell of the matrix. */
function expected(row: Row, who: Who): 'data' | 'NOT_FOUND' | 'UNAUTHENTICATED' | 'FORBIDDEN' {
  if (who === 'none' || who === 'bogus') return 'UNAUTHENTICATED';
  return who.split('+').some((r) => row.allowed.includes(r as Role)) ? row.outcome : 'FORBIDDEN';
}

describe('roles: every operation against every role and no token', () => {
  let gw: TestGateway;
  let requestId: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    const res = await gw.gql(TOKENS.OPERATOR, `mutation { submitRequest(input: {type: ACCESS, subject: {email: "${SUBJECT_EMAIL}"}, verification: "signed letter"}) { id } }`);
    requestId = res.data.submitRequest.id;
  });
  afterAll(() => gw.close());

  it('lists every root operation of the schema', async () => {
    const res = await gw.gql(TOKENS.VIEWER, '{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }');
    expect(res.errors).toBeUndefined();
    const s = res.data.__schema;
    const roots = [
      ...s.queryType.fields.map((f: { name: string }) => `Query.${f.name}`),
      ...(s.mutationType?.fields ?? []).map((f: { name: string }) => `Mutation.${f.name}`),
      ...(s.subscriptionType?.fields ?? []).map((f: { name: string }) => `Subscription.${f.name}`),
    ];
    expect(roots.sort()).toEqual(Object.keys(MATRIX).sort());
  });

  for (const [op, row] of Object.entries(MATRIX)) {
    for (const who of Object.keys(TOKEN) as Who[]) {
      const outcome = expected(row, who);
      it(`${op} as ${who}: ${outcome}`, async () => {
        const res = await gw.gql(TOKEN[who], row.query.replace('$REQUEST', requestId));
        if (outcome === 'data') {
          expect(res.errors).toBeUndefined();
          row.check?.(res.data, who);
        } else {
          expect(codes(res)).toEqual([outcome]);
          // nothing comes back: no data, or the (nullable) field is null
          expect(res.data == null || Object.values(res.data).every((v) => v === null)).toBe(true);
        }
      });
    }
  }

  // the one operation outside GraphQL that takes a bearer token: uploading a file for a manual step
  for (const who of Object.keys(TOKEN) as Who[]) {
    const expected = who.split('+').includes('OPERATOR') ? [404, 'NOT_FOUND'] : who === 'none' || who === 'bogus' ? [401, 'UNAUTHENTICATED'] : [403, 'FORBIDDEN'];
    it(`POST /requests/:id/systems/:system/files as ${who}: ${expected[1]}`, async () => {
      const form = new FormData();
      form.append('file', new Blob(['a;b\n1;2\n'], { type: 'text/csv' }), 'found.csv');
      const token = TOKEN[who];
      const res = await fetch(`${gw.url}/requests/${NO_SUCH_REQUEST}/systems/hogia-lon/files`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: form,
      });
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      expect([res.status, body.errors.map((e) => e.extensions.code)]).toEqual([expected[0], [expected[1]]]);
    });
  }

  it('does not accept a token in another scheme or with extra characters', async () => {
    for (const header of [`Basic ${TOKENS.OPERATOR}`, `Bearer  ${TOKENS.OPERATOR}`, `bearer${TOKENS.OPERATOR}`, `Bearer ${TOKENS.OPERATOR}x`]) {
      const res = await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: header },
        body: JSON.stringify({ query: '{ me { name } }' }),
      });
      const body = (await res.json()) as { errors?: { extensions: { code: string } }[] };
      expect(body.errors?.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('tells each operator who they are', async () => {
    const res = await gw.gql(TOKENS.APPROVER, '{ me { name roles } }');
    expect(res.data.me).toEqual({ name: 'anders', roles: ['APPROVER'] });
  });
});
