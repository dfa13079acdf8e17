/**
 * The express 5 app every simulator is built on: the contract's /__sim/faults control, fault
 * injection, configurable rate limits answered with the service's real 429, a 404 for unknown
 * paths and an error handler, all in the service's own error shape (each simulator supplies its
 * error formatter). The simulator adds its routes in `routes`.
 */
import { STATUS_CODES } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import { describeFault, FaultStore, FaultValidationError } from './faults';
import { FixedWindowLimiter, type RateLimit, type WindowState } from './rate-limit';

export interface ServiceErrors {
  /** The body of an error answer in the service's own shape. */
  body(req: Request, status: number, message: string): unknown;
  /** Content type of error answers; application/json unless set. */
  contentType?: string;
}

export interface RateLimitRule {
  name: string;
  limit: RateLimit;
  /** Which requests the rule counts; the first matching rule counts a request. Default: all. */
  applies?: (req: Request) => boolean;
}

export interface SimulatorAppOptions {
  errors: ServiceErrors;
  rateLimits: RateLimitRule[];
  /** Called for every response with the rule's window, e.g. to set X-RateLimit-* headers. */
  rateLimitHeaders?: (req: Request, res: Response, window: WindowState) => void;
  /** Extra control routes under /__sim (state inspection and the like). */
  control?: (router: Router) => void;
  routes: (app: Express) => void;
}

export interface SimulatorApp {
  app: Express;
  faults: FaultStore;
}

/** Sends an error answer in the service's own shape. */
export function sendError(errors: ServiceErrors, req: Request, res: Response, status: number, message?: string): void {
  res.status(status).type(errors.contentType ?? 'application/json').send(JSON.stringify(errors.body(req, status, message ?? STATUS_CODES[status] ?? 'Error')));
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export function createSimulatorApp(options: SimulatorAppOptions): SimulatorApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const faults = new FaultStore();
  const limiters = options.rateLimits.map((rule) => ({ rule, limiter: new FixedWindowLimiter(rule.limit) }));
  const limiterFor = (req: Request) => limiters.find(({ rule }) => !rule.applies || rule.applies(req));
  const fail = (req: Request, res: Response, status: number, message?: string) => sendError(options.errors, req, res, status, message);

  const control = express.Router();
  control.use(express.json());
  control.post('/faults', (req, res) => {
    try {
      res.status(201).json(describeFault(faults.add(req.body)));
    } catch (err) {
      if (!(err instanceof FaultValidationError)) throw err;
      res.status(400).json({ error: err.message });
    }
  });
  control.get('/faults', (_req, res) => {
    res.json(faults.list().map(describeFault));
  });
  control.delete('/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  options.control?.(control);
  app.use('/__sim', control);

  // Rate-limit headers from the current window, also on answers that never reach the limiter.
  app.use((req, res, next) => {
    const entry = limiterFor(req);
    if (entry && options.rateLimitHeaders) options.rateLimitHeaders(req, res, entry.limiter.peek());
    next();
  });

  app.use(async (req, res, next) => {
    const fault = faults.take(req.path);
    if (!fault) return next();
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.status === null) return next();
    if (fault.retryAfterS !== null) {
      res.set('Retry-After', String(fault.retryAfterS));
      if (fault.status === 429 && options.rateLimitHeaders) {
        const entry = limiterFor(req);
        const limit = entry ? entry.rule.limit.limit : 0;
        options.rateLimitHeaders(req, res, { limit, remaining: 0, resetAt: Date.now() + fault.retryAfterS * 1000, allowed: false });
      }
    }
    fail(req, res, fault.status);
  });

  app.use((req, res, next) => {
    const entry = limiterFor(req);
    if (!entry) return next();
    const window = entry.limiter.take();
    options.rateLimitHeaders?.(req, res, window);
    if (window.allowed) return next();
    res.set('Retry-After', String(Math.max(1, Math.ceil((window.resetAt - Date.now()) / 1000))));
    fail(req, res, 429);
  });

  options.routes(app);

  app.use((req: Request, res: Response) => fail(req, res, 404));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; type?: string };
    const status = e.status ?? e.statusCode ?? 500;
    if (res.headersSent) return;
    if (status >= 400 && status < 500) return fail(req, res, status, e.type === 'entity.parse.failed' ? 'invalid JSON body' : undefined);
    fail(req, res, 500);
  });
  return { app, faults };
}
