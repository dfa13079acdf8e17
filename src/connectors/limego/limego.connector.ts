import { z } from 'zod';
import type { ConnectorSettings } from '../../config';
import type { Connector, ConnectorEnvironment, ConnectorFactory, Identifier, SubjectKey, SystemSnapshot } from '../connector';
import { createHttpClient, httpSettingsSchema, parseSettings, secretSetting, type HttpClient } from '../http';
import { lookupPersons, MAX_FIRST, type LimeGoPerson, type Lookup } from './limego.client';
import { LIMEGO_DESCRIPTOR } from './limego.descriptor';
import { carries, personEmail, personPhones } from './limego.match';
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
