/**
 * Turns the demo world's cast into Zoom's webinars and their registrants.
 *
 * Two hosts of the company's Zoom account run webinars: some already held (still listed, not
 * expired), some upcoming; the Engagement Summit has more than 300 registrants (more than one page
 * at Zoom's largest page size). Registrants are app users (about 6%, one or two webinars each),
 * contacts and private customers of the world, and sign-ups who are in no other system.
 *
 * Sample subjects, placed deliberately:
 * - Anna Lindqvist (app 1): three registrations: the Summit (approved), an Academy webinar
 *   (pending) and a past webinar where she typed her address in mixed case (approved).
 * - Her look-alikes: Anna Lindqvist at Fourth Coffee (anna.lindqvist@fourthcoffee.example, the
 *   Summit) and a sign-up `anna_lindqvist@northwind.example` (denied): neither is Anna.
 * - Karin Sjöberg (private customer): one past webinar (approved), with her phone number.
 */
import { base62, between, chance, DAY_MS, digits, isoSeconds, pick, type Random } from '../common/random';
import { asciiFold, FIRST_NAMES, LAST_NAMES, normalisedEmail } from '../people';
import type { WorldCast, WorldPerson } from '../world';
import type { Registrant, RegistrantStatus, Webinar, ZoomData, ZoomUser } from './types';

export type { ZoomData } from './types';

const HOSTS: ZoomUser[] = [
  { id: 'z8fJsVhPQmSAkE3nYw1Lqg', email: 'webinars@engagelearning.example', first_name: 'Engage', last_name: 'Webinars' },
  { id: 'Kq2rT0xWSd-6bN9vHc4aZA', email: 'academy@engagelearning.example', first_name: 'Engage', last_name: 'Academy' },
];

/** [host index, topic, days from the world's "now", duration in minutes, recurring] */
const WEBINARS: [host: number, topic: string, days: number, minutes: number, recurring?: boolean][] = [
  [0, 'Engagement Summit 2026', 14, 180],
  [0, 'What is new in Engage: autumn release', -63, 45],
  [0, 'Onboarding that sticks', -21, 60],
  [0, 'Missions for team leads', 7, 45],
  [0, 'Measuring learning impact', 28, 60],
  [0, 'Engage office hours', 2, 30, true],
  [1, 'Academy: GDPR for everyday work', -9, 60],
  [1, 'Academy: Leading hybrid teams', 21, 90],
  [1, 'Academy: Feedback that lands', 35, 60],
  [1, 'Academy: Information security essentials', 49, 60],
];
const SUMMIT = 0;
const PAST_RELEASE = 1;
const ACADEMY_HYBRID = 7;
const PAST_GDPR = 6;
/** Sign-ups in no other system, per webinar (the Summit's take its approved list past one page of 300). */
const SIGN_UPS = [420, 24, 18, 15, 20, 12, 16, 22, 14, 10];

const INDUSTRIES = ['Education', 'Finance', 'Retail', 'Manufacturing', 'Public sector', 'Healthcare', 'IT'];
const QUESTIONS = ['What would you like to learn?', 'How did you hear about the webinar?'];
const ANSWERS = ['Practical examples', 'A colleague', 'LinkedIn', 'The newsletter', 'How others measure engagement', ''];
const SIGN_UP_DOMAINS = ['mail.example', 'inbox.example', 'post.example', 'kommun.example', 'skola.example'];
const CITIES = ['Stockholm', 'Göteborg', 'Malmö', 'Uppsala', 'Lund', 'Umeå', 'Örebro'];

function webinarsOf(random: Random, now: number): Webinar[] {
  return WEBINARS.map(([host, topic, days, minutes, recurring]) => {
    const id = Number(`8${digits(random, 10)}`);
    const start = now + days * DAY_MS + between(random, 8, 15) * 3_600_000;
    return {
      uuid: `${base62(random, 22)}==`,
      id,
      host_id: HOSTS[host]!.id,
      topic,
      type: recurring ? 9 : 5,
      start_time: isoSeconds(start),
      duration: minutes,
      timezone: 'Europe/Stockholm',
      agenda: `${topic}: a live session with questions from the audience.`,
      created_at: isoSeconds(start - between(random, 20, 60) * DAY_MS),
      join_url: `https://zoom.us/j/${id}`,
      is_simple_webinar: false,
    };
  });
}

interface Seat {
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  org: string;
  job_title: string;
  city: string;
}

const seatOf = (p: WorldPerson): Seat => ({
  first_name: p.firstName,
  last_name: p.lastName,
  email: p.email,
  phone: p.phone ?? '',
  org: p.organisation?.name ?? '',
  job_title: p.title ?? '',
  city: p.organisation?.city ?? '',
});

