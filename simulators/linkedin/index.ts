/**
 * LinkedIn Marketing API simulator, Matched Audiences: POST /rest/dmpSegments/{id}/users with
 * X-RestLi-Method: BATCH_CREATE (ADD and REMOVE of SHA256_EMAIL users), Bearer auth, the
 * LinkedIn-Version and X-Restli-Protocol-Version headers, LinkedIn's error envelope
 * {"status","serviceErrorCode","code","message"} and 429 when over the per-minute limit.
 *
 * The DMP segments hold the demo world's email lists (simulators/world.ts adAudiences), hashed as
 * LinkedIn asks: lower case, whitespace removed, SHA-256.
 *
 * Control (no auth): /__sim/faults, GET /__sim/state/audiences.
 */
import { STATUS_CODES } from 'node:http';
import express, { type Request, type Response } from 'express';
import { audienceState, isSha256Hex, removeMember, sha256Hex, type SimAudience, type SimRemoval } from '../common/audiences';
import { createSimulatorApp, sendError, type ServiceErrors } from '../common/app';
import { listen } from '../common/server';
import { PersistentState } from '../common/state';
import { secret, worldSource, type SimulatorOptions, type StartedSimulator } from '../common/simulator';
import { adAudiences } from '../world';

const STATE_FORMAT = 1;
/** LinkedIn documents 500 calls a minute per member for the DMP users endpoint. */
export const LINKEDIN_USERS_RATE_LIMIT = { limit: 500, windowMs: 60_000 };
/** Marketing API versions the simulator answers (YYYYMM). */
const ACTIVE_VERSIONS = /^(2025(0[6-9]|1[0-2])|2026(0[1-9]|1[0-2]))(\.\d{2})?$/;
const SEGMENT_IDS: Record<string, string> = { newsletter: '58112340', customers: '58112341' };

interface LinkedInState {
  accessToken: string;
  segments: SimAudience[];
  removals: SimRemoval[];
}

export interface LinkedInSimulatorOptions extends SimulatorOptions {
  accessToken?: string;
}

export interface LinkedInSimulator extends StartedSimulator {
  /** The access token (same as `key`). */
  accessToken: string;
  /** The DMP segment ids. */
  segments: string[];
  apiVersion: string;
}

export const linkedinHash = (email: string): string => sha256Hex(email.toLowerCase().replace(/\s+/gu, ''));

const SERVICE_ERROR_CODES: Record<number, number> = { 400: 100, 401: 65600, 403: 100, 404: 100, 426: 100, 429: 101, 500: 100 };
const CODES: Record<number, string> = { 401: 'INVALID_ACCESS_TOKEN', 426: 'NONEXISTENT_VERSION', 429: 'TOO_MANY_REQUESTS' };

export const linkedinErrors: ServiceErrors = {
  body(_req: Request, status: number, message: string) {
    const text = status === 401 ? 'Invalid access token' : status === 429 ? 'Resource level throttle limit for calls to this resource is reached.' : message;
    return { status, serviceErrorCode: SERVICE_ERROR_CODES[status] ?? 100, ...(CODES[status] ? { code: CODES[status] } : {}), message: text };
  },
};

const fail = (req: Request, res: Response, status: number, message?: string) => sendError(linkedinErrors, req, res, status, message ?? STATUS_CODES[status]);

export async function startLinkedInSimulator(options: LinkedInSimulatorOptions): Promise<LinkedInSimulator> {
  const source = worldSource(options, STATE_FORMAT);
  const state = PersistentState.open<LinkedInState>(options.dataDir, 'linkedin', source.origin, () => ({
    accessToken: `AQ${secret(48)}`,
    segments: adAudiences(source.world()).map((a) => ({ id: SEGMENT_IDS[a.key]!, name: a.name, members: [...new Set(a.emails.map(linkedinHash))] })),
    removals: [],
  }));
  if (options.accessToken && options.accessToken !== state.data.accessToken) state.change((d) => (d.accessToken = options.accessToken!));

  const { app } = createSimulatorApp({
    errors: linkedinErrors,
    rateLimits: [{ name: 'dmp-users', limit: options.rateLimit ?? LINKEDIN_USERS_RATE_LIMIT }],
    control: (router) => {
      router.get('/state/audiences', (_req, res) => {
        res.json(audienceState(state.data.segments, state.data.removals));
      });
    },
    routes: (app) => {
      app.use((req, res, next) => {
        const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
        if (m && m[1] === state.data.accessToken) return next();
        fail(req, res, 401);
      });
      app.use('/rest', (req, res, next) => {
        const version = req.get('linkedin-version');
        if (!version) return fail(req, res, 400, 'A version must be present. Please specify a version by adding the LinkedIn-Version header.');
        if (!ACTIVE_VERSIONS.test(version)) return fail(req, res, 426, `Requested version ${version.slice(0, 12)} is not active`);
        next();
      });
      app.use(express.json({ limit: '5mb' }));
      app.post('/rest/dmpSegments/:id/users', (req, res) => {
        if (req.get('x-restli-protocol-version') !== '2.0.0') return fail(req, res, 400, 'X-Restli-Protocol-Version 2.0.0 is required');
        if ((req.get('x-restli-method') ?? '').toUpperCase() !== 'BATCH_CREATE') return fail(req, res, 400, 'Only BATCH_CREATE is supported on this resource');
        const segment = state.data.segments.find((s) => s.id === req.params.id);
        if (!segment) return fail(req, res, 404, `DmpSegment ${String(req.params.id).slice(0, 20)} does not exist`);
        const elements = (req.body as { elements?: unknown })?.elements;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 5000) {
          return fail(req, res, 400, 'elements must be an array of 1 to 5000 users');
        }
        const results = state.change((d) => {
          const target = d.segments.find((s) => s.id === segment.id)!;
          return elements.map((e: unknown) => {
            const el = e as { action?: unknown; userIds?: unknown };
            const ids = Array.isArray(el.userIds) ? (el.userIds as { idType?: unknown; idValue?: unknown }[]) : [];
            const hashes = ids.filter((u) => u?.idType === 'SHA256_EMAIL').map((u) => u.idValue);
            if ((el.action !== 'ADD' && el.action !== 'REMOVE') || ids.length === 0 || !hashes.every(isSha256Hex)) {
              return { status: 400, error: { status: 400, serviceErrorCode: 100, message: 'Invalid user: action must be ADD or REMOVE, SHA256_EMAIL a SHA-256 hex digest' } };
            }
            for (const h of hashes as string[]) {
              if (el.action === 'REMOVE') removeMember(target, h, d.removals);
              else if (!target.members.includes(h)) target.members.push(h);
            }
            return { status: 201 };
          });
        });
        res.status(200).json({ elements: results });
      });
    },
  });

  const server = await listen(app, options.port ?? 0);
  return {
    baseUrl: server.baseUrl,
    key: state.data.accessToken,
    accessToken: state.data.accessToken,
    segments: state.data.segments.map((s) => s.id),
    apiVersion: '202511',
    close: server.close,
  };
}
