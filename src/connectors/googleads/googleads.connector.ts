import { z } from 'zod';
import type { ConnectorSettings } from '../../config';
import {
  RemoteJobFailedError,
  type ActionOutcome,
  type AudienceRemoval,
  type Connector,
  type ConnectorEnvironment,
  type ConnectorFactory,
  type ErasurePlanStep,
  type ResumeState,
  type SubjectKey,
  type SystemDescriptor,
  type SystemSnapshot,
} from '../connector';
import { audienceDescriptor, countOf, hashedEmails, removalPlan, removals, unknownMembership } from '../audiences/audiences';
import { ClientCredentialsTokenProvider, createHttpClient } from '../http';
import { GoogleAdsApi, type JobStatus } from './googleads.api';
import { parseGoogleAdsSettings } from './googleads.settings';

/**
 * Customer Match normalisation before hashing: leading and trailing whitespace removed, lower
 * case. Google does not require dropping the dots of gmail.com addresses (it accepts them either
 * way), so the address is otherwise kept as it is.
 */
export const googleNormalise = (email: string): string => email.trim().toLowerCase();

/** What an erasure in progress carries from one check to the next. */
const resumeSchema = z.object({
  startedAt: z.string(),
  hashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1),
  jobs: z.array(z.object({ userList: z.string(), job: z.string() })).min(1),
});
type Resume = z.infer<typeof resumeSchema>;

/**
 * Google Ads Customer Match: removes the subject's hashed addresses from every configured user
 * list with one offline user data job per list (create -> addOperations -> run). Google processes
 * a job asynchronously, sometimes for hours, so the first call answers IN_PROGRESS with the jobs
 * as its resume state, and each later call reads their status (googleAds:search): SUCCESS for all
 * ends the step, FAILED fails it (the retry starts new jobs), anything else is checked again after
 * `pollIntervalMs`.
 */
export class GoogleAdsConnector implements Connector {
  readonly accepts = ['email'] as const;

  constructor(
    readonly id: string,
    private readonly api: GoogleAdsApi,
    readonly system: SystemDescriptor,
    private readonly userLists: readonly string[],
    private readonly pollIntervalMs: number,
  ) {}

  /** Nothing to ask the system (it cannot say who is in an audience), so the signal is not needed. */
  async collect(subjects: SubjectKey[], _signal?: AbortSignal): Promise<SystemSnapshot[]> {
    return subjects.map(() => unknownMembership('Google Ads', this.userLists.length));
  }

  async planErasure(subject: SubjectKey): Promise<ErasurePlanStep[]> {
    return removalPlan('Google Ads', hashedEmails(subject, googleNormalise).length, this.userLists.length);
  }

  erase(subject: SubjectKey, signal: AbortSignal, resume?: ResumeState): Promise<ActionOutcome> {
    return this.removeEverywhere(subject, signal, resume);
  }

  /** Removing the address from the user lists is what stops Google ads aimed at the person. */
  suppressMarketing(subject: SubjectKey, signal: AbortSignal, resume?: ResumeState): Promise<ActionOutcome> {
    return this.removeEverywhere(subject, signal, resume);
  }

  private async removeEverywhere(subject: SubjectKey, signal: AbortSignal, resume: ResumeState | undefined): Promise<ActionOutcome> {
    const running = resumeSchema.safeParse(resume);
    if (running.success) return this.check(running.data, signal);
    const hashes = hashedEmails(subject, googleNormalise);
    if (hashes.length === 0) return { status: 'NOT_FOUND', note: 'The subject has no email address to remove from Google Ads user lists.' };
    const startedAt = new Date().toISOString();
    const jobs: Resume['jobs'] = [];
    for (const userList of this.userLists) {
      const job = await this.api.createJob(userList, signal);
      await this.api.removeHashes(job, hashes, signal);
      await this.api.run(job, signal);
      jobs.push({ userList, job });
    }
    return this.inProgress({ startedAt, hashes, jobs }, new Map(jobs.map((j) => [j.job, 'PENDING' as const])));
  }

