import { getIntrospectionQuery } from 'graphql';
import { codes, startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

type Who = 'none' | 'bogus' | 'VIEWER' | 'OPERATOR' | 'APPROVER' | 'AUDITOR';

/**
 * The role matrix: every root operation of the schema, with the roles that may run it. The test
 * fails when the schema has an operation this table does not list, so none is forgotten.
 */
const ANY: Who[] = ['VIEWER', 'OPERATOR', 'APPROVER', 'AUDITOR'];
const NO_SUCH_REQUEST = '00000000-0000-4000-8000-000000000000';

const MATRIX: Record<string, { query: string; allowed: Who[]; /** what an allowed caller gets for a request that does not exist */ notFound?: boolean }> = {
  'Query.me': { query: '{ me { name roles } }', allowed: ['VIEWER', 'OPERATOR', 'APPROVER', 'AUDITOR'] },
  'Query.systems': { query: '{ systems { id } }', allowed: ['VIEWER', 'OPERATOR', 'APPROVER', 'AUDITOR'] },
  'Query.subject': { query: '{ subject(input: {appUserId: "1"}) { found } }', allowed: ['OPERATOR'] },
  'Query.subjects': { query: '{ subjects(inputs: [{appUserId: "1"}]) { found } }', allowed: ['OPERATOR'] },
  'Query.auditEvents': { query: '{ auditEvents(first: 1) { edges { node { id } } } }', allowed: ['AUDITOR'] },
  'Query.verifyAuditChain': { query: '{ verifyAuditChain { ok } }', allowed: ['AUDITOR'] },
  'Query.request': { query: `{ request(id: "${NO_SUCH_REQUEST}") { id } }`, allowed: ANY },
  'Query.requests': { query: '{ requests(first: 5) { totalCount edges { node { id subject { kind value } } } } }', allowed: ANY },
  'Mutation.submitRequest': {
    query: 'mutation { submitRequest(input: {type: ACCESS, subject: {email: "nobody@nowhere.example"}, verification: "signed letter"}) { id status } }',
    allowed: ['OPERATOR'],
  },
  'Mutation.cancelRequest': { query: `mutation { cancelRequest(id: "${NO_SUCH_REQUEST}", reason: "asked by phone") { id } }`, allowed: ['OPERATOR'], notFound: true },
  'Mutation.extendDeadline': { query: `mutation { extendDeadline(id: "${NO_SUCH_REQUEST}", reason: "complex request") { id } }`, allowed: ['APPROVER'], notFound: true },
  'Mutation.retryRequest': { query: `mutation { retryRequest(id: "${NO_SUCH_REQUEST}") { id } }`, allowed: ['OPERATOR'], notFound: true },
  'Mutation.approveRequest': { query: `mutation { approveRequest(id: "${NO_SUCH_REQUEST}") { id } }`, allowed: ['APPROVER'], notFound: true },
  'Mutation.rejectRequest': { query: `mutation { rejectRequest(id: "${NO_SUCH_REQUEST}", reason: "not verified") { id } }`, allowed: ['APPROVER'], notFound: true },
  'Mutation.confirmManualStep': {
    query: `mutation { confirmManualStep(requestId: "${NO_SUCH_REQUEST}", system: "limego", evidence: "deleted by hand") { id } }`,
    allowed: ['OPERATOR'],
    notFound: true,
  },
  'Query.erasurePlan': { query: '{ erasurePlan(input: {appUserId: "1"}) { steps { system dataset action records } } }', allowed: ['OPERATOR'] },
  'Query.retentionCandidates': { query: '{ retentionCandidates(first: 5) { totalCount edges { node { subject { kind value } system since } } } }', allowed: ['OPERATOR'] },
  'Mutation.runRetentionSweep': { query: 'mutation { runRetentionSweep(dryRun: true) { candidates created skipped } }', allowed: ['OPERATOR'] },
  'Mutation.createDownloadLink': { query: `mutation { createDownloadLink(requestId: "${NO_SUCH_REQUEST}") { url } }`, allowed: ['OPERATOR'], notFound: true },
};

const TOKEN: Record<Who, string | null> = {
  none: null,
  bogus: 'not-a-real-token-000000000000',
  VIEWER: TOKENS.VIEWER,
  OPERATOR: TOKENS.OPERATOR,
  APPROVER: TOKENS.APPROVER,
  AUDITOR: TOKENS.AUDITOR,
};

describe('roles: every operation against every role and no token', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('lists every root operation of the schema', async () => {
    const res = await gw.gql(TOKENS.VIEWER, getIntrospectionQuery());
    const types = res.data.__schema.types as { name: string; fields: { name: string }[] | null }[];
    const roots = ['Query', 'Mutation', 'Subscription'].flatMap((t) => types.find((x) => x.name === t)?.fields?.map((f) => `${t}.${f.name}`) ?? []);
    expect(roots.sort()).toEqual(Object.keys(MATRIX).sort());
  });

  for (const [op, { query, allowed, notFound }] of Object.entries(MATRIX)) {
    for (const who of Object.keys(TOKEN) as Who[]) {
      const expected = allowed.includes(who) ? (notFound ? 'NOT_FOUND' : 'allowed') : who === 'none' || who === 'bogus' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
      it(`${op} as ${who}: ${expected}`, async () => {
        const res = await gw.gql(TOKEN[who], query);
        if (expected === 'allowed') {
          expect(res.errors).toBeUndefined();
          expect(res.data).toBeTruthy();
        } else {
          expect(codes(res)).toEqual([expected]);
          // nothing comes back: no data, or the (nullable) field is null
          expect(res.data === null || Object.values(res.data).every((v) => v === null)).toBe(true);
        }
      });
    }
  }

  // the one operation outside GraphQL that takes a bearer token: uploading a file for a manual step
  for (const who of Object.keys(TOKEN) as Who[]) {
    const expected = who === 'OPERATOR' ? [404, 'NOT_FOUND'] : who === 'none' || who === 'bogus' ? [401, 'UNAUTHENTICATED'] : [403, 'FORBIDDEN'];
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
