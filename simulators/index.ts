/**
 * Starts the simulators of the external systems (SendGrid, Lime Go, Hogia, LinkedIn, Google Ads) in-process, for
 * `npm start` and tests. Each keeps its state under <dataDir>/simulators/ and listens on
 * 127.0.0.1 (port 0 = ephemeral).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RateLimit } from './common/rate-limit';
import { startGoogleAdsSimulator, type GoogleAdsSimulator } from './googleads';
import { startHogiaSimulator, type HogiaSimulator } from './hogia';
import { startLinkedInSimulator, type LinkedInSimulator } from './linkedin';
import { startLimeGoSimulator, type LimeGoSimulator } from './limego';
import { startSendGridSimulator, type SendGridSimulator } from './sendgrid';
import { startZoomSimulator, type ZoomSimulator } from './zoom';
import { buildWorld, DEFAULT_USERS, WORLD_SEED, type DemoWorld } from './world';

export type SimulatorId = 'sendgrid' | 'limego' | 'hogia' | 'linkedin' | 'googleads' | 'zoom';
export const SIMULATOR_IDS: readonly SimulatorId[] = ['sendgrid', 'limego', 'hogia', 'linkedin', 'googleads', 'zoom'];

export interface StartSimulatorsOptions {
  dataDir: string;
  /** The app's user count the demo world is built from (default 3000). */
  users?: number;
  seed?: number;
  ports?: Partial<Record<SimulatorId, number>>;
  /** Per simulator; `sendgridErasejob` is SendGrid's 100/min erasure limit. */
  rateLimits?: Partial<Record<SimulatorId | 'sendgridErasejob', RateLimit>>;
  /** How long a Google Ads offline user data job runs before it ends (default 3000 ms). */
  googleAdsJobMs?: number;
}

export interface RunningSimulators {
  sendgrid: SendGridSimulator;
  limego: LimeGoSimulator;
  hogia: HogiaSimulator;
  linkedin: LinkedInSimulator;
  googleads: GoogleAdsSimulator;
  zoom: ZoomSimulator;
  /** The demo world (built on first use). */
  world(): DemoWorld;
  /** What demo-credentials.json holds. */
  credentials(): DemoCredentials;
  close(): Promise<void>;
}

export interface DemoCredentials {
  sendgrid: { baseUrl: string; key: string };
  limego: { baseUrl: string; key: string };
  hogia: {
    baseUrl: string;
    /** The OAuth2 client secret. */
    key: string;
    clientId: string;
    organizationGuid: string;
    apiBaseUrl: string;
    tokenUrl: string;
    apiVersion: string;
    invoicesPath: string;
  };
  linkedin: { baseUrl: string; key: string; segments: string[]; apiVersion: string };
  googleads: {
    baseUrl: string;
    /** The developer token. */
    key: string;
    customerId: string;
    loginCustomerId: string;
    userLists: string[];
    apiVersion: string;
    oauth: { clientId: string; clientSecret: string; refreshToken: string; tokenUrl: string };
  };
  zoom: {
    baseUrl: string;
    /** The client secret. */
    key: string;
    /** `${baseUrl}/v2` */
    apiBaseUrl: string;
    clientId: string;
    accountId: string;
    tokenUrl: string;
    hostUserIds: string[];
  };
}

export async function startSimulators(options: StartSimulatorsOptions): Promise<RunningSimulators> {
  const users = options.users ?? DEFAULT_USERS;
  const seed = options.seed ?? WORLD_SEED;
  let built: DemoWorld | undefined;
  const world = (): DemoWorld => (built ??= buildWorld({ users, seed }));
  const common = { dataDir: options.dataDir, users, seed, world };
  const limits = options.rateLimits ?? {};

  const started = await Promise.allSettled([
    startSendGridSimulator({ ...common, port: options.ports?.sendgrid, rateLimit: limits.sendgrid, erasejobRateLimit: limits.sendgridErasejob }),
    startLimeGoSimulator({ ...common, port: options.ports?.limego, rateLimit: limits.limego }),
    startHogiaSimulator({ ...common, port: options.ports?.hogia, rateLimit: limits.hogia }),
    startLinkedInSimulator({ ...common, port: options.ports?.linkedin, rateLimit: limits.linkedin }),
    startGoogleAdsSimulator({ ...common, port: options.ports?.googleads, rateLimit: limits.googleads, jobProcessingMs: options.googleAdsJobMs }),
    startZoomSimulator({ ...common, port: options.ports?.zoom, rateLimit: limits.zoom }),
  ]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    throw failed.reason;
  }
  const [sendgrid, limego, hogia, linkedin, googleads, zoom] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    SendGridSimulator,
    LimeGoSimulator,
    HogiaSimulator,
    LinkedInSimulator,
    GoogleAdsSimulator,
    ZoomSimulator,
  ];
  return {
    sendgrid,
    limego,
    hogia,
    linkedin,
    googleads,
    zoom,
    world,
    credentials: () => ({
      sendgrid: { baseUrl: sendgrid.baseUrl, key: sendgrid.key },
      limego: { baseUrl: limego.baseUrl, key: limego.key },
      hogia: {
        baseUrl: hogia.baseUrl,
        key: hogia.key,
        clientId: hogia.clientId,
        organizationGuid: hogia.organizationGuid,
        apiBaseUrl: hogia.apiBaseUrl,
        tokenUrl: hogia.tokenUrl,
        apiVersion: hogia.apiVersion,
        invoicesPath: hogia.invoicesPath,
      },
      linkedin: { baseUrl: linkedin.baseUrl, key: linkedin.key, segments: linkedin.segments, apiVersion: linkedin.apiVersion },
      googleads: {
        baseUrl: googleads.baseUrl,
        key: googleads.key,
        customerId: googleads.customerId,
        loginCustomerId: googleads.loginCustomerId,
        userLists: googleads.userLists,
        apiVersion: googleads.apiVersion,
        oauth: { clientId: googleads.clientId, clientSecret: googleads.clientSecret, refreshToken: googleads.refreshToken, tokenUrl: googleads.tokenUrl },
      },
      zoom: {
        baseUrl: zoom.baseUrl,
        key: zoom.key,
        apiBaseUrl: zoom.apiBaseUrl,
        clientId: zoom.clientId,
        accountId: zoom.accountId,
        tokenUrl: zoom.tokenUrl,
        hostUserIds: zoom.hostUserIds,
      },
    }),
    close: async () => {
      await Promise.all([sendgrid.close(), limego.close(), hogia.close(), linkedin.close(), googleads.close(), zoom.close()]);
    },
  };
}

/** Writes <dataDir>/demo-credentials.json (readable by the owner only) and returns its path. */
export function writeDemoCredentials(dataDir: string, credentials: DemoCredentials): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'demo-credentials.json');
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export type { RateLimit } from './common/rate-limit';
export type { GoogleAdsSimulator } from './googleads';
export type { HogiaSimulator } from './hogia';
export type { LinkedInSimulator } from './linkedin';
export type { LimeGoSimulator } from './limego';
export type { SendGridSimulator } from './sendgrid';
export type { ZoomSimulator } from './zoom';
export { buildWorld, sampleSubjects, demoSubjectsJson, type DemoWorld, type SampleSubject } from './world';
