import type { Config } from '../config';
import { ConfigError } from '../config';
import type { Logger } from '../logger';
import { appConnectorFactory } from './app/app.connector';
import { limeGoConnectorFactory } from './limego/limego.connector';
import type { Connector, ConnectorFactory, ConnectorObserver } from './connector';
import { hogiaConnectorFactory } from './hogia/hogia.connector';
import { sendgridConnectorFactory } from './sendgrid/sendgrid.connector';

/** Every connector kind the gateway knows, by name. */
export const CONNECTOR_FACTORIES: readonly ConnectorFactory[] = [appConnectorFactory, limeGoConnectorFactory, hogiaConnectorFactory, sendgridConnectorFactory];

/** The enabled connectors of one gateway, in configuration order. */
export class ConnectorRegistry {
  private readonly byId: Map<string, Connector>;

  constructor(readonly connectors: Connector[]) {
    this.byId = new Map(connectors.map((c) => [c.id, c]));
  }

  static fromConfig(config: Config, logger: Logger, observer?: ConnectorObserver): ConnectorRegistry {
    const connectors: Connector[] = [];
    for (const [id, settings] of Object.entries(config.connectors)) {
      if (!settings.enabled) continue;
      const factory = CONNECTOR_FACTORIES.find((f) => f.kind === settings.kind);
      if (!factory) {
        throw new ConfigError(`connectors.${id}.kind: unknown connector kind "${settings.kind}" (known: ${CONNECTOR_FACTORIES.map((f) => f.kind).join(', ')})`);
      }
      connectors.push(factory.create(id, settings, { config, logger, observer }));
    }
    return new ConnectorRegistry(connectors);
  }

  get(id: string): Connector | undefined {
    return this.byId.get(id);
  }

  /** The factories of built-in systems that run under their own id: their typed views join the schema. */
  typedViewFactories(): ConnectorFactory[] {
    return CONNECTOR_FACTORIES.filter((f) => this.byId.get(f.kind) !== undefined);
  }

  async init(): Promise<void> {
    await Promise.all(this.connectors.map((c) => c.init?.()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.connectors.map((c) => c.close?.()));
  }
}
