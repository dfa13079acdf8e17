import { z } from 'zod';
import type { ConnectorSettings } from '../../config';
import { httpSettingsSchema, parseSettings, secretSetting } from '../http';

/**
 * Settings of the Zoom connector (connectors.<id> in DSR_CONFIG_FILE): a Server-to-Server OAuth
 * app of the account (`accountId`, `clientId`, `clientSecret` or `clientSecretFile` /
 * `clientSecretEnv`) and the users whose webinars are read (`hostUserIds`: user ids or emails;
 * "me" is the app's own user).
 */
export const zoomSettingsSchema = httpSettingsSchema.extend({
  baseUrl: z.url({ message: 'expected the API base URL, e.g. https://api.zoom.us/v2' }).default('https://api.zoom.us/v2'),
  tokenUrl: z.url({ message: 'expected the full URL of the token endpoint, e.g. https://zoom.us/oauth/token' }).default('https://zoom.us/oauth/token'),
  accountId: z.string({ message: 'required' }).trim().min(1, 'required'),
  clientId: z.string({ message: 'required' }).trim().min(1, 'required'),
  hostUserIds: z
    .array(z.string().trim().min(1, 'expected a user id, an email or "me"').max(128).regex(/^[^\s/?#]+$/, 'expected a user id, an email or "me"'))
    .min(1, 'name at least one webinar host')
    .max(100)
    .default(['me']),
  /**
   * List `type=scheduled` (webinars already held, until Zoom expires them, with the upcoming ones)
   * rather than `type=upcoming` only. Default true: a past webinar's registrants are personal data too.
   */
  includePastWebinars: z.boolean().default(true),
  /** Records per page asked for (Zoom's largest is 300). */
  pageSize: z.number().int().min(1).max(300).default(300),
  /**
   * Calls started per second at most. Zoom's limits are per account and per category (a Pro
   * account: 20 a second for lists, "Medium"; 30 for single records, "Light"), shared with every
   * other app of the account; the default leaves a quarter of the Medium limit to them.
   */
  requestsPerSecond: z.number().min(0.1).max(1000).default(15),
  /**
   * An operator's live view (`subject`) may find people through the index of the last full scan
   * when it is at most this old, reading only their registrants (one call each) instead of every
   * list; a registration made since then shows after the next scan. Exports, erasures and their
   * verification always scan. 0 turns it off.
   */
  viewIndexMaxAgeMs: z.number().int().min(0).max(3_600_000).default(60_000),
});

export type ZoomSettings = z.infer<typeof zoomSettingsSchema> & { clientSecret: string };

/** Validates the settings; a problem stops start-up with a ConfigError naming the setting. */
export function parseZoomSettings(id: string, settings: ConnectorSettings): ZoomSettings {
  const parsed = parseSettings(id, zoomSettingsSchema, settings);
  return { ...parsed, clientSecret: secretSetting(id, settings, 'clientSecret') };
}
