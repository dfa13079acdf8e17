/** Turns the demo world's cast into Lime Go's organisations, persons and deals. */
import { between, chance, digits, isoDate, pick, type Random } from '../common/random';
import type { WorldCast, WorldOrganisation } from '../world';
import { companyCustomerNumber } from '../hogia/seed';
import type { Coworker, Deal, LimeGoData, Organization, Person } from './types';

export type { LimeGoData } from './types';

/** The id Lime Go's own documentation uses as an example; given to sample subject Anna Lindqvist. */
export const ANNA_PERSON_ID = 'pase1578159';

const COWORKERS: Coworker[] = [
  { id: 'cowo1002301', name: 'Johanna Sand', email: 'johanna.sand@engagelearning.example', phoneNumber: ['+46812345601'] },
  { id: 'cowo1002302', name: 'Mikael Fors', email: 'mikael.fors@engagelearning.example', phoneNumber: ['+46812345602'] },
  { id: 'cowo1002303', name: 'Lina Ekdahl', email: 'lina.ekdahl@engagelearning.example', phoneNumber: ['+46812345603'] },
];

const COURSE_PACKAGES = ['GDPR for everyday work', 'Leading hybrid teams', 'Information security essentials', 'Feedback that lands'];

/** Sequential ids with random gaps, as a real CRM's ids look after years of use. */
class IdSequence {
  constructor(private readonly prefix: string, private next: number, private readonly random: Random) {}
  take(): string {
    const id = `${this.prefix}${this.next}`;
    this.next += between(this.random, 3, 41);
    return id;
  }
}

function relation(org: WorldOrganisation, today: string): { customerRelation: string; temperature: string; tags: string[] } {
  if (org.kind === 'supplier') return { customerRelation: 'NO_RELATION', temperature: 'COLD', tags: ['supplier'] };
  if (org.kind === 'prospect') return { customerRelation: 'IS_A_PROSPECT', temperature: 'WARM', tags: ['prospect'] };
  if (org.contractEnd !== null && org.contractEnd < today) return { customerRelation: 'HAS_BEEN_CUSTOMER', temperature: 'COLD', tags: ['former customer'] };
  return { customerRelation: 'IS_A_CUSTOMER', temperature: 'HOT', tags: ['licence'] };
}

function deals(org: WorldOrganisation, customerId: string, ids: IdSequence, random: Random, today: string): Deal[] {
  const result: Deal[] = [];
  if (org.kind === 'prospect') {
    result.push({ id: ids.take(), name: 'Engage pilot', status: pick(random, ['Early stage', 'Proposal']), tags: ['pilot'], customerId, value: between(random, 4, 20) * 5000 });
  }
  if (org.kind !== 'customer' || org.contractStart === null) return result;
  const first = Number(org.contractStart.slice(0, 4));
  const last = Number((org.contractEnd ?? today).slice(0, 4));
  for (let year = first; year <= last; year++) {
    result.push({ id: ids.take(), name: `Engage licence ${year}`, status: 'Won', tags: ['licence'], customerId, value: between(random, 8, 60) * 10_000 });
  }
  if (org.contractEnd !== null && org.contractEnd < today) {
    result.push({ id: ids.take(), name: `Licence renewal ${last + 1}`, status: 'Lost', tags: ['licence'], customerId, value: between(random, 8, 60) * 10_000 });
  } else if (chance(random, 0.6)) {
    result.push({ id: ids.take(), name: `Course package: ${pick(random, COURSE_PACKAGES)}`, status: pick(random, ['Proposal', 'Negotiation']), tags: ['courses'], customerId, value: between(random, 2, 12) * 10_000 });
  }
  return result;
}

export function seedLimeGo(cast: WorldCast, random: Random, now: number): LimeGoData {
  const today = isoDate(now);
  const orgIds = new IdSequence('coso', 4_410_017, random);
  const personIds = new IdSequence('pase', 1_578_203, random);
  const dealIds = new IdSequence('dese', 902_114, random);
  const organizations: Organization[] = [];
  const allDeals: Deal[] = [];
  const idOf = new Map<string, string>();

  for (const org of cast.organisations) {
    const id = orgIds.take();
    idOf.set(org.key, id);
    const r = relation(org, today);
    organizations.push({
      id,
      name: org.name,
      city: org.city,
      email: `info@${org.domain}`,
      phoneNumber: [`+468${digits(random, 7)}`],
      organizationNumber: org.orgNumber,
      responsibleCoworkerId: pick(random, COWORKERS).id,
      customFields: [{ title: 'Industry', type: 'TEXT', value: org.kind === 'supplier' ? 'Supplier' : 'Customer segment B2B' }],
      integrationId: org.kind === 'customer' ? companyCustomerNumber(org) : null,
      temperature: r.temperature,
      customerRelation: r.customerRelation,
      tags: r.tags,
    });
    allDeals.push(...deals(org, id, dealIds, random, today));
  }

  const persons: Person[] = cast.people
    .filter((p) => p.crm)
    .map((p) => {
      const employer = p.invoicing === 'privateCustomer' ? null : p.organisation;
      const customFields = p.title
        ? [{ title: 'Title', type: 'TEXT', value: p.title }]
        : [{ title: 'Customer type', type: 'TEXT', value: 'Private' }];
      return {
        id: p.appUserId === 1 ? ANNA_PERSON_ID : personIds.take(),
        name: `${p.firstName} ${p.lastName}`,
        email: p.email,
        phoneNumber: p.phone ? [p.phone] : [],
        employerId: employer ? idOf.get(employer.key)! : null,
        customFields,
      };
    });
  return { coworkers: COWORKERS.map((c) => ({ ...c, phoneNumber: [...c.phoneNumber] })), organizations, persons, deals: allDeals };
}
