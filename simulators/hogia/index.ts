/**
 * Hogia ekonomi simulator: the API at /{organizationGuid}/... with ?api-version=YYYY-MM-DD
 * required, Bearer tokens from OAuth2 client credentials (POST /connect/token, served here; the
 * real identity server is id.hogia.se), page/pageSize <= 500 and ProblemDetails errors.
 *
 * ASSUMED (not publicly documented): which api-versions exist (any well-formed date is accepted
 * unless `apiVersions` lists them), the list shape (see paging.ts), contact search by email,
 * contact updates and the invoice endpoints (see routes/).
 *
 * Control (no auth): /__sim/faults.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createSimulatorApp } from '../common/app';
import { listen } from '../common/server';
import { PersistentState } from '../common/state';
import { copy, DEFAULT_RATE_LIMIT, secret, worldSource, type SimulatorOptions, type StartedSimulator } from '../common/simulator';
import { checkBearer, tokenEndpoint, type TokenIssuer } from './auth';
import { hogiaErrors, problem, sendProblem } from './problem';
import { contactRoutes } from './routes/contacts';
import { invoiceRoutes } from './routes/invoices';
import type { HogiaState } from './types';

const STATE_FORMAT = 1;
export const DEFAULT_API_VERSION = '2024-10-01';
export const DEFAULT_INVOICES_PATH = '/customerinvoices';
export const TOKEN_PATH = '/connect/token';

export interface HogiaSimulatorOptions extends SimulatorOptions {
  clientId?: string;
  /** Use this client secret instead of the one generated with the state. */
  clientSecret?: string;
  /** Access token lifetime in seconds (default 3600). */
  tokenLifetimeS?: number;
  /** Path of the customer invoices under /{org} (ASSUMED; default /customerinvoices). */
  invoicesPath?: string;
  /** Accepted api-version values; any well-formed YYYY-MM-DD when absent. */
  apiVersions?: string[];
}

export interface HogiaSimulator extends StartedSimulator {
  /** The client secret (same as `key`). */
  clientSecret: string;
  clientId: string;
  organizationGuid: string;
  /** `${baseUrl}/${organizationGuid}` */
  apiBaseUrl: string;
  tokenUrl: string;
  apiVersion: string;
  invoicesPath: string;
}

function apiVersionCheck(accepted: string[] | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const version = req.query['api-version'];
    if (version === undefined || version === '') {
      return sendProblem(res, problem(400, {
        type: 'https://docs.api-versioning.org/problems#unspecified',
        title: 'Unspecified API version',
        detail: 'An API version is required, but was not specified.',
      }));
    }
    const text = String(version);
    const wellFormed = /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
    if (!wellFormed || (accepted && !accepted.includes(text))) {
      return sendProblem(res, problem(400, {
        type: `https://docs.api-versioning.org/problems#${wellFormed ? 'unsupported' : 'invalid'}`,
        title: wellFormed ? 'Unsupported API version' : 'Invalid API version',
        detail: `The HTTP resource that matches the request URI '${req.path}' does not support the API version '${text}'.`,
      }));
    }
    next();
  };
}

export async function startHogiaSimulator(options: HogiaSimulatorOptions): Promise<HogiaSimulator> {
  const source = worldSource(options, STATE_FORMAT);
  const state = PersistentState.open<HogiaState>(options.dataDir, 'hogia', source.origin, () => ({
    ...copy(source.world().hogia),
    organizationGuid: randomUUID(),
    clientId: options.clientId ?? 'dsr-gateway',
    clientSecret: secret(32),
    signingKey: secret(32),
  }));
  if (options.clientSecret && options.clientSecret !== state.data.clientSecret) state.change((d) => (d.clientSecret = options.clientSecret!));
  if (options.clientId && options.clientId !== state.data.clientId) state.change((d) => (d.clientId = options.clientId!));
  const invoicesPath = options.invoicesPath ?? DEFAULT_INVOICES_PATH;
  const issuer = (): TokenIssuer => ({
    clientId: state.data.clientId,
    clientSecret: state.data.clientSecret,
    organizationGuid: state.data.organizationGuid,
    signingKey: state.data.signingKey,
    lifetimeS: options.tokenLifetimeS ?? 3600,
  });

  const { app } = createSimulatorApp({
    errors: hogiaErrors,
    rateLimits: [{ name: 'api', limit: options.rateLimit ?? DEFAULT_RATE_LIMIT }],
    routes: (app) => {
      app.post(TOKEN_PATH, express.urlencoded({ extended: false }), tokenEndpoint(issuer));

      const api = express.Router({ mergeParams: true });
      api.use(apiVersionCheck(options.apiVersions));
      api.use((req, res, next) => {
        const check = checkBearer(issuer(), req.get('authorization'));
        if (check === 'valid') return next();
        res.set('WWW-Authenticate', check === 'missing' ? 'Bearer' : `Bearer error="invalid_token", error_description="The token ${check === 'expired' ? 'expired' : 'is invalid'}"`);
        sendProblem(res, problem(401));
      });
      api.use((req, res, next) => {
        if (String(req.params.org).toLowerCase() === state.data.organizationGuid.toLowerCase()) return next();
        sendProblem(res, problem(403, { detail: 'The client has no access to this organization.' }));
      });
      api.use(express.json({ type: ['application/json', 'application/merge-patch+json'] }));
      contactRoutes(api, state);
      invoiceRoutes(api, state, invoicesPath);
      app.use('/:org', api);
    },
  });

  const server = await listen(app, options.port ?? 0);
  const org = state.data.organizationGuid;
  return {
    baseUrl: server.baseUrl,
    key: state.data.clientSecret,
    clientSecret: state.data.clientSecret,
    clientId: state.data.clientId,
    organizationGuid: org,
    apiBaseUrl: `${server.baseUrl}/${org}`,
    tokenUrl: `${server.baseUrl}${TOKEN_PATH}`,
    apiVersion: options.apiVersions?.[0] ?? DEFAULT_API_VERSION,
    invoicesPath,
    close: server.close,
  };
}
