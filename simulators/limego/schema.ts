/**
 * The Lime Go GraphQL schema as the simulator serves it, with the fields EXTERNAL-APIS.md lists.
 *
 * ASSUMED (Lime Go's schema is not public): list queries return the items as a plain list
 * (`persons(...) { id name }`); `first` defaults to 10 and more than 20 is a GraphQL error with
 * extensions.code BAD_USER_INPUT (HTTP 200, data null); ids are prefixed "pase" (persons, as in Lime
 * Go's own example), "coso" (organisations), "dese" (deals) and "cowo" (coworkers); temperature,
 * customerRelation and deal status are strings.
 */
import { buildSchema, GraphQLError } from 'graphql';
import { fuzzySearch } from './search';
import type { Deal, LimeGoState, Organization, Person } from './types';

export const MAX_FIRST = 20;

export const LIME_GO_SDL = /* GraphQL */ `
  type Query {
    persons(query: String, first: Int = 10, offset: Int = 0): [Person!]!
    person(id: ID!): Person
    organizations(query: String, first: Int = 10, offset: Int = 0): [Organization!]!
    organization(id: ID!): Organization
    deals(query: String, first: Int = 10, offset: Int = 0): [Deal!]!
  }

  type Person {
    id: ID!
    name: String!
    email: String
    phoneNumber: [String!]!
    employerName: String
    employer: Organization
    customFields: [CustomField!]!
  }

  type Organization {
    id: ID!
    name: String!
    city: String
    email: String
    phoneNumber: [String!]!
    organizationNumber: String
    responsibleCoworker: Coworker
    customFields: [CustomField!]!
    integrationId: String
    temperature: String
    customerRelation: String
    tags: [String!]!
    employees(query: String, first: Int = 10, offset: Int = 0): [Person!]!
    deals(query: String, first: Int = 10, offset: Int = 0): [Deal!]!
  }

  type Coworker {
    id: ID!
    name: String!
    email: String
    phoneNumber: [String!]!
  }

  type CustomField {
    title: String!
    type: String!
    value: String
  }

  type Deal {
    id: ID!
    name: String!
    status: String
    tags: [String!]!
    value: Float
    customerName: String
    customer: Organization
  }
`;

export const limeGoSchema = buildSchema(LIME_GO_SDL);

interface PageArgs {
  query?: string | null;
  first: number;
  offset: number;
}

function page<T>(items: T[], args: PageArgs): T[] {
  if (args.first < 1 || args.first > MAX_FIRST) {
    throw new GraphQLError(`Argument "first" must be between 1 and ${MAX_FIRST}.`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  if (args.offset < 0) throw new GraphQLError('Argument "offset" must not be negative.', { extensions: { code: 'BAD_USER_INPUT' } });
  return items.slice(args.offset, args.offset + args.first);
}

/** Root resolvers over the simulator's state; nested fields resolve through the returned views. */
export function limeGoRoot(state: LimeGoState): Record<string, unknown> {
  const orgById = (id: string | null) => (id === null ? undefined : state.organizations.find((o) => o.id === id));
  const employerName = (p: Person) => orgById(p.employerId)?.name ?? null;
  const personFields = (p: Person) => [p.name, p.email, employerName(p)];
  const dealFields = (d: Deal) => [d.name, orgById(d.customerId)?.name];
  const orgFields = (o: Organization) => [o.name, o.city, o.organizationNumber, o.email];

  const personView = (p: Person) => ({
    id: p.id,
    name: p.name,
    email: p.email,
    phoneNumber: p.phoneNumber,
    customFields: p.customFields,
    employerName: () => employerName(p),
    employer: () => orgView(orgById(p.employerId)),
  });
  const dealView = (d: Deal) => ({
    id: d.id,
    name: d.name,
    status: d.status,
    tags: d.tags,
    value: d.value,
    customerName: () => orgById(d.customerId)?.name ?? null,
    customer: () => orgView(orgById(d.customerId)),
  });
  const orgView = (o: Organization | undefined) =>
    o && {
      id: o.id,
      name: o.name,
      city: o.city,
      email: o.email,
      phoneNumber: o.phoneNumber,
      organizationNumber: o.organizationNumber,
      customFields: o.customFields,
      integrationId: o.integrationId,
      temperature: o.temperature,
      customerRelation: o.customerRelation,
      tags: o.tags,
      responsibleCoworker: () => state.coworkers.find((c) => c.id === o.responsibleCoworkerId) ?? null,
      employees: (args: PageArgs) =>
        page(fuzzySearch(state.persons.filter((p) => p.employerId === o.id), args.query, personFields), args).map(personView),
      deals: (args: PageArgs) => page(fuzzySearch(state.deals.filter((d) => d.customerId === o.id), args.query, dealFields), args).map(dealView),
    };

  return {
    persons: (args: PageArgs) => page(fuzzySearch(state.persons, args.query, personFields), args).map(personView),
    person: ({ id }: { id: string }) => {
      const p = state.persons.find((x) => x.id === id);
      return p ? personView(p) : null;
    },
    organizations: (args: PageArgs) => page(fuzzySearch(state.organizations, args.query, orgFields), args).map((o) => orgView(o)),
    organization: ({ id }: { id: string }) => orgView(orgById(id)) ?? null,
    deals: (args: PageArgs) => page(fuzzySearch(state.deals, args.query, dealFields), args).map(dealView),
  };
}
