import { z } from 'zod';
import type { ConnectorSettings } from '../../config';
import type {
  ActionOutcome,
  Connector,
  ConnectorEnvironment,
  ConnectorFactory,
  ErasurePlanStep,
  FieldChange,
  Identifier,
  ManualRequestType as SpiManualRequestType,
  SubjectKey,
  SystemSnapshot,
} from '../connector';
import { createHttpClient, httpSettingsSchema, parseSettings, secretSetting, type HttpClient } from '../http';
import { lookupPersons, MAX_FIRST, type LimeGoPerson, type Lookup } from './limego.client';
import { LIMEGO_DESCRIPTOR } from './limego.descriptor';
import { carries, personEmail, personPhones } from './limego.match';
import { checkCorrections, LIFT_RESTRICTION_INSTRUCTIONS, MANUAL_INSTRUCTIONS, type ManualRequestType } from './limego.manual';
import { LimeGoSubjectResolver } from './limego.resolver';

/** Root fields (aliases) per GraphQL request. */
export const LOOKUPS_PER_REQUEST = 20;
/** Pages of one search that are read at most: the search's own results, never the whole list. */
export const MAX_SEARCH_PAGES = 3;

export const limeGoSettingsSchema = httpSettingsSchema.extend({
  baseUrl: z.url({ message: 'expected an http(s) URL' }).default('https://api.lime-go.com'),
});

type SearchKind = 'email' | 'phone';

/** One fuzzy search the batch runs: by one email or one phone, shared by every subject naming it. */
interface Search {
  kind: SearchKind;
  term: string;
  hits: LimeGoPerson[];
}

type Pending = { lookup: Lookup; search?: Search; id?: string };

/**
 * Lime Go CRM over its GraphQL API. Persons are found by `persons(query)`, a fuzzy search over
 * name, email and employer name, whose hits are kept only when their email or phone equals the
 * subject's exactly; and by `person(id)`. All lookups of a collect travel as aliases of a few
 * GraphQL requests; a search reads at most MAX_SEARCH_PAGES pages of its own results.
 *
 * Lime Go has no public delete or update API: erasure, restriction, objection and rectification
 * are manual steps for a CRM administrator. Each method reads who the subject is (the calls of a
 * collect: one GraphQL request for a subject found on the first page), changes nothing, and answers
 * WAITING_FOR_OPERATOR with the instructions, or NOT_FOUND when Lime Go holds no one of theirs.
 * The gateway verifies a confirmed step by reading Lime Go again.
 */
export class LimeGoConnector implements Connector {
  readonly system = LIMEGO_DESCRIPTOR;
  readonly accepts = ['email', 'phone', 'crmPersonId'] as const;

  constructor(
    readonly id: string,
    private readonly http: HttpClient,
  ) {}

  async collect(subjects: SubjectKey[], signal: AbortSignal): Promise<SystemSnapshot[]> {
    const searches = new Map<string, Search>();
    const byId = new Map<string, LimeGoPerson | null>();
    for (const s of subjects) {
      for (const kind of ['email', 'phone'] as const) {
        for (const term of s[kind] ?? []) if (!searches.has(`${kind}:${term}`)) searches.set(`${kind}:${term}`, { kind, term, hits: [] });
      }
      for (const id of s.crmPersonId ?? []) byId.set(id, null);
    }

    let pending: Pending[] = [
      ...[...searches.values()].map((search) => ({ search, lookup: { kind: 'search' as const, query: search.term, offset: 0 } })),
      ...[...byId.keys()].map((id) => ({ id, lookup: { kind: 'id' as const, id } })),
    ];
    for (let page = 1; pending.length > 0; page++) {
      const answers = await this.lookup(pending.map((p) => p.lookup), signal);
      const next: Pending[] = [];
      pending.forEach(({ lookup, search, id }, i) => {
        const found = answers[i]!;
        if (id !== undefined) byId.set(id, found[0] ?? null);
        if (!search || lookup.kind !== 'search') return;
        search.hits.push(...found);
        if (page < MAX_SEARCH_PAGES && morePagesMayMatch(search, found)) {
          next.push({ search, lookup: { ...lookup, offset: lookup.offset + MAX_FIRST } });
        }
      });
      pending = next;
    }

    return subjects.map((s) => {
      const matches = new Map<string, LimeGoPerson>();
      const keep = (p: LimeGoPerson) => {
        if (!matches.has(p.id)) matches.set(p.id, p);
      };
      for (const id of s.crmPersonId ?? []) {
        const p = byId.get(id);
        if (p) keep(p);
      }
      for (const kind of ['email', 'phone'] as const) {
        for (const term of s[kind] ?? []) {
          searches.get(`${kind}:${term}`)!.hits.filter((p) => carries(p, kind, term)).forEach(keep);
        }
      }
      const records = [...matches.values()];
      return { found: records.length > 0, restricted: false, datasets: [{ name: 'persons', records }] };
    });
  }

