/**
 * Zoom's webinar API under /v2: the webinars a user hosts, a webinar's registrants by status,
 * one registrant, and deleting one. Lists page with `page_size` (default 30, at most 300: larger
 * values are served as 300) and an opaque `next_page_token` ("" on the last page) that is valid
 * for 15 minutes and only for the list it came from.
 */
import { createHash } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { normalisedEmail } from '../people';
import { sign } from './auth';
import { sendZoomError } from './errors';
import { REGISTRANT_STATUSES, type RegistrantStatus, type ZoomState } from './types';

export const MAX_PAGE_SIZE = 300;
const DEFAULT_PAGE_SIZE = 30;
const PAGE_TOKEN_TTL_MS = 15 * 60_000;

interface Store {
  data: ZoomState;
  change<R>(apply: (d: ZoomState) => R): R;
}

type Paging = { ok: true; size: number; offset: number } | { ok: false };

/** page_size and next_page_token of a list request; a bad token or size is answered here (400, code 300). */
function paging(req: Request, res: Response, store: Store, list: string): Paging {
  const rawSize = req.query.page_size;
  let size = DEFAULT_PAGE_SIZE;
  if (rawSize !== undefined) {
    if (typeof rawSize !== 'string' || !/^\d+$/.test(rawSize) || Number(rawSize) < 1) {
      sendZoomError(res, 400, 300, 'Invalid field.');
      return { ok: false };
    }
    size = Math.min(MAX_PAGE_SIZE, Number(rawSize));
  }
  const token = req.query.next_page_token;
  if (token === undefined || token === '') return { ok: true, size, offset: 0 };
  const offset = typeof token === 'string' ? readPageToken(store, list, token) : undefined;
  if (offset === undefined) {
    sendZoomError(res, 400, 300, 'The next page token is invalid or expired.');
    return { ok: false };
  }
  return { ok: true, size, offset };
}

const listKey = (list: string) => createHash('sha256').update(list).digest('base64url').slice(0, 12);

function pageToken(store: Store, list: string, offset: number): string {
  const body = Buffer.from(JSON.stringify({ o: offset, l: listKey(list), t: Date.now() })).toString('base64url');
  return `${body}${sign(store.data.signingKey, body).slice(0, 16)}`;
}

function readPageToken(store: Store, list: string, token: string): number | undefined {
  if (token.length <= 16) return undefined;
  const body = token.slice(0, -16);
  if (sign(store.data.signingKey, body).slice(0, 16) !== token.slice(-16)) return undefined;
  try {
    const t = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { o: number; l: string; t: number };
    if (t.l !== listKey(list) || Date.now() - t.t > PAGE_TOKEN_TTL_MS || !Number.isInteger(t.o) || t.o < 0) return undefined;
    return t.o;
  } catch {
    return undefined;
  }
}

function page<T>(store: Store, list: string, items: T[], p: { size: number; offset: number }) {
  const slice = items.slice(p.offset, p.offset + p.size);
  const next = p.offset + p.size < items.length ? pageToken(store, list, p.offset + p.size) : '';
  return { slice, next };
}

export function webinarRoutes(router: Router, store: Store): void {
  const userOf = (userId: string) => {
    const users = store.data.users;
    if (userId === 'me') return users[0];
    const wanted = userId.toLowerCase();
    return users.find((u) => u.id === userId || u.email.toLowerCase() === wanted);
  };
  const webinarOf = (id: string) => store.data.webinars.find((w) => String(w.id) === id);

  router.get('/users/:userId/webinars', (req, res) => {
    const user = userOf(String(req.params.userId));
    if (!user) return sendZoomError(res, 404, 1001, `User does not exist: ${String(req.params.userId)}.`);
    const type = req.query.type ?? 'scheduled';
    if (type !== 'scheduled' && type !== 'upcoming') return sendZoomError(res, 400, 300, 'Invalid field.');
    const p = paging(req, res, store, `webinars:${user.id}:${type}`);
    if (!p.ok) return;
    const now = Date.now();
    const all = store.data.webinars.filter((w) => w.host_id === user.id && (type === 'scheduled' || Date.parse(w.start_time) + w.duration * 60_000 >= now));
    const { slice, next } = page(store, `webinars:${user.id}:${type}`, all, p);
    res.json({ page_size: p.size, total_records: all.length, next_page_token: next, webinars: slice });
  });

  router.get('/webinars/:webinarId/registrants', (req, res) => {
    const id = String(req.params.webinarId);
    const webinar = webinarOf(id);
    if (!webinar) return sendZoomError(res, 404, 3001, `Webinar does not exist: ${id}.`);
    const status = (req.query.status ?? 'approved') as RegistrantStatus;
    if (!REGISTRANT_STATUSES.includes(status)) return sendZoomError(res, 400, 300, 'Invalid field.');
    const list = `registrants:${id}:${status}`;
    const p = paging(req, res, store, list);
    if (!p.ok) return;
    const all = (store.data.registrants[id] ?? []).filter((r) => r.status === status);
    const { slice, next } = page(store, list, all, p);
    res.json({
      page_count: Math.ceil(all.length / p.size),
      page_number: Math.floor(p.offset / p.size) + 1,
      page_size: p.size,
      total_records: all.length,
      next_page_token: next,
      registrants: slice,
    });
  });

  const registrantOf = (req: Request, res: Response) => {
    const id = String(req.params.webinarId);
    if (!webinarOf(id)) {
      sendZoomError(res, 404, 3001, `Webinar does not exist: ${id}.`);
      return undefined;
    }
    const list = store.data.registrants[id] ?? [];
    const index = list.findIndex((r) => r.id === req.params.registrantId);
    if (index < 0) {
      sendZoomError(res, 404, 3027, 'Registrant not found.');
      return undefined;
    }
    return { id, index, registrant: list[index]! };
  };

  router.get('/webinars/:webinarId/registrants/:registrantId', (req, res) => {
    const found = registrantOf(req, res);
    if (found) res.json(found.registrant);
  });

  router.delete('/webinars/:webinarId/registrants/:registrantId', (req, res) => {
    const found = registrantOf(req, res);
    if (!found) return;
    store.change((d) => d.registrants[found.id]!.splice(found.index, 1));
    res.status(204).end();
  });
}

/** The registrations of one address (exact, after normalisation), for tests and the demo. */
export function registrationsOf(data: ZoomState, email: string): { webinar_id: number; registrant: ZoomState['registrants'][string][number] }[] {
  const wanted = normalisedEmail(email);
  return data.webinars.flatMap((w) =>
    (data.registrants[String(w.id)] ?? []).filter((r) => normalisedEmail(r.email) === wanted).map((registrant) => ({ webinar_id: w.id, registrant })),
  );
}
