import { FieldResolver, Resolver, Root } from 'type-graphql';
import { Subject } from '../../resolvers/subject.types';
import type { Row } from '../connector';
import { CrmCustomField, CrmOrganization, CrmPerson } from './limego.types';

/** The typed view of the CRM's records on Subject; it reads what the subject query already fetched. */
@Resolver(() => Subject)
export class LimeGoSubjectResolver {
  @FieldResolver(() => [CrmPerson], { description: 'The subject as a person in the CRM (limego connector)' })
  crmPersons(@Root() subject: Subject): CrmPerson[] {
    return subject.records('limego', 'persons').map(toCrmPerson);
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toCrmPerson(p: Row): CrmPerson {
  const customFields: CrmCustomField[] = (Array.isArray(p.customFields) ? (p.customFields as Row[]) : []).map((f) => ({
    title: String(f.title),
    type: String(f.type),
    value: text(f.value),
  }));
  const employer = p.employer as Row | null | undefined;
  const organization: CrmOrganization | null = employer
    ? { id: String(employer.id), name: text(employer.name), city: text(employer.city), organizationNumber: text(employer.organizationNumber) }
    : null;
  return {
    id: String(p.id),
    name: text(p.name),
    email: text(p.email),
    phoneNumbers: Array.isArray(p.phoneNumber) ? p.phoneNumber.filter((n): n is string => typeof n === 'string') : [],
    title: customFields.find((f) => f.title.toLowerCase() === 'title')?.value ?? null,
    customFields,
    organization,
  };
}