  /** The plan: the persons found, left to an administrator (MANUAL). Changes nothing. */
  async planErasure(subject: SubjectKey, signal: AbortSignal): Promise<ErasurePlanStep[]> {
    const persons = await this.persons(subject, signal);
    if (persons === 0) return [];
    return [{ dataset: 'persons', action: 'MANUAL', records: persons, note: MANUAL_INSTRUCTIONS.ERASURE }];
  }

  erase(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    return this.manualStep(subject, MANUAL_INSTRUCTIONS.ERASURE, signal);
  }

  restrict(subject: SubjectKey, restricted: boolean, signal: AbortSignal): Promise<ActionOutcome> {
    return this.manualStep(subject, restricted ? MANUAL_INSTRUCTIONS.RESTRICTION : LIFT_RESTRICTION_INSTRUCTIONS, signal);
  }

  suppressMarketing(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    return this.manualStep(subject, MANUAL_INSTRUCTIONS.OBJECTION, signal);
  }

  /** The corrections checked as rectify checks them, before the request is accepted. */
  checkChanges(changes: FieldChange[]): void {
    checkCorrections(changes);
  }

  /** Checks the corrections first (BAD_USER_INPUT before any call); the note names the fields, never values. */
  async rectify(subject: SubjectKey, changes: FieldChange[], signal: AbortSignal): Promise<ActionOutcome> {
    const fields = checkCorrections(changes);
    return this.manualStep(subject, `${MANUAL_INSTRUCTIONS.RECTIFICATION} Fields: ${fields.join(', ')} (the new values are the request's changes).`, signal);
  }

  /** Lime Go is read by API: only its changes are manual. */
  manualInstructions(type: SpiManualRequestType): string | undefined {
    return Object.hasOwn(MANUAL_INSTRUCTIONS, type) ? MANUAL_INSTRUCTIONS[type as ManualRequestType] : undefined;
  }

  private async manualStep(subject: SubjectKey, instructions: string, signal: AbortSignal): Promise<ActionOutcome> {
    const persons = await this.persons(subject, signal);
    if (persons === 0) return { status: 'NOT_FOUND', note: 'No person of the subject in Lime Go' };
    return { status: 'WAITING_FOR_OPERATOR', note: `${persons} person record(s). ${instructions}` };
  }

  /** How many persons the subject is in Lime Go (exact matches, as collect finds them). */
  private async persons(subject: SubjectKey, signal: AbortSignal): Promise<number> {
    const [snapshot] = await this.collect([subject], signal);
    return snapshot!.datasets.find((d) => d.name === 'persons')!.records.length;
  }

  /** Person-level identifiers of the matched persons only (never their organisation's). */
  discover(snapshot: SystemSnapshot): Omit<Identifier, 'source'>[] {
    const persons = snapshot.datasets.find((d) => d.name === 'persons')?.records ?? [];
    return persons.flatMap((p) => {
      const email = personEmail(p);
      return [
        { kind: 'crmPersonId' as const, value: String(p.id) },
        ...(email ? [{ kind: 'email' as const, value: email }] : []),
        ...personPhones(p).map((value) => ({ kind: 'phone' as const, value })),
      ];
    });
  }

  /** Sends the lookups in requests of LOOKUPS_PER_REQUEST aliases, side by side. */
  private async lookup(lookups: Lookup[], signal: AbortSignal): Promise<LimeGoPerson[][]> {
    const chunks: Lookup[][] = [];
    for (let i = 0; i < lookups.length; i += LOOKUPS_PER_REQUEST) chunks.push(lookups.slice(i, i + LOOKUPS_PER_REQUEST));
    const answers = await Promise.all(chunks.map((chunk) => lookupPersons(this.http, chunk, signal)));
    return answers.flat();
  }
}

/**
 * A full page may be followed by more exact hits when the search has found none yet, or when the
 * page's last hit was still an exact one (the search ranks the closest hits first).
 */
function morePagesMayMatch(search: Search, page: LimeGoPerson[]): boolean {
  if (page.length < MAX_FIRST) return false;
  const exact = (p: LimeGoPerson) => carries(p, search.kind, search.term);
  return !search.hits.some(exact) || exact(page[page.length - 1]!);
}

export const limeGoConnectorFactory: ConnectorFactory = {
  kind: 'limego',
  resolvers: [LimeGoSubjectResolver],
  create(id: string, settings: ConnectorSettings, env: ConnectorEnvironment): Connector {
    const parsed = parseSettings(id, limeGoSettingsSchema, settings);
    const apiKey = secretSetting(id, settings, 'apiKey');
    // Lime Go takes the key itself in Authorization, without a scheme
    return new LimeGoConnector(id, createHttpClient(id, parsed, env, { headers: { authorization: apiKey } }));
  },
};
