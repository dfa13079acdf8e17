import { z } from 'zod';
import { ConfigError, type ConnectorSettings } from '../../config';
import { httpSettingsSchema, parseSettings, secretSetting } from '../http';

/**
 * Settings of the LinkedIn connector (connectors.<id> in DSR_CONFIG_FILE): the access token of a
 * member with the rw_dmp_segments permission (`accessToken`, `accessTokenFile` or
 * `accessTokenEnv`), the DMP segments the company uploads email lists to (`segments`), the
 * Marketing API version (`apiVersion`, sent as LinkedIn-Version) and `baseUrl`.
 */
export const linkedinSettingsSchema = httpSettingsSchema.extend({
  baseUrl: z.url({ message: 'expected an http(s) URL' }).default('https://api.linkedin.com'),
  segments: z
    .array(z.string().regex(/^\d{1,20}$/, 'expected the numeric id of a DMP segment'))
    .min(1, 'name at least one DMP segment')
    .max(100, 'at most 100 segments'),
  apiVersion: z.string().regex(/^\d{6}(\.\d{2})?$/, 'expected a LinkedIn-Version such as 202511').default('202511'),
});

export type LinkedInSettings = z.infer<typeof linkedinSettingsSchema> & { accessToken: string };

export function parseLinkedInSettings(id: string, settings: ConnectorSettings): LinkedInSettings {
  const parsed = parseSettings(id, linkedinSettingsSchema, settings);
  const accessToken = secretSetting(id, settings, 'accessToken').trim();
  if (!accessToken || /[\s\p{Cc}]/u.test(accessToken)) throw new ConfigError(`connectors.${id}.accessToken: expected an OAuth access token without spaces`);
  return { ...parsed, segments: [...new Set(parsed.segments)], accessToken };
}
