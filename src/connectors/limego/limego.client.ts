import { z } from 'zod';
import { HttpError, type HttpClient } from '../http';

/** Lime Go's page size limit for list queries (`first`). */
export const MAX_FIRST = 20;

const PERSON_FIELDS = 'id name email phoneNumber employerName employer { id name city organizationNumber } customFields { title type value }';

/** One root field of a batched request: a fuzzy person search page, or one person by id. */
export type Lookup =
  | { kind: 'search'; query: string; offset: number }
  | { kind: 'id'; id: string };

/** A person as Lime Go returns it (the fields this connector asks for; others kept as they come). */
export const personSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().nullish(),
    email: z.string().nullish(),
    phoneNumber: z.array(z.string()).nullish(),
    employerName: z.string().nullish(),
    employer: z
      .object({ id: z.string(), name: z.string().nullish(), city: z.string().nullish(), organizationNumber: z.string().nullish() })
      .loose()
      .nullish(),
    customFields: z.array(z.object({ title: z.string(), type: z.string(), value: z.string().nullish() }).loose()).nullish(),
  })
  .loose();
export type LimeGoPerson = z.infer<typeof personSchema>;

const envelopeSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z.array(z.object({ extensions: z.object({ code: z.unknown() }).loose().nullish() }).loose()).nullish(),
});

const SAFE_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;
const ROUTE = '/v1/graphql';

/**
 * Builds one GraphQL document asking every lookup under its own alias (l0, l1, ...). Identifiers
 * travel only as variables; the document itself depends on nothing but the lookups' kinds and
 * offsets.
 */
export function buildDocument(lookups: readonly Lookup[]): { query: string; variables: Record<string, string> } {
  const params: string[] = [];
  const fields: string[] = [];
  const variables: Record<string, string> = {};
  lookups.forEach((l, i) => {
    if (l.kind === 'search') {
      params.push(`$v${i}: String!`);
      fields.push(`l${i}: persons(query: $v${i}, first: ${MAX_FIRST}, offset: ${Math.trunc(l.offset)}) { ...PersonFields }`);
      variables[`v${i}`] = l.query;
    } else {
      params.push(`$v${i}: ID!`);
      fields.push(`l${i}: person(id: $v${i}) { ...PersonFields }`);
      variables[`v${i}`] = l.id;
    }
  });
  const query = `query PersonLookup(${params.join(', ')}) {\n  ${fields.join('\n  ')}\n}\nfragment PersonFields on Person { ${PERSON_FIELDS} }`;
  return { query, variables };
}

/**
 * Sends the lookups as ONE GraphQL request and returns, in the lookups' order, the persons each
 * found (a search: its page; an id: the person or nothing). A GraphQL error answer or an answer of
 * another shape becomes an HttpError whose message holds no upstream text.
 */
export async function lookupPersons(http: HttpClient, lookups: readonly Lookup[], signal: AbortSignal): Promise<LimeGoPerson[][]> {
  if (lookups.length === 0) return [];
  const { query, variables } = buildDocument(lookups);
  const res = await http.request<unknown>({
    method: 'POST',
    path: ROUTE,
    json: { query, variables, operationName: 'PersonLookup' },
    signal,
    idempotent: true, // a query only reads
  });
  const fail = (detail: string) => new HttpError({ system: http.system, status: res.status, method: 'POST', route: ROUTE, body: res.body, headers: res.headers, detail });

  const envelope = envelopeSchema.safeParse(res.body);
  if (!envelope.success) throw fail('the answer is not a GraphQL response');
  if (envelope.data.errors?.length) {
    const code = envelope.data.errors.map((e) => e.extensions?.code).find((c): c is string => typeof c === 'string' && SAFE_CODE.test(c));
    throw fail(`the GraphQL answer reports an error${code ? ` (${code})` : ''}`);
  }
  const data = envelope.data.data;
  if (!data) throw fail('the GraphQL answer has no data');
  return lookups.map((l, i) => {
    const value = data[`l${i}`];
    const parsed = l.kind === 'search' ? z.array(personSchema).safeParse(value) : personSchema.nullable().safeParse(value);
    if (!parsed.success) throw fail('the answer does not have the expected shape');
    // the records are kept as the source returned them, not as zod rebuilt them
    if (l.kind === 'search') return value as LimeGoPerson[];
    return value === null ? [] : [value as LimeGoPerson];
  });
}
