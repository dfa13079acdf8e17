/**
 * The Zoom API calls the connector makes, with the responses checked by zod. Records keep Zoom's
 * field names; the schemas check only what the connector relies on and let every other field through.
 *
 * Zoom cannot search registrants by email, so finding a person means reading every registrant of
 * the configured hosts' webinars: GET /users/{userId}/webinars, then per webinar and per status
 * (pending, approved, denied) GET /webinars/{webinarId}/registrants, each paged with
 * `next_page_token`. One such scan serves a whole batch of people: only the registrants a caller's
 * predicate keeps are held in memory.
 */
import { z } from 'zod';
import { DeadlineError, HttpError, type HttpClient, type HttpRequest, type HttpResponse, type Pacer, type QueryValue } from '../http';

export const REGISTRANT_STATUSES = ['pending', 'approved', 'denied'] as const;

const webinarSchema = z
  .object({
    id: z.union([z.number().int(), z.string().regex(/^\d{1,20}$/)]).transform(String),
    topic: z.string().nullish(),
    start_time: z.string().nullish(),
  })
  .loose();
export type Webinar = z.infer<typeof webinarSchema>;

export const registrantSchema = z
  .object({
    id: z.string().min(1),
    email: z.string(),
    status: z.string().nullish(),
    phone: z.string().nullish(),
  })
  .loose();
export type Registrant = z.infer<typeof registrantSchema>;

const webinarPage = z.object({ next_page_token: z.string().nullish(), webinars: z.array(webinarSchema) }).loose();
const registrantPage = z.object({ next_page_token: z.string().nullish(), registrants: z.array(registrantSchema) }).loose();

/** A registrant as the connector returns it: Zoom's record with the webinar it is for. */
export type Registration = Registrant & { webinar_id: string; webinar_topic: string | null; webinar_start_time: string | null };

/** At most this many pages of one list (300 000 records at the largest page size). */
const MAX_PAGES = 1000;

export interface ZoomApiOptions {
  hostUserIds: readonly string[];
  pageSize: number;
  /** `type=scheduled` (held and upcoming webinars) instead of `type=upcoming`. */
  includePastWebinars: boolean;
  /** Spaces the calls to stay under Zoom's per-second limits. */
  pacer: Pacer;
}

export class ZoomApi {
  constructor(
    private readonly http: HttpClient,
    private readonly options: ZoomApiOptions,
  ) {}

  /**
   * Every registrant of the hosts' webinars that `keep` accepts. Calls: per host, one per page of
   * webinars; per webinar, one per page of each status (3 for a webinar under a page per status).
   */
  async scan(keep: (r: Registrant) => boolean, signal: AbortSignal, visit?: (w: Webinar, r: Registrant) => void): Promise<Registration[]> {
    const lists = await Promise.all(this.options.hostUserIds.map((host) => this.webinarsOf(host, signal)));
    const webinars = [...new Map(lists.flat().map((w) => [w.id, w])).values()];
    const found = await Promise.all(
      webinars.flatMap((w) => REGISTRANT_STATUSES.map((status) => this.registrantsOf(w, status, keep, signal, visit))),
    );
    return found.flat();
  }

  /** GET /webinars/{webinarId}/registrants/{registrantId}: one registrant, undefined when gone (404). */
  async registrant(w: Webinar, registrantId: string, signal: AbortSignal): Promise<Registration | undefined> {
    const res = await this.request({ method: 'GET', path: '/webinars/{webinarId}/registrants/{registrantId}', params: { webinarId: w.id, registrantId }, signal, expect: [404] });
    if (res.status === 404) return undefined;
    const parsed = registrantSchema.safeParse(res.body);
    if (!parsed.success) {
      throw new HttpError({ system: this.http.system, status: res.status, method: 'GET', route: '/webinars/{webinarId}/registrants/{registrantId}', headers: res.headers, detail: 'the response does not have the expected shape' });
    }
    return { ...parsed.data, id: registrantId, webinar_id: w.id, webinar_topic: w.topic ?? null, webinar_start_time: w.start_time ?? null };
  }

  /**
   * DELETE /webinars/{webinarId}/registrants/{registrantId}: 'gone' when Zoom answers 404 (the
   * registrant or the webinar no longer exists), which is what a delete wants.
   */
  async deleteRegistrant(webinarId: string, registrantId: string, signal: AbortSignal): Promise<'deleted' | 'gone'> {
    const res = await this.request({
      method: 'DELETE', path: '/webinars/{webinarId}/registrants/{registrantId}', params: { webinarId, registrantId }, signal, expect: [404],
    });
    return res.status === 404 ? 'gone' : 'deleted';
  }

  private async webinarsOf(host: string, signal: AbortSignal): Promise<Webinar[]> {
    const webinars: Webinar[] = [];
    const type = this.options.includePastWebinars ? 'scheduled' : 'upcoming';
    await this.pages('/users/{userId}/webinars', { userId: host }, { type }, webinarPage, signal, (page) => {
      webinars.push(...page.webinars);
    });
    return webinars;
  }

  private async registrantsOf(w: Webinar, status: string, keep: (r: Registrant) => boolean, signal: AbortSignal, visit?: (w: Webinar, r: Registrant) => void): Promise<Registration[]> {
    const kept: Registration[] = [];
    const context = { webinar_id: w.id, webinar_topic: w.topic ?? null, webinar_start_time: w.start_time ?? null };
    await this.pages('/webinars/{webinarId}/registrants', { webinarId: w.id }, { status }, registrantPage, signal, (page) => {
      for (const r of page.registrants) {
        visit?.(w, r);
        if (keep(r)) kept.push({ ...r, ...context });
      }
    });
    return kept;
  }

  /** One call, in its turn (see Pacer). */
  private async request(req: HttpRequest): Promise<HttpResponse<unknown>> {
    try {
      await this.options.pacer.turn(req.signal);
    } catch {
      throw new DeadlineError(this.http.system, req.method, req.path);
    }
    return this.http.request<unknown>(req);
  }

  /** Reads a list page by page with next_page_token; a webinar deleted meanwhile (404) is an empty list. */
  private async pages<S extends typeof webinarPage | typeof registrantPage>(
    path: string,
    params: Record<string, string>,
    query: Record<string, QueryValue>,
    schema: S,
    signal: AbortSignal,
    onPage: (page: z.infer<S>) => void,
  ): Promise<void> {
    let token: string | undefined;
    const seen = new Set<string>();
    for (let n = 0; n < MAX_PAGES; n++) {
      const res = await this.request({
        method: 'GET', path, params, signal, expect: path.startsWith('/webinars/') ? [404] : [],
        query: { ...query, page_size: this.options.pageSize, next_page_token: token },
      });
      if (res.status === 404) return;
      const parsed = schema.safeParse(res.body);
      if (!parsed.success) {
        throw new HttpError({ system: this.http.system, status: res.status, method: 'GET', route: path, headers: res.headers, detail: 'the response does not have the expected shape' });
      }
      onPage(parsed.data as z.infer<S>);
      token = parsed.data.next_page_token || undefined;
      if (token === undefined) return;
      if (seen.has(token)) break;
      seen.add(token);
    }
    throw new HttpError({ system: this.http.system, status: 200, method: 'GET', route: path, detail: 'the list did not end' });
  }
}