function registrant(random: Random, webinar: Webinar, seat: Seat, status: RegistrantStatus, now: number): Registrant {
  const start = Date.parse(webinar.start_time);
  const created = Math.min(start, now) - between(random, 1, 20) * DAY_MS - between(random, 0, 86_399) * 1000;
  return {
    id: base62(random, 22),
    email: seat.email,
    first_name: seat.first_name,
    last_name: seat.last_name,
    address: '',
    city: seat.city,
    country: 'SE',
    zip: '',
    state: '',
    phone: seat.phone,
    industry: seat.org ? pick(random, INDUSTRIES) : '',
    org: seat.org,
    job_title: seat.job_title,
    purchasing_time_frame: '',
    role_in_purchase_process: '',
    no_of_employees: '',
    comments: chance(random, 0.1) ? 'Will the recording be shared afterwards?' : '',
    custom_questions: QUESTIONS.map((title) => ({ title, value: pick(random, ANSWERS) })),
    status,
    create_time: isoSeconds(created),
    join_url: status === 'approved' ? `https://zoom.us/w/${webinar.id}?tk=${base62(random, 43)}` : '',
  };
}

const drawStatus = (random: Random): RegistrantStatus => {
  const r = random();
  return r < 0.8 ? 'approved' : r < 0.92 ? 'pending' : 'denied';
};

export function seedZoom(cast: WorldCast, random: Random, now: number): ZoomData {
  const webinars = webinarsOf(random, now);
  const seats: Seat[][] = webinars.map(() => []);
  const statuses: RegistrantStatus[][] = webinars.map(() => []);
  const add = (w: number, seat: Seat, status: RegistrantStatus) => {
    seats[w]!.push(seat);
    statuses[w]!.push(status);
  };
  const byRef = new Map(cast.people.map((p) => [p.ref, p]));
  const taken = new Set(cast.people.map((p) => normalisedEmail(p.email)));
  const phones = new Set(cast.people.map((p) => p.phone).filter((p): p is string => p !== null));

  const anna = byRef.get('app-1');
  if (anna) {
    add(SUMMIT, seatOf(anna), 'approved');
    add(ACADEMY_HYBRID, seatOf(anna), 'pending');
    add(PAST_RELEASE, { ...seatOf(anna), email: 'Anna.Lindqvist@NORTHWIND.example' }, 'approved');
  }
  const lookalike = byRef.get('lookalike-anna');
  if (lookalike) add(SUMMIT, seatOf(lookalike), 'approved');
  const underscore = 'anna_lindqvist@northwind.example';
  if (!taken.has(underscore)) {
    taken.add(underscore);
    add(ACADEMY_HYBRID, { first_name: 'Anna', last_name: 'Lindqvist', email: underscore, phone: '', org: 'Northwind Traders AB', job_title: '', city: 'Stockholm' }, 'denied');
  }
  const karin = byRef.get('private-karin');
  if (karin) add(PAST_GDPR, seatOf(karin), 'approved');

  // app users and the world's contacts, a few webinars each
  const fixed = new Set(['app-1', 'lookalike-anna', 'private-karin', 'app-2', 'app-3', 'app-4', 'app-5', 'app-6', 'app-7']);
  for (const person of cast.people) {
    if (fixed.has(person.ref)) continue;
    const p = person.appUserId !== null ? 0.06 : 0.15;
    if (!chance(random, p)) continue;
    const first = between(random, 0, webinars.length - 1);
    add(first, seatOf(person), drawStatus(random));
    if (chance(random, 0.3)) {
      const second = (first + between(random, 1, webinars.length - 1)) % webinars.length;
      add(second, seatOf(person), drawStatus(random));
    }
  }

  // sign-ups in no other system
  SIGN_UPS.forEach((count, w) => {
    for (let i = 0; i < count; i++) {
      const first_name = pick(random, FIRST_NAMES);
      const last_name = pick(random, LAST_NAMES);
      const local = `${asciiFold(first_name)}.${asciiFold(last_name)}`;
      const domain = pick(random, SIGN_UP_DOMAINS);
      let email = `${local}@${domain}`;
      for (let n = 2; taken.has(email); n++) email = `${local}${n}@${domain}`;
      taken.add(email);
      let phone = '';
      if (chance(random, 0.3)) {
        // a number nobody else in the world has, so enrichment by phone finds only this sign-up
        do phone = `+4672${digits(random, 7)}`;
        while (phones.has(phone));
        phones.add(phone);
      }
      add(w, { first_name, last_name, email, phone, org: '', job_title: '', city: pick(random, CITIES) }, drawStatus(random));
    }
  });

  const registrants: Record<string, Registrant[]> = {};
  webinars.forEach((webinar, w) => {
    const list = seats[w]!.map((seat, i) => registrant(random, webinar, seat, statuses[w]![i]!, now));
    registrants[String(webinar.id)] = list.sort((a, b) => a.create_time.localeCompare(b.create_time));
  });
  return { users: HOSTS.map((h) => ({ ...h })), webinars, registrants };
}
