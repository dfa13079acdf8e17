/**
 * Zoom simulator: Server-to-Server OAuth at POST /oauth/token (the real one is
 * https://zoom.us/oauth/token) and the webinar API under /v2 (the real one is
 * https://api.zoom.us/v2) with Bearer tokens, Zoom's error envelope {"code","message"} and its
 * per-second rate limits by category: list calls are "Medium", single-record calls "Light"; a
 * 429 carries X-RateLimit-Category, X-RateLimit-Type: QPS and Retry-After.
 *
 * ASSUMED (not documented precisely): the 404 code of a missing registrant (3027), the token
 * endpoint's error bodies, and that `type=scheduled` lists webinars already held until Zoom
 * expires them (the simulator never expires one).
 *
 * Control (no auth): /__sim/faults; GET /__sim/state/registrants?email= (an address's
 * registrations, exact match); GET /__sim/state/stats ({tokensIssued, throttled: 429s answered,
 * apiCalls: API calls that reached the routes});
 * POST /__sim/tokens/revoke (every token issued so far answers 401 from now on).
 */
import express from 'express';
import { createSimulatorApp } from '../common/app';
import type { RateLimit } from '../common/rate-limit';
import { listen } from '../common/server';
import { PersistentState } from '../common/state';
import { copy, secret, worldSource, type SimulatorOptions, type StartedSimulator } from '../common/simulator';
import { tokenEndpoint, validBearer, type ZoomIssuer } from './auth';
import { sendZoomError, INVALID_TOKEN, zoomErrors } from './errors';
import { registrationsOf, webinarRoutes } from './routes';
import type { ZoomState } from './types';

const STATE_FORMAT = 1;
export const TOKEN_PATH = '/oauth/token';
export const API_PREFIX = '/v2';
/** Zoom's per-second limits of a Pro account: Medium 20, Light 30 requests a second. */
export const MEDIUM_RATE_LIMIT: RateLimit = { limit: 20, windowMs: 1000 };
export const LIGHT_RATE_LIMIT: RateLimit = { limit: 30, windowMs: 1000 };

export interface ZoomSimulatorOptions extends SimulatorOptions {
  /** The "Medium" category (list calls); `rateLimit` of the common options. Default 20/s. */
  rateLimit?: RateLimit;
  /** The "Light" category (one registrant). Default 30/s. */
  lightRateLimit?: RateLimit;
  /** Access token lifetime in seconds (default 3600, as Zoom's). */
  tokenLifetimeS?: number;
}

export interface ZoomSimulator extends StartedSimulator {
  /** The client secret (same as `key`). */
  clientSecret: string;
  clientId: string;
  accountId: string;
  /** `${baseUrl}/v2` */
  apiBaseUrl: string;
  tokenUrl: string;
  /** The hosts' emails, as a connector's hostUserIds. */
  hostUserIds: string[];
}

export async function startZoomSimulator(options: ZoomSimulatorOptions): Promise<ZoomSimulator> {
  const source = worldSource(options, STATE_FORMAT);
  const state = PersistentState.open<ZoomState>(options.dataDir, 'zoom', source.origin, () => ({
    ...copy(source.world().zoom),
    accountId: secret(16),
    clientId: secret(16),
    clientSecret: secret(24),
    signingKey: secret(32),
    tokenGeneration: 1,
  }));
  const stats = { tokensIssued: 0, throttled: 0, apiCalls: 0 };
  const issuer = (): ZoomIssuer => ({
    accountId: state.data.accountId,
    clientId: state.data.clientId,
    clientSecret: state.data.clientSecret,
    signingKey: state.data.signingKey,
    generation: state.data.tokenGeneration,
    lifetimeS: options.tokenLifetimeS ?? 3600,
  });
  const isList = (path: string) => /^\/v2\/(users\/[^/]+\/webinars|webinars\/[^/]+\/registrants)\/?$/.test(path);
  const category = (path: string) => (isList(path) ? 'Medium' : 'Light');

  const { app } = createSimulatorApp({
    errors: {
      body: (req, status, message) => {
        if (status === 429) stats.throttled += 1;
        return zoomErrors.body(req, status, message);
      },
    },
    rateLimits: [
      { name: 'medium', limit: options.rateLimit ?? MEDIUM_RATE_LIMIT, applies: (req) => req.path.startsWith(`${API_PREFIX}/`) && isList(req.path) },
      { name: 'light', limit: options.lightRateLimit ?? LIGHT_RATE_LIMIT, applies: (req) => req.path.startsWith(`${API_PREFIX}/`) },
    ],
    rateLimitHeaders: (req, res, window) => {
      res.set('X-RateLimit-Category', category(req.path));
      if (!window.allowed) res.set('X-RateLimit-Type', 'QPS');
    },
    control: (router) => {
      router.get('/state/registrants', (req, res) => {
        const email = req.query.email;
        if (typeof email !== 'string' || email === '') return res.status(400).json({ error: 'email is required' });
        res.json(registrationsOf(state.data, email));
      });
      router.get('/state/stats', (_req, res) => {
        res.json(stats);
      });
      router.post('/tokens/revoke', (_req, res) => {
        state.change((d) => (d.tokenGeneration += 1));
        res.status(204).end();
      });
    },
    routes: (app) => {
      app.post(TOKEN_PATH, express.urlencoded({ extended: false }), tokenEndpoint(issuer, () => (stats.tokensIssued += 1)));
      const api = express.Router();
      api.use((req, res, next) => {
        stats.apiCalls += 1;
        if (validBearer(issuer(), req.get('authorization'))) return next();
        sendZoomError(res, 401, INVALID_TOKEN.code, INVALID_TOKEN.message);
      });
      webinarRoutes(api, state);
      app.use(API_PREFIX, api);
    },
  });

  const server = await listen(app, options.port ?? 0);
  return {
    baseUrl: server.baseUrl,
    key: state.data.clientSecret,
    clientSecret: state.data.clientSecret,
    clientId: state.data.clientId,
    accountId: state.data.accountId,
    apiBaseUrl: `${server.baseUrl}${API_PREFIX}`,
    tokenUrl: `${server.baseUrl}${TOKEN_PATH}`,
    hostUserIds: state.data.users.map((u) => u.email),
    close: server.close,
  };
}
