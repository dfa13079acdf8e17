import { z } from 'zod';
import { ConfigError, type ConnectorSettings } from '../../config';
import { httpSettingsSchema, parseSettings, secretSetting } from '../http';

const customerId = (what: string) => z.string().regex(/^\d{10}$/, `expected the ${what} as 10 digits without dashes`);

/**
 * Settings of the Google Ads connector (connectors.<id> in DSR_CONFIG_FILE): the developer token
 * (`developerToken`, `…File` or `…Env`), the manager account the call is made through
 * (`loginCustomerId`), the advertiser account (`customerId`), its Customer Match user lists
 * (`userLists`), the OAuth2 client and refresh token (`oauth`), the API version and how often a
 * removal job is checked (`pollIntervalMs`).
 */
export const googleAdsSettingsSchema = httpSettingsSchema.extend({
  baseUrl: z.url({ message: 'expected an http(s) URL' }).default('https://googleads.googleapis.com'),
  loginCustomerId: customerId('manager account id').optional(),
  customerId: customerId('customer id'),
  userLists: z
    .array(z.string().regex(/^\d{1,20}$/, 'expected the numeric id of a user list'))
    .min(1, 'name at least one Customer Match user list')
    .max(100, 'at most 100 user lists'),
  oauth: z
    .object({
      clientId: z.string().trim().min(1, 'expected the OAuth2 client id'),
      tokenUrl: z.url({ message: 'expected an http(s) URL' }).default('https://oauth2.googleapis.com/token'),
    })
    .loose(),
  apiVersion: z.string().regex(/^v\d{1,3}$/, 'expected an API version such as v21').default('v21'),
  /** How long to wait between checks of a running removal job (Google may take hours). */
  pollIntervalMs: z.number().int().min(100).max(86_400_000).default(15 * 60_000),
});

export type GoogleAdsSettings = z.infer<typeof googleAdsSettingsSchema> & {
  developerToken: string;
  clientSecret: string;
  refreshToken: string;
};

const credential = (id: string, where: string, value: string): string => {
  const v = value.trim();
  if (!v || /[\s\p{Cc}]/u.test(v)) throw new ConfigError(`connectors.${id}.${where}: expected a value without spaces`);
  return v;
};

export function parseGoogleAdsSettings(id: string, settings: ConnectorSettings): GoogleAdsSettings {
  const parsed = parseSettings(id, googleAdsSettingsSchema, settings);
  const oauth = (settings as { oauth?: ConnectorSettings }).oauth as ConnectorSettings;
  return {
    ...parsed,
    userLists: [...new Set(parsed.userLists)],
    developerToken: credential(id, 'developerToken', secretSetting(id, settings, 'developerToken')),
    clientSecret: credential(id, 'oauth.clientSecret', secretSetting(`${id}.oauth`, oauth, 'clientSecret')),
    refreshToken: credential(id, 'oauth.refreshToken', secretSetting(`${id}.oauth`, oauth, 'refreshToken')),
  };
}
