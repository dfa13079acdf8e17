import { z } from 'zod';
import { ConfigError, type ConnectorSettings } from '../../config';
import { httpSettingsSchema, parseSettings, secretSetting } from '../http';

/**
 * Settings of the SendGrid connector (connectors.<id> in DSR_CONFIG_FILE): `baseUrl`
 * (https://api.sendgrid.com, or https://api.eu.sendgrid.com for a regional EU subuser), the API key
 * (`apiKey`, `apiKeyFile` or `apiKeyEnv`) and, optionally, the subuser to act for (`onBehalfOf`,
 * sent as the `on-behalf-of` header).
 */
export const sendgridSettingsSchema = httpSettingsSchema.extend({
  onBehalfOf: z
    .string()
    .trim()
    .min(1, 'expected a subuser name')
    .max(256, 'at most 256 characters')
    .regex(/^[^\p{Cc}]+$/u, 'control characters are not allowed')
    .optional(),
  /** How long an erasure waits for others to share its recipient erasure job (SendGrid allows 100 a minute). */
  eraseJobLingerMs: z.number().int().min(0).max(60_000).default(1000),
});

export type SendGridSettings = z.infer<typeof sendgridSettingsSchema> & { apiKey: string };

/** Validates the settings; a problem stops start-up with a ConfigError naming the setting. */
export function parseSendGridSettings(id: string, settings: ConnectorSettings): SendGridSettings {
  const parsed = parseSettings(id, sendgridSettingsSchema, settings);
  const apiKey = secretSetting(id, settings, 'apiKey').trim();
  if (!apiKey || /[\s\p{Cc}]/u.test(apiKey)) {
    throw new ConfigError(`connectors.${id}.apiKey: expected a SendGrid API key without spaces`);
  }
  return { ...parsed, apiKey };
}

/** True when the base URL is SendGrid's regional EU host (data stored in the EU). */
export function isEuHost(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname.toLowerCase();
  return host === 'api.eu.sendgrid.com';
}
