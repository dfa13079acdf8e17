import type { Request } from 'express';
import { authenticate } from './auth/authenticate';
import type { OidcVerifier } from './auth/oidc';
import type { Operator, OperatorDirectory } from './auth/operators';
import type { ConnectorRegistry } from './connectors/registry';
import type { Logger } from './logger';
import type { AuditService } from './services/audit.service';
import type { ActionService } from './services/action.service';
import type { DownloadService } from './services/download.service';
import type { RateLimits } from './services/rate-limits';
import type { RequestService } from './services/request.service';
import { SystemLoaders } from './services/system-loaders';
import type { SubjectService } from './services/subject.service';

/** The long-lived services a request may use. */
export interface Services {
  registry: ConnectorRegistry;
  subjects: SubjectService;
  audit: AuditService;
  requests: RequestService;
  actions: ActionService;
  downloads: DownloadService;
  operators: OperatorDirectory;
  /** Access tokens of the company's identity provider, when one is configured. */
  oidc?: OidcVerifier;
  /** Per-operator and per-client limits on costly calls. */
  limits: RateLimits;
  deadlineMs: (connectorId: string) => number;
  logger: Logger;
}

/** Per request: who is asking, fresh DataLoaders (never shared between operators), the services. */
export interface GatewayContext {
  operator?: Operator;
  loaders: SystemLoaders;
  services: Services;
  /** One value per key for this request only (e.g. a connector's DataLoader for details on demand). */
  scoped<T>(key: string, create: () => T): T;
}

export async function createContext(services: Services, req: Pick<Request, 'headers'>): Promise<GatewayContext> {
  const authorization = req.headers.authorization;
  const operator = await authenticate(Array.isArray(authorization) ? authorization[0] : authorization, services.operators, services.oidc);
  const perRequest = new Map<string, unknown>();
  return {
    scoped: <T>(key: string, create: () => T): T => {
      if (!perRequest.has(key)) perRequest.set(key, create());
      return perRequest.get(key) as T;
    },
    operator,
    loaders: new SystemLoaders((c) => services.deadlineMs(c.id), services.logger),
    services,
  };
}
