/**
 * Deterministic demo people and employer organisations shared by the simulators.
 *
 * The first seven people are fixed sample subjects with known edge cases (look-alike emails,
 * mixed-case storage, non-ASCII local part, ended employer contract, restricted processing).
 * Everyone after them is generated from a seeded PRNG, so the same count and seed always give
 * the same people.
 */

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoOrganisation {
  id: number;
  name: string;
  orgNumber: string;
  domain: string;
  /** 'YYYY-MM-DD' */
  contractStart: string;
  /** 'YYYY-MM-DD', or null while the contract is active. */
  contractEnd: string | null;
}

/**
 * Employer organisations that license the demo app. Relative to 2026-11-25: Woodgrove and
 * Litware ended more than a year ago, Adventure Works ended recently, the rest are active.
 */
export const DEMO_ORGANISATIONS: readonly DemoOrganisation[] = [
  { id: 1, name: 'Northwind Traders AB', orgNumber: '556123-4567', domain: 'northwind.example', contractStart: '2021-09-01', contractEnd: null },
  { id: 2, name: 'Contoso Sverige AB', orgNumber: '556234-5678', domain: 'contoso.example', contractStart: '2022-01-15', contractEnd: null },
  { id: 3, name: 'Fabrikam Nordic AB', orgNumber: '556345-6789', domain: 'fabrikam.example', contractStart: '2022-06-01', contractEnd: null },
  { id: 4, name: 'Tailspin Toys AB', orgNumber: '556456-7890', domain: 'tailspin.example', contractStart: '2023-02-01', contractEnd: null },
  { id: 5, name: 'Woodgrove Bank AB', orgNumber: '556567-8901', domain: 'woodgrove.example', contractStart: '2021-03-01', contractEnd: '2025-06-30' },
  { id: 6, name: 'Litware AB', orgNumber: '556678-9012', domain: 'litware.example', contractStart: '2020-10-01', contractEnd: '2025-02-28' },
  { id: 7, name: 'Adventure Works AB', orgNumber: '556789-0123', domain: 'adventure-works.example', contractStart: '2022-09-01', contractEnd: '2026-10-31' },
  { id: 8, name: 'Proseware AB', orgNumber: '556890-1234', domain: 'proseware.example', contractStart: '2023-05-01', contractEnd: null },
  { id: 9, name: 'Wide World Importers AB', orgNumber: '556901-2345', domain: 'wideworldimporters.example', contractStart: '2021-11-01', contractEnd: null },
  { id: 10, name: 'Coho Vineyard AB', orgNumber: '556012-3456', domain: 'cohovineyard.example', contractStart: '2024-01-15', contractEnd: null },
  { id: 11, name: 'Lucerne Publishing AB', orgNumber: '556135-7913', domain: 'lucernepublishing.example', contractStart: '2023-09-01', contractEnd: null },
  { id: 12, name: "Margie's Travel AB", orgNumber: '556246-8024', domain: 'margiestravel.example', contractStart: '2024-04-01', contractEnd: null },
];

/** Relative sizes of the organisations' workforces in the generated population. */
const ORGANISATION_WEIGHTS = [14, 10, 9, 8, 6, 5, 7, 8, 9, 6, 5, 4];

export interface DemoPerson {
  id: number;
  firstName: string;
  lastName: string;
  email: string;
  phone: string | null;
  organisationId: number;
}

export const SAMPLE_PERSON_IDS = [1, 2, 3, 4, 5, 6, 7];

const SAMPLE_PEOPLE: readonly DemoPerson[] = [
  { id: 1, firstName: 'Anna', lastName: 'Lindqvist', email: 'anna.lindqvist@northwind.example', phone: '+46701234501', organisationId: 1 },
  { id: 2, firstName: 'Erik', lastName: 'Nilsson', email: 'erik_nilsson@contoso.example', phone: '+46701234502', organisationId: 2 },
  { id: 3, firstName: 'Erik', lastName: 'Xnilsson', email: 'erikxnilsson@contoso.example', phone: '+46701234503', organisationId: 2 },
  { id: 4, firstName: 'Sofia', lastName: 'Berg', email: 'Sofia.Berg@Fabrikam.example', phone: null, organisationId: 3 },
  {
    id: 5,
    firstName: 'Jöns'.normalize('NFC'),
    lastName: 'Åkesson'.normalize('NFC'),
    email: 'jöns.åkesson@tailspin.example'.normalize('NFC'),
    phone: '+46701234505',
    organisationId: 4,
  },
  { id: 6, firstName: 'Lars', lastName: 'Ek', email: 'lars.ek@woodgrove.example', phone: '+46701234506', organisationId: 5 },
  { id: 7, firstName: 'Maria', lastName: 'Holm', email: 'maria.holm@northwind.example', phone: '+46701234507', organisationId: 1 },
];

