/**
 * SendGrid v3 simulator: email activity, suppressions, marketing contacts and recipient erasure,
 * with SendGrid's Bearer auth, error envelope and X-RateLimit-* headers (Reset as epoch seconds;
 * the erasure API, per its own spec, as seconds until the window ends).
 *
 * Control (no auth): /__sim/faults, GET /__sim/state/erasejobs, GET /__sim/state/contact-deletions.
 */
import express, { type Request, type Response } from 'express';
import { createSimulatorApp, sendError } from '../common/app';
import type { RateLimit, WindowState } from '../common/rate-limit';
import { listen } from '../common/server';
import { PersistentState } from '../common/state';
import { copy, DEFAULT_RATE_LIMIT, secret, worldSource, type SimulatorOptions, type StartedSimulator } from '../common/simulator';
import { ERASEJOB_PATH, sendGridErrors } from './errors';
import { activityRoutes } from './routes/activity';
import { contactRoutes } from './routes/contacts';
import { erasureRoutes } from './routes/erasure';
import { suppressionRoutes } from './routes/suppressions';
import { SendGridStore } from './store';
import type { SendGridState } from './types';

const STATE_FORMAT = 1;

export interface SendGridSimulatorOptions extends SimulatorOptions {
  /** Use this API key instead of the one generated with the state. */
  apiKey?: string;
  /** POST /v3/recipients/erasejob; SendGrid documents 100 requests per minute. */
  erasejobRateLimit?: RateLimit;
}

export type SendGridSimulator = StartedSimulator;

function rateLimitHeaders(req: Request, res: Response, window: WindowState): void {
  const seconds = Math.max(0, Math.ceil((window.resetAt - Date.now()) / 1000));
  res.set('X-RateLimit-Limit', String(window.limit));
  res.set('X-RateLimit-Remaining', String(window.remaining));
  res.set('X-RateLimit-Reset', String(req.path === ERASEJOB_PATH ? seconds : Math.ceil(window.resetAt / 1000)));
}

export async function startSendGridSimulator(options: SendGridSimulatorOptions): Promise<SendGridSimulator> {
  const source = worldSource(options, STATE_FORMAT);
  const state = PersistentState.open<SendGridState>(options.dataDir, 'sendgrid', source.origin, () => ({
    ...copy(source.world().sendgrid),
    apiKey: `SG.${secret(16)}.${secret(32)}`,
    eraseJobs: [],
    contactDeletionJobs: [],
  }));
  if (options.apiKey && options.apiKey !== state.data.apiKey) state.change((d) => (d.apiKey = options.apiKey!));
  const store = new SendGridStore(state);

  const { app } = createSimulatorApp({
    errors: sendGridErrors,
    rateLimits: [
      { name: 'erasejob', limit: options.erasejobRateLimit ?? { limit: 100, windowMs: 60_000 }, applies: (req) => req.path === ERASEJOB_PATH },
      { name: 'api', limit: options.rateLimit ?? DEFAULT_RATE_LIMIT },
    ],
    rateLimitHeaders,
    control: (router) => {
      router.get('/state/erasejobs', (_req, res) => {
        res.json(state.data.eraseJobs);
      });
      router.get('/state/contact-deletions', (_req, res) => {
        res.json(state.data.contactDeletionJobs);
      });
    },
    routes: (app) => {
      app.use((req, res, next) => {
        const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
        if (m && m[1].trim() === state.data.apiKey) return next();
        sendError(sendGridErrors, req, res, 401);
      });
      app.use(express.json({ limit: '1mb' }));
      const router = express.Router();
      activityRoutes(router, store);
      suppressionRoutes(router, store);
      contactRoutes(router, store);
      erasureRoutes(router, store);
      app.use(router);
    },
  });

  const server = await listen(app, options.port ?? 0);
  return { baseUrl: server.baseUrl, key: state.data.apiKey, close: server.close };
}
