import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ConnectorSettings } from '../../config';
import type { ConnectorEnvironment } from '../connector';
import { HttpClient, type HttpClientOptions } from './http-client';

/** Settings every HTTP connector shares (in DSR_CONFIG_FILE under connectors.<id>). */
export const httpSettingsSchema = z
  .object({
    baseUrl: z.url({ message: 'expected an http(s) URL' }),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    retries: z.number().int().min(0).max(10).default(3),
    concurrency: z.number().int().min(1).max(64).default(4),
    breaker: z
      .object({
        failureThreshold: z.number().int().min(1).max(100).default(5),
        cooldownMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .default({ failureThreshold: 5, cooldownMs: 30_000 }),
  })
  .loose();
export type HttpSettings = z.infer<typeof httpSettingsSchema>;

/** Validates one connector's settings; a problem stops start-up naming the setting. */
export function parseSettings<S extends z.ZodType>(id: string, schema: S, settings: ConnectorSettings): z.infer<S> {
  const parsed = schema.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`connectors.${id}.${issue.path.join('.') || 'settings'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * A secret setting: given inline (`apiKey`), from a file (`apiKeyFile`) or from an environment
 * variable named by `apiKeyEnv`. Never echoed in an error.
 */
export function secretSetting(id: string, settings: ConnectorSettings, name: string, env: NodeJS.ProcessEnv = process.env): string {
  const s = settings as Record<string, unknown>;
  if (typeof s[name] === 'string' && s[name]) return s[name] as string;
  const file = s[`${name}File`];
  if (typeof file === 'string') {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(`connectors.${id}.${name}File: the file cannot be read`);
    }
  }
  const variable = s[`${name}Env`];
  if (typeof variable === 'string') {
    const value = env[variable];
    if (!value) throw new ConfigError(`connectors.${id}.${name}Env: the environment variable ${variable} is not set`);
    return value;
  }
  throw new ConfigError(`connectors.${id}.${name}: required (or ${name}File / ${name}Env)`);
}

/** The one way HTTP connectors build their client: shared settings, the gateway's logger. */
export function createHttpClient(id: string, settings: HttpSettings, env: ConnectorEnvironment, options: Partial<HttpClientOptions> = {}): HttpClient {
  const observer = env.observer;
  observer?.breakerChanged(id, 'closed');
  return new HttpClient({
    system: id,
    baseUrl: settings.baseUrl,
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    concurrency: settings.concurrency,
    breaker: settings.breaker,
    logger: env.logger,
    ...(observer ? { onExchange: (e) => observer.httpExchange(e), onBreakerStateChange: (c) => observer.breakerChanged(id, c.state) } : {}),
    ...options,
  });
}
