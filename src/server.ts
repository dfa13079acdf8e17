import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import { createReadStream } from 'node:fs';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { createContext, type GatewayContext, type Services } from './context';
import { ErrorCode, isPublicCode } from './errors';
import { manualUploadRoute } from './upload.route';

/** Apollo's own codes for a request that is not valid GraphQL or has wrong variables. */
const INPUT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

export interface ServerOptions {
  schema: GraphQLSchema;
  services: Services;
  store: DataSource;
  httpServer: Server;
  production: boolean;
}

/**
 * Errors leave the gateway with a contract code and a safe message only: expected failures keep
 * theirs; anything unexpected becomes INTERNAL_SERVER_ERROR without its text, stack or origin.
 */
export function maskError(services: Services) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const base = { locations: formatted.locations, path: formatted.path };
    const original = (error as { originalError?: unknown })?.originalError;
    if (isPublicCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR && (original === undefined || (original as { extensions?: unknown }).extensions)) {
      return { ...base, message: formatted.message, extensions: { code } };
    }
    if (typeof code === 'string' && INPUT_CODES.has(code)) {
      return { ...base, message: formatted.message, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    const err = (original ?? error) as { name?: string; code?: unknown };
    const errorCode = typeof err?.code === 'string' && /^[A-Z_0-9]{2,40}$/.test(err.code) ? err.code : undefined;
    services.logger.error({ errorName: err?.name, errorCode, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return { ...base, message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

export async function createServer(opts: ServerOptions): Promise<{ app: Express; apollo: ApolloServer<GatewayContext> }> {
  const plugins: ApolloServerPlugin<GatewayContext>[] = [ApolloServerPluginDrainHttpServer({ httpServer: opts.httpServer })];
  const apollo = new ApolloServer<GatewayContext>({
    schema: opts.schema,
    plugins,
    introspection: !opts.production,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // main.ts owns shutdown
    formatError: maskError(opts.services),
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
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
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: async ({ req }) => createContext(opts.services, req) }),
  );
  return { app, apollo };
}
