import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { createReadStream } from 'node:fs';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { createContext, type GatewayContext, type Services } from './context';
import { ErrorCode, isPublicCode } from './errors';

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
      return { ...base, message: safeInputMessage(formatted.message, original), extensions: { code } };
    }
    if (typeof code === 'string' && INPUT_CODES.has(code)) {
      return { ...base, message: safeInputMessage(formatted.message, original), extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    const err = (original ?? error) as { name?: string; code?: unknown };
    const errorCode = typeof err?.code === 'string' && /^[A-Z_0-9]{2,40}$/.test(err.code) ? err.code : undefined;
    services.logger.error({ errorName: err?.name, errorCode, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return { ...base, message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

/**
 * GraphQL's own input errors, without the values the caller sent: a variable's value is echoed in
 * them ("got invalid value ..."), and it may be an email or another identifier.
 */
function safeInputMessage(message: string, original: unknown): string {
  if (/Maximum call stack/.test(message)) return 'The query is nested too deeply';
  const variable = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (!variable) return message;
  const inner = original instanceof Error && message.endsWith(`; ${original.message}`) ? original.message : '';
  const prefix = inner ? message.slice(0, message.length - inner.length - 2) : message;
  const at = / at "([\w.[\]]+)"$/.exec(prefix)?.[1];
  const reason = inner
    .replace(/^Value ".*" does not exist in "(\w+)" enum\.[\s\S]*$/, 'not a value of enum $1')
    .replace(/:\s[\s\S]*$/, '')
    .replace(/\.$/, '');
  return `Variable "$${variable[1]}" got an invalid value${at ? ` at "${at}"` : ''}${reason ? `: ${reason}` : ''}`;
}

/** What express's body parser rejects, as a contract error without its stack or details. */
const BODY_ERRORS: Record<number, string> = {
  400: 'The request body is not valid JSON',
  413: 'The request body is too large',
  415: 'The request body must be JSON in UTF-8',
};

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
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: async ({ req }) => createContext(opts.services, req) }),
  );
  const onError: ErrorRequestHandler = (err: { status?: unknown; type?: unknown; name?: string }, _req, res, _next) => {
    const status = typeof err?.status === 'number' ? err.status : 500;
    const message = BODY_ERRORS[status];
    if (!message) opts.services.logger.error({ errorName: err?.name, status }, 'unexpected error in an HTTP request');
    res.status(message ? status : 500).json({ errors: [{ message: message ?? 'Internal server error', extensions: { code: message ? ErrorCode.BAD_USER_INPUT : ErrorCode.INTERNAL_SERVER_ERROR } }] });
  };
  app.use(onError);
  return { app, apollo };
}
