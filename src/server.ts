import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import { createReadStream } from 'node:fs';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { createContext, type GatewayContext, type Services } from './context';
import type { Config } from './config';
import { ErrorCode, isPublicCode, safeInputMessage } from './errors';
import { type GatewayMetrics, graphqlMetrics, httpMetrics } from './metrics';
import { OperatorDirectory } from './auth/operators';
import { aliasLimit, costLimit, depthLimit } from './graphql-limits';
import { bodyErrors, corsPolicy, securityHeaders } from './http-security';
import { manualUploadRoute } from './upload.route';

/** Apollo's own codes for a request that is not valid GraphQL or has wrong variables. */
const INPUT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

export interface ServerOptions {
  schema: GraphQLSchema;
  services: Services;
  store: DataSource;
  httpServer: Server;
  production: boolean;
  metrics: GatewayMetrics;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  limits: Config['limits'];
  http: Config['http'];
  /** Operators reach the gateway over https (DSR_PUBLIC_URL): send HSTS. */
  https: boolean;
}

/**
 * Errors leave the gateway with a contract code and a safe message only: expected failures keep
 * theirs; anything unexpected becomes INTERNAL_SERVER_ERROR without its text, stack or origin.
 */
export function maskError(services: Services, production = false) {
  // in production a message names no field the caller did not (a misspelt input field in a variable)
  const shown = (message: string) => (production ? message.replace(/\s*Did you mean [^?]*\?/g, '') : message);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const base = { locations: formatted.locations, path: formatted.path };
    const original = (error as { originalError?: unknown })?.originalError;
    if (isPublicCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR && (original === undefined || (original as { extensions?: unknown }).extensions)) {
      return { ...base, message: shown(safeInputMessage(formatted.message, original)), extensions: { code } };
    }
    if (typeof code === 'string' && INPUT_CODES.has(code)) {
      return { ...base, message: shown(safeInputMessage(formatted.message, original)), extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    const err = (original ?? error) as { name?: string; code?: unknown };
    const errorCode = typeof err?.code === 'string' && /^[A-Z_0-9]{2,40}$/.test(err.code) ? err.code : undefined;
    services.logger.error({ errorName: err?.name, errorCode, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return { ...base, message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

export async function createServer(opts: ServerOptions): Promise<{ app: Express; apollo: ApolloServer<GatewayContext> }> {
  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer: opts.httpServer, stopGracePeriodMillis: opts.http.shutdownGraceMs }),
    costLimit(opts.limits.maxCost),
    graphqlMetrics(opts.metrics),
  ];
  if (opts.production) plugins.push(ApolloServerPluginLandingPageDisabled());
  const apollo = new ApolloServer<GatewayContext>({
    schema: opts.schema,
    plugins,
    validationRules: [depthLimit(opts.limits.maxDepth), aliasLimit(opts.limits.maxAliases)],
    parseOptions: { maxTokens: opts.limits.maxTokens },
    introspection: !opts.production,
    hideSchemaDetailsFromClientErrors: opts.production, // no "Did you mean ...?"
    allowBatchedHttpRequests: false, // one operation per HTTP request
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // main.ts owns shutdown
    formatError: maskError(opts.services, opts.production),
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.http.trustProxy);
  app.use(securityHeaders({ production: opts.production, https: opts.https }));
  const cors = corsPolicy(opts.http.corsOrigins);
  if (cors) app.use(cors);
  app.use(httpMetrics(opts.metrics));
  const scraper = opts.metricsToken === undefined ? undefined : new OperatorDirectory([{ name: 'metrics', roles: [], token: opts.metricsToken }]);
  app.get('/metrics', async (req, res) => {
    if (scraper && !scraper.authenticate(req.headers.authorization)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthenticated' });
      return;
    }
    try {
      const { contentType, body } = await opts.metrics.render();
      res.set({ 'Content-Type': contentType, 'Cache-Control': 'no-store' }).send(body);
    } catch {
      res.status(503).json({ error: 'metrics unavailable' });
    }
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await opts.store.query('SELECT 1');
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  // a download link is its own credential: anything wrong with it is the same plain 404
  app.get('/exports/:id/download', async (req, res) => {
    const wait = await opts.services.limits.download(req.ip ?? 'unknown');
    if (wait !== undefined) {
      res.set({ 'Retry-After': String(wait), 'Cache-Control': 'no-store' });
      res.status(429).json({ errors: [{ message: `Too many downloads; try again in ${wait} s`, extensions: { code: ErrorCode.RATE_LIMITED } }] });
      return;
    }
    const found = await opts.services.downloads.open(String(req.params.id), req.query.token).catch(() => undefined);
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' });
    if (!found) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    res.set({
      'Content-Type': 'application/zip',
      'Content-Length': String(found.size),
      'Content-Disposition': `attachment; filename="${found.filename}"`,
    });
    createReadStream(found.file)
      .on('error', () => res.destroy())
      .pipe(res);
  });
  // what an operator found in a system without an API, for an access request waiting on it
  app.post('/requests/:id/systems/:system/files', ...manualUploadRoute(opts.services));
  app.use(
    '/graphql',
    (_req, res, next) => {
      res.set('Cache-Control', 'no-store');
      next();
    },
    express.json({ limit: `${opts.limits.bodyLimitKb}kb` }),
    expressMiddleware(apollo, { context: async ({ req }) => createContext(opts.services, req) }),
  );
  app.use(bodyErrors(opts.limits.bodyLimitKb, opts.services.logger));
  return { app, apollo };
}

