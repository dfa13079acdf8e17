/**
 * Lime Go simulator: the GraphQL API at POST /v1/graphql with `Authorization: <api key>` (no
 * Bearer scheme), fuzzy person search and first <= 20.
 *
 * ASSUMED (not publicly documented): errors answer as a GraphQL-over-HTTP service does, with the
 * HTTP status and {"errors":[{"message","extensions":{"code"}}]}: 401 UNAUTHENTICATED for a
 * missing or wrong key, 429 RATE_LIMITED with Retry-After when over the limit, 400 for a request
 * that is not valid GraphQL.
 *
 * Control (no auth): /__sim/faults; DELETE /__sim/persons/:id stands in for a CRM administrator
 * deleting a person by hand (Lime Go's API has no delete).
 */
import { STATUS_CODES } from 'node:http';
import express, { type Request } from 'express';
import { execute, GraphQLError, parse, validate, type DocumentNode } from 'graphql';
import { createSimulatorApp, sendError, type ServiceErrors } from '../common/app';
import { listen } from '../common/server';
import { PersistentState } from '../common/state';
import { copy, DEFAULT_RATE_LIMIT, secret, worldSource, type SimulatorOptions, type StartedSimulator } from '../common/simulator';
import { limeGoRoot, limeGoSchema } from './schema';
import type { LimeGoState } from './types';

const STATE_FORMAT = 1;

export interface LimeGoSimulatorOptions extends SimulatorOptions {
  /** Use this API key instead of the one generated with the state. */
  apiKey?: string;
}

export type LimeGoSimulator = StartedSimulator;

const CODES: Record<number, string> = { 400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 429: 'RATE_LIMITED' };

const limeGoErrors: ServiceErrors = {
  body(_req: Request, status: number, message: string) {
    const code = CODES[status] ?? (STATUS_CODES[status] ?? 'ERROR').toUpperCase().replace(/[^A-Z]+/g, '_');
    return { errors: [{ message, extensions: { code } }] };
  },
};

export async function startLimeGoSimulator(options: LimeGoSimulatorOptions): Promise<LimeGoSimulator> {
  const source = worldSource(options, STATE_FORMAT);
  const state = PersistentState.open<LimeGoState>(options.dataDir, 'limego', source.origin, () => ({
    ...copy(source.world().limego),
    apiKey: secret(24),
    deletedPersons: [],
  }));
  if (options.apiKey && options.apiKey !== state.data.apiKey) state.change((d) => (d.apiKey = options.apiKey!));
  const root = limeGoRoot(state.data);

  const { app } = createSimulatorApp({
    errors: limeGoErrors,
    rateLimits: [{ name: 'api', limit: options.rateLimit ?? DEFAULT_RATE_LIMIT }],
    control: (router) => {
      router.delete('/persons/:id', (req, res) => {
        const id = req.params.id;
        const removed = state.change((d) => {
          const before = d.persons.length;
          d.persons = d.persons.filter((p) => p.id !== id);
          if (d.persons.length === before) return false;
          d.deletedPersons.push({ id, deletedAt: new Date().toISOString() });
          return true;
        });
        if (removed) res.status(204).end();
        else res.status(404).json({ error: 'no such person' });
      });
    },
    routes: (app) => {
      app.use((req, res, next) => {
        if ((req.get('authorization') ?? '').trim() === state.data.apiKey) return next();
        sendError(limeGoErrors, req, res, 401, 'Unauthorized');
      });
      app.post('/v1/graphql', express.json({ limit: '1mb' }), async (req, res) => {
        const { query, variables, operationName } = (req.body ?? {}) as Record<string, unknown>;
        if (typeof query !== 'string' || query.trim() === '') {
          sendError(limeGoErrors, req, res, 400, 'Must provide query string.');
          return;
        }
        let document: DocumentNode;
        try {
          document = parse(query);
        } catch (err) {
          res.status(400).json({ errors: [(err as GraphQLError).toJSON()] });
          return;
        }
        const invalid = validate(limeGoSchema, document);
        if (invalid.length > 0) {
          res.status(400).json({ errors: invalid.map((e) => e.toJSON()) });
          return;
        }
        const result = await execute({
          schema: limeGoSchema,
          document,
          rootValue: root,
          variableValues: (variables as Record<string, unknown> | undefined) ?? undefined,
          operationName: typeof operationName === 'string' ? operationName : undefined,
        });
        res.json(result);
      });
    },
  });

  const server = await listen(app, options.port ?? 0);
  return { baseUrl: server.baseUrl, key: state.data.apiKey, close: server.close };
}
