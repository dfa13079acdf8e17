import { z } from 'zod';
import type { ConnectorSettings } from '../../config';
import { httpSettingsSchema, parseSettings, secretSetting } from '../http';

/**
 * Settings of the Hogia connector (connectors.<id> in DSR_CONFIG_FILE). `baseUrl` is the API's
 * origin (https://api.hogia.se); the organisation GUID is its first path segment.
 */
export const hogiaSettingsSchema = httpSettingsSchema.extend({
  organizationGuid: z.guid({ message: 'expected the organisation GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)' }),
  tokenUrl: z.url({ message: 'expected the full URL of the token endpoint, e.g. https://id.hogia.se/connect/token' }),
  clientId: z.string({ message: 'required' }).min(1, 'required'),
  /** Sent as ?api-version= on every API call. */
  apiVersion: z.string({ message: 'required' }).regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'),
  /** Path of the customer invoices under /{organizationGuid} (ASSUMED: not publicly documented). */
  invoicesPath: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'expected a path such as /customerinvoices')
    .default('/customerinvoices'),
  /** First month of the fiscal year (1 = calendar year), for the bookkeeping retention. */
  fiscalYearStartMonth: z.number().int().min(1).max(12).default(1),
  /** OAuth2 scope to ask for; none by default (the identity server then grants the client's scopes). */
  scope: z.string().min(1).optional(),
});

export type HogiaSettings = z.infer<typeof hogiaSettingsSchema> & { clientSecret: string };

/** Validates the settings; a problem stops start-up with a ConfigError naming the setting. */
export function parseHogiaSettings(id: string, settings: ConnectorSettings): HogiaSettings {
  const parsed = parseSettings(id, hogiaSettingsSchema, settings);
  return { ...parsed, clientSecret: secretSetting(id, settings, 'clientSecret') };
}
