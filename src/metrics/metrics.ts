import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';
import { DsrRequestEntity } from '../entities/dsr-request.entity';
import { DsrTaskEntity } from '../entities/dsr-task.entity';
import { OPEN_STATUSES } from '../services/request.service';

/** Seconds buckets from 5 ms to 30 s: API calls, connector calls, GraphQL operations. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const CIRCUIT_STATE_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The gateway's Prometheus metrics, one registry per gateway (several may run in one process).
 * Labels carry only bounded, non-personal values: route templates, schema field names, system
 * ids, statuses. Counts of requests and tasks are read from the store at scrape time, so every
 * process of a shared MySQL store reports the same figures.
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'dsr_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'dsr_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'dsr_graphql_operations_total',
    help: 'GraphQL operations, by type, root field and outcome (ok or the error code)',
    labelNames: ['type', 'field', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'dsr_graphql_operation_duration_seconds',
    help: 'Time to execute a GraphQL operation, by type and root field',
    labelNames: ['type', 'field'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly connectorDuration = new Histogram({
    name: 'dsr_connector_operation_duration_seconds',
    help: 'Time a connector took for one operation (collect, exportRecords, erase, ...), by system and outcome',
    labelNames: ['system', 'operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly connectorErrors = new Counter({
    name: 'dsr_connector_errors_total',
    help: 'Connector operations that failed, by system and operation',
    labelNames: ['system', 'operation'] as const,
    registers: [this.registry],
  });

  readonly connectorHttp = new Histogram({
    name: 'dsr_connector_http_duration_seconds',
    help: 'One HTTP exchange with an external system, by system and status class (2xx, 4xx, 5xx, network, timeout)',
    labelNames: ['system', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: 'dsr_connector_circuit_state',
    help: 'Circuit breaker of an external system: 0 closed, 1 half-open, 2 open',
    labelNames: ['system'] as const,
    registers: [this.registry],
  });

  readonly leaseTakeovers = new Counter({
    name: 'dsr_task_lease_takeovers_total',
    help: 'Tasks claimed by this process after another worker’s lease expired (a crashed or stalled worker)',
    registers: [this.registry],
  });

  readonly tasksRun = new Counter({
    name: 'dsr_tasks_settled_total',
    help: 'Tasks this process finished, by kind and final status',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  constructor(store: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'dsr_process_' });
    const now = () => new Date().toISOString();

    this.readGauge({
      name: 'dsr_task_queue_depth',
      help: 'Tasks not finished, by scheduling state (due: waiting for a worker now; scheduled: due later, e.g. a retry or a file expiry; leased: running; blocked: waiting for other tasks or a person)',
      labelNames: ['state'],
      read: async () => {
        const rows = await store
          .getRepository(DsrTaskEntity)
          .createQueryBuilder('t')
          .select(`CASE WHEN t.state = 'ready' AND t.runAfter > :now THEN 'scheduled' WHEN t.state = 'ready' THEN 'due' ELSE t.state END`, 'state')
          .addSelect('COUNT(*)', 'n')
          .where('t.state IN (:...states)', { states: ['ready', 'leased', 'blocked'] })
          .setParameter('now', now())
          .groupBy('1')
          .getRawMany<{ state: string; n: string | number }>();
        return ['due', 'scheduled', 'leased', 'blocked'].map((state) => ({ labels: { state }, value: Number(rows.find((r) => r.state === state)?.n ?? 0) }));
      },
    });

    this.readGauge({
      name: 'dsr_requests',
      help: 'Data subject requests in the store, by status and type',
      labelNames: ['status', 'type'],
      read: async () => {
        const rows = await store
          .getRepository(DsrRequestEntity)
          .createQueryBuilder('r')
          .select('r.status', 'status')
          .addSelect('r.type', 'type')
          .addSelect('COUNT(*)', 'n')
          .groupBy('r.status')
          .addGroupBy('r.type')
          .getRawMany<{ status: string; type: string; n: string | number }>();
        return rows.map((r) => ({ labels: { status: r.status, type: r.type }, value: Number(r.n) }));
      },
    });

    this.readGauge({
      name: 'dsr_requests_overdue',
      help: 'Open requests past their due date (GDPR Art. 12(3)), by type',
      labelNames: ['type'],
      read: async () => {
        const rows = await store
          .getRepository(DsrRequestEntity)
          .createQueryBuilder('r')
          .select('r.type', 'type')
          .addSelect('COUNT(*)', 'n')
          .where('r.dueAt < :now AND r.status IN (:...open)', { now: now(), open: OPEN_STATUSES })
          .groupBy('r.type')
          .getRawMany<{ type: string; n: string | number }>();
        return rows.map((r) => ({ labels: { type: r.type }, value: Number(r.n) }));
      },
    });
  }

  /** Steps waiting for a person past their own or their request's deadline, per system that can wait for one. */
  watchOverdueManualSteps(source: () => Promise<{ system: string; overdue: number }[]>): void {
    this.readGauge({
      name: 'dsr_manual_steps_overdue',
      help: 'Steps waiting for a person past their own deadline or their request’s, by system',
      labelNames: ['system'],
      read: async () => (await source()).map((c) => ({ labels: { system: c.system }, value: c.overdue })),
    });
  }

  /** A gauge read afresh at each scrape: the series `read` returns replace the previous ones. */
  private readGauge(spec: { name: string; help: string; labelNames: string[]; read: () => Promise<{ labels: Record<string, string>; value: number }[]> }): void {
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      registers: [this.registry],
      async collect() {
        const series = await spec.read();
        this.reset();
        for (const { labels, value } of series) this.set(labels, value);
      },
    });
  }

  /** The text exposition format, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