export const FIRST_NAMES = [
  'Anna', 'Erik', 'Sofia', 'Lars', 'Maria', 'Johan', 'Karin', 'Anders', 'Eva', 'Per', 'Kristina',
  'Mikael', 'Lena', 'Karl', 'Ingrid', 'Nils', 'Sara', 'Olof', 'Emma', 'Björn', 'Åsa', 'Göran',
  'Märta', 'Linnéa', 'Sören', 'Jöns', 'Ulla', 'Håkan', 'Stina', 'Måns', 'Gösta', 'Ebba', 'Agnes',
  'Hugo', 'Elsa', 'Oskar', 'Maja', 'Axel', 'Alva', 'Viktor', 'Ida', 'Gustav', 'Frida', 'Jörgen',
  'Britt', 'Rasmus', 'Klara', 'Tove', 'Örjan', 'Sixten', 'Wilma', 'Astrid', 'Henrik', 'Cecilia',
  'Fredrik', 'Helena', 'Mattias', 'Josefin', 'Pär', 'Bengt', 'Signe', 'Tyra', 'Ludvig', 'Selma',
  'Elin', 'Åke', 'Sigrid', 'Torbjörn', 'Malin', 'Jonas',
].map((n) => n.normalize('NFC'));

export const LAST_NAMES = [
  'Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson',
  'Svensson', 'Gustafsson', 'Pettersson', 'Jonsson', 'Jansson', 'Hansson', 'Bengtsson', 'Jönsson',
  'Lindberg', 'Jakobsson', 'Magnusson', 'Olofsson', 'Lindström', 'Lindqvist', 'Lindgren', 'Berg',
  'Axelsson', 'Bergström', 'Lundberg', 'Lundgren', 'Lundqvist', 'Mattsson', 'Berglund',
  'Fredriksson', 'Sandberg', 'Henriksson', 'Forsberg', 'Sjöberg', 'Wallin', 'Engström', 'Eklund',
  'Danielsson', 'Lundin', 'Håkansson', 'Björk', 'Bergman', 'Gunnarsson', 'Holm', 'Wikström',
  'Samuelsson', 'Isaksson', 'Fransson', 'Bergqvist', 'Nyström', 'Holmberg', 'Arvidsson',
  'Löfgren', 'Söderberg', 'Nyberg', 'Blomqvist', 'Claesson', 'Nordström', 'Åberg', 'Öberg',
  'Åkesson', 'Ström', 'Sjögren', 'Bäckström', 'Söderström', 'Hägglund', 'Näslund', 'Ek',
  'Östlund', 'Dahlström', 'Mårtensson',
].map((n) => n.normalize('NFC'));

/** Lowercase ASCII form of a name for an email local part: "Åsa Öberg" -> "asa", "oberg". */
export function asciiFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

export function normalisedEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/**
 * The first `count` demo people. Ids are 1..count; ids 1..7 are the fixed sample subjects.
 * Emails are unique after normalisation (trim, NFC, lowercase); phones are unique when present.
 */
export function demoPeople(count: number, seed = 20261125): DemoPerson[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`demoPeople: invalid count ${count}`);
  const people: DemoPerson[] = SAMPLE_PEOPLE.slice(0, count).map((p) => ({ ...p }));
  const emails = new Set(SAMPLE_PEOPLE.map((p) => normalisedEmail(p.email)));
  const phones = new Set(SAMPLE_PEOPLE.map((p) => p.phone).filter((p): p is string => p !== null));
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const totalWeight = ORGANISATION_WEIGHTS.reduce((a, b) => a + b, 0);
  const pickOrganisation = (): DemoOrganisation => {
    let r = random() * totalWeight;
    for (let i = 0; i < DEMO_ORGANISATIONS.length; i++) {
      r -= ORGANISATION_WEIGHTS[i];
      if (r < 0) return DEMO_ORGANISATIONS[i];
    }
    return DEMO_ORGANISATIONS[DEMO_ORGANISATIONS.length - 1];
  };

  for (let id = SAMPLE_PEOPLE.length + 1; id <= count; id++) {
    const firstName = pick(FIRST_NAMES);
    const lastName = pick(LAST_NAMES);
    const organisation = pickOrganisation();
    const local = `${asciiFold(firstName)}.${asciiFold(lastName)}`;
    let email = `${local}@${organisation.domain}`;
    for (let n = 2; emails.has(email); n++) email = `${local}${n}@${organisation.domain}`;
    emails.add(email);

    let phone: string | null = null;
    if (random() >= 0.1) {
      do {
        phone = `+4670${String(Math.floor(random() * 10_000_000)).padStart(7, '0')}`;
      } while (phones.has(phone));
      phones.add(phone);
    }
    people.push({ id, firstName, lastName, email, phone, organisationId: organisation.id });
  }
  return people;
}
