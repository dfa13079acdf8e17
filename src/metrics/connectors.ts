import type { BreakerState, HttpExchange } from '../connectors/http';
import type { Connector, ConnectorObserver } from '../connectors/connector';
import { CIRCUIT_STATE_VALUES, type GatewayMetrics } from './metrics';

/** The connector operations whose duration and failures are measured. */
const OPERATIONS = ['collect', 'exportRecords', 'planErasure', 'erase', 'restrict', 'suppressMarketing', 'rectify'] as const;

/** Feeds the HTTP client's exchanges and breaker changes into the metrics. */
export function connectorObserver(metrics: GatewayMetrics): ConnectorObserver {
  return {
    httpExchange(e: HttpExchange) {
      const status = e.failure ?? (e.status === undefined ? 'network' : `${Math.floor(e.status / 100)}xx`);
      metrics.connectorHttp.observe({ system: e.system, status }, e.seconds);
    },
    breakerChanged(system: string, state: BreakerState) {
      metrics.circuitState.set({ system }, CIRCUIT_STATE_VALUES[state]);
    },
  };
}

/**
 * Times every SPI operation of a connector (whatever it talks to: SQL, HTTP, nothing) and counts
 * its failures, by wrapping the instance's methods. Arguments and results pass through untouched.
 */
export function instrumentConnector(connector: Connector, metrics: GatewayMetrics): void {
  const target = connector as unknown as Record<string, unknown>;
  for (const operation of OPERATIONS) {
    const original = target[operation];
    if (typeof original !== 'function') continue;
    target[operation] = async (...args: unknown[]) => {
      const end = metrics.connectorDuration.startTimer({ system: connector.id, operation });
      try {
        const result: unknown = await (original as (...a: unknown[]) => Promise<unknown>).apply(connector, args);
        end({ outcome: 'ok' });
        return result;
      } catch (e) {
        end({ outcome: 'error' });
        metrics.connectorErrors.inc({ system: connector.id, operation });
        throw e;
      }
    };
  }
}
