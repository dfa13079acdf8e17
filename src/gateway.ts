import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { OidcVerifier } from './auth/oidc';
import { OperatorDirectory } from './auth/operators';
import type { Config, OperatorSpec } from './config';
import { ConnectorRegistry } from './connectors/registry';
import type { Services } from './context';
import { openStore } from './db/store';
import type { Logger } from './logger';
import { buildGatewaySchema } from './schema';
import { createServer } from './server';
import { AuditService } from './services/audit.service';
import { KeyedHash } from './services/keyed-hash';
import { RequestService } from './services/request.service';
import { DownloadService } from './services/download.service';
import { ExportService } from './services/export.service';
import { ActionService } from './services/action.service';
import { RateLimits } from './services/rate-limits';
import { UploadService } from './services/upload.service';
import { RetentionService } from './services/retention.service';
import { SystemLoaders } from './services/system-loaders';
import { TaskQueue, Worker } from './jobs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { SubjectService } from './services/subject.service';
import { TombstoneService } from './services/tombstone.service';
import { connectorObserver, GatewayMetrics, instrumentConnector } from './metrics';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  operators: OperatorSpec[];
  hmacKey: Buffer;
}

export interface Gateway {
  readonly services: Services;
  readonly store: DataSource;
  readonly httpServer: Server;
  readonly metrics: GatewayMetrics;
  /** Starts listening; resolves to the base URL (http://host:port). */
  listen(): Promise<string>;
  /** Stops accepting, lets requests in flight finish, closes connectors and the store. */
  close(): Promise<void>;
}

/** Wires config -> store -> connectors -> GraphQL server. */
export async function createGateway({ config, logger, operators, hmacKey }: GatewayOptions): Promise<Gateway> {
  const store = await openStore(config.store);
  const metrics = new GatewayMetrics(store);
  const registry = ConnectorRegistry.fromConfig(config, logger, connectorObserver(metrics));
  for (const c of registry.connectors) instrumentConnector(c, metrics);
  try {
    await registry.init();
  } catch (e) {
    await registry.close();
    await store.destroy();
    throw e;
  }
  const keyed = new KeyedHash(hmacKey);
  const audit = new AuditService(store, keyed);
  let wakeWorkers = (): void => undefined;
  let listeningUrl = '';
  const deadlineMs = (id: string) => config.connectors[id]?.deadlineMs ?? config.connectorDeadlineMs;
  const tombstones = new TombstoneService(store, keyed);
  const subjects = new SubjectService(registry, audit, keyed, config.maxSubjectsPerCall, tombstones);
  const requests = new RequestService(store, registry, audit, keyed, { maxAttempts: config.taskMaxAttempts, wake: () => wakeWorkers() }, tombstones);
  metrics.watchOverdueManualSteps(() => requests.overdueManualStepsBySystem());
  const identifyLoaders = () => new SystemLoaders((c) => deadlineMs(c.id), logger, { identifyOnly: true });
  const uploads = new UploadService(store, registry, requests, audit, logger, { dataDir: config.dataDir, maxBytes: config.uploadMaxBytes });
  const exports = new ExportService(store, registry, subjects, requests, audit, {
    dataDir: config.dataDir,
    exportTtlMs: config.exportTtlMs,
    identifyLoaders,
    uploads,
  });
  const actions = new ActionService(store, registry, subjects, requests, audit, tombstones, { identifyLoaders, deadlineMs });
  const retention = new RetentionService(store, registry, requests, audit, keyed, {
    sweepHours: config.retentionSweepHours,
    maxAttempts: config.taskMaxAttempts,
    logger,
  });
  const services: Services = {
    registry,
    audit,
    requests,
    actions,
    uploads,
    retention,
    downloads: new DownloadService(store, requests, audit, {
      linkTtlMs: config.downloadLinkTtlMs,
      publicUrl: () => config.publicUrl ?? listeningUrl,
      exportFile: (id) => exports.exportFile(id),
    }),
    subjects,
    operators: new OperatorDirectory(operators),
    oidc: config.oidc ? new OidcVerifier(config.oidc, logger) : undefined,
    limits: new RateLimits(config.limits),
    deadlineMs,
    logger,
  };
  const queue = new TaskQueue(store, { owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, leaseMs: config.workers.leaseMs });
  const worker = new Worker(queue, { ...actions.handlers(exports), ...retention.handlers() }, {
    // one worker loop on SQLite (one writer); several on MySQL, where leases keep them apart
    concurrency: config.store.kind === 'sqlite' ? 1 : config.workers.concurrency,
    logger,
    onSettled: async (task) => {
      metrics.tasksRun.inc({ kind: task.kind, status: task.status });
      await requests.auditFailure(task);
      return requests.advance(task.requestId);
    },
  });
  queue.on('takeover', () => metrics.leaseTakeovers.inc());
  wakeWorkers = () => worker.wake();
  const schema = await buildGatewaySchema(registry.typedViewFactories());
  const httpServer = createHttpServer();
  const { app, apollo } = await createServer({
    schema,
    services,
    store,
    httpServer,
    production: config.env === 'production',
    limits: config.limits,
    http: config.http,
    https: config.publicUrl?.startsWith('https:') === true,
    metrics,
    metricsToken: config.metricsToken,
  });
  httpServer.on('request', app);

  let closed = false;
  return {
    services,
    store,
    httpServer,
    metrics,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          const { port } = httpServer.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          listeningUrl = `http://${host}:${port}`;
          if (config.workers.enabled) {
            worker.start();
            retention.schedule().catch((e: unknown) => logger.error({ err: (e as Error).name }, 'retention: the scheduled sweep could not be scheduled'));
          }
          resolve(listeningUrl);
        });
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      // stop accepting connections and claiming tasks at once; requests and tasks in flight get the
      // grace period, then tasks still running are released (the attempt not counted)
      await Promise.all([worker.stop({ graceMs: config.http.shutdownGraceMs }), apollo.stop()]);
      if (httpServer.listening) await new Promise<void>((r) => httpServer.close(() => r()));
      logger.debug('requests and tasks stopped');
      await registry.close();
      logger.debug('connectors closed');
      await store.destroy();
      logger.debug('store closed');
    },
  };
}