  private async check(state: Resume, signal: AbortSignal): Promise<ActionOutcome> {
    const statuses = new Map((await this.api.statuses(state.jobs.map((j) => j.job), signal)).map((s) => [s.resourceName, s.status]));
    const failed = state.jobs.filter((j) => statuses.get(j.job) === 'FAILED' || statuses.get(j.job) === 'UNKNOWN');
    if (failed.length > 0) {
      throw new RemoteJobFailedError(
        `Google Ads removal ${failed.length === 1 ? 'job' : 'jobs'} ${failed.map((j) => j.job).join(', ')} ended FAILED or cannot be found; a retry starts new jobs`,
        this.removalsOf(state, (job) => {
          const s = statuses.get(job);
          return s === 'FAILED' || s === 'UNKNOWN' || s === undefined ? 'FAILED' : s;
        }),
      );
    }
    if (state.jobs.every((j) => statuses.get(j.job) === 'SUCCESS')) {
      return {
        status: 'SUCCEEDED',
        removals: this.removalsOf(state, () => 'SUCCESS'),
        note:
          `Google Ads removed ${countOf(state.hashes.length, 'hashed address', 'hashed addresses')} from ${countOf(state.jobs.length, 'user list')} ` +
          `(jobs ${state.jobs.map((j) => j.job).join(', ')} ended SUCCESS; Google cannot say whether the person was in them).`,
      };
    }
    return this.inProgress(state, statuses as Map<string, JobStatus>);
  }

  private inProgress(state: Resume, statuses: Map<string, JobStatus | 'UNKNOWN'>): ActionOutcome {
    const open = state.jobs.filter((j) => statuses.get(j.job) !== 'SUCCESS').map((j) => j.job);
    return {
      status: 'IN_PROGRESS',
      checkAgainAfterMs: this.pollIntervalMs,
      resume: state,
      removals: this.removalsOf(state, (job) => {
        const s = statuses.get(job);
        return s === 'SUCCESS' || s === 'RUNNING' ? s : 'PENDING';
      }),
      note: `Google Ads is processing removal ${open.length === 1 ? 'job' : 'jobs'} ${open.join(', ')}`,
    };
  }

  private removalsOf(state: Resume, stateOf: (job: string) => AudienceRemoval['state']): AudienceRemoval[] {
    return state.jobs.flatMap((j) => removals([j.userList], state.hashes, state.startedAt, stateOf(j.job), () => j.job));
  }
}

/** The data map of Google Ads Customer Match, naming the configured user lists as recipients. */
export function googleAdsDescriptor(customerId: string, userLists: readonly string[]): SystemDescriptor {
  return audienceDescriptor({
    name: 'Google Ads Customer Match (ad audiences)',
    processor: 'Google Ireland Limited',
    location: 'EU and USA (Google LLC data centres)',
    transferSafeguard: 'EU–U.S. Data Privacy Framework (Google LLC is certified) and Standard Contractual Clauses (Google Ads Data Processing Terms)',
    recipients: userLists.map((l) => `Google Ads Customer Match: user list ${l} of account ${customerId} (uploaded email list)`),
    description:
      "The person's email address, trimmed, lower-cased and hashed with SHA-256, uploaded to Google Ads Customer Match user lists so " +
      'that Google can show the company’s ads to its contacts on Search, YouTube, Gmail and the Display Network, or leave them out. ' +
      'Google cannot tell the company whether a given person is in a list; the gateway records which hashes it removed, and when.',
    purposes: ['Show the company’s advertising on Google to its customers’ and prospects’ contacts, or exclude them from campaigns'],
    retention: 'Until the address is removed from the user list (on erasure or objection) or the list is deleted; at most 1 year after the contract ends',
  });
}

export const googleAdsConnectorFactory: ConnectorFactory = {
  kind: 'googleads',
  create(id: string, settings: ConnectorSettings, env: ConnectorEnvironment): Connector {
    const s = parseGoogleAdsSettings(id, settings);
    const tokenUrl = new URL(s.oauth.tokenUrl);
    const tokens = new ClientCredentialsTokenProvider({
      // the OAuth2 server is its own host, with its own breaker and concurrency
      client: createHttpClient(`${id}-oauth`, { ...s, baseUrl: tokenUrl.origin }, env),
      tokenPath: tokenUrl.pathname,
      clientId: s.oauth.clientId,
      clientSecret: s.clientSecret,
      grantType: 'refresh_token',
      extraParams: { refresh_token: s.refreshToken },
      clientAuth: 'body',
    });
    const headers: Record<string, string> = { 'developer-token': s.developerToken };
    if (s.loginCustomerId) headers['login-customer-id'] = s.loginCustomerId;
    const http = createHttpClient(id, s, env, { auth: tokens, headers });
    return new GoogleAdsConnector(id, new GoogleAdsApi(http, s.apiVersion, s.customerId), googleAdsDescriptor(s.customerId, s.userLists), s.userLists, s.pollIntervalMs);
  },
};
