import { z } from 'zod';
import type { ConnectorSettings } from '../../config';
import type { ActionOutcome, Connector, ConnectorEnvironment, ConnectorFactory, ErasurePlanStep, SubjectKey, SystemDescriptor, SystemSnapshot } from '../connector';
import { audienceDescriptor, countOf, hashedEmails, removalPlan, removals, unknownMembership } from '../audiences/audiences';
import { createHttpClient, HttpError, type HttpClient } from '../http';
import { parseLinkedInSettings } from './linkedin.settings';

/** LinkedIn's normalisation before hashing: lower case, every whitespace character removed. */
export const linkedinNormalise = (email: string): string => email.toLowerCase().replace(/\s+/gu, '');

/** Users per BATCH_CREATE call: a bound of this connector's own, far below what LinkedIn takes. */
export const USERS_PER_CALL = 100;

const batchSchema = z.object({ elements: z.array(z.object({ status: z.number().int() }).loose()) }).loose();

/**
 * LinkedIn Matched Audiences: removes the subject's hashed addresses from every configured DMP
 * segment with POST /rest/dmpSegments/{id}/users (X-RestLi-Method: BATCH_CREATE, action REMOVE).
 * LinkedIn applies a removal at once (each element answers 201) and removing an address that is
 * not in the segment is accepted, so the call is safe to repeat.
 */
export class LinkedInConnector implements Connector {
  readonly accepts = ['email'] as const;

  constructor(
    readonly id: string,
    private readonly http: HttpClient,
    readonly system: SystemDescriptor,
    private readonly segments: readonly string[],
  ) {}

  /** Nothing to ask the system (it cannot say who is in an audience), so the signal is not needed. */
  async collect(subjects: SubjectKey[], _signal?: AbortSignal): Promise<SystemSnapshot[]> {
    return subjects.map(() => unknownMembership('LinkedIn', this.segments.length));
  }

  async planErasure(subject: SubjectKey): Promise<ErasurePlanStep[]> {
    return removalPlan('LinkedIn', hashedEmails(subject, linkedinNormalise).length, this.segments.length);
  }

  erase(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    return this.removeEverywhere(subject, signal);
  }

  /** Removing the address from the audiences is what stops LinkedIn ads aimed at the person. */
  suppressMarketing(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    return this.removeEverywhere(subject, signal);
  }

  private async removeEverywhere(subject: SubjectKey, signal: AbortSignal): Promise<ActionOutcome> {
    const hashes = hashedEmails(subject, linkedinNormalise);
    if (hashes.length === 0) return { status: 'NOT_FOUND', note: 'The subject has no email address to remove from LinkedIn audiences.' };
    const at = new Date().toISOString();
    for (const segment of this.segments) {
      for (let i = 0; i < hashes.length; i += USERS_PER_CALL) await this.removeUsers(segment, hashes.slice(i, i + USERS_PER_CALL), signal);
    }
    return {
      status: 'SUCCEEDED',
      removals: removals(this.segments, hashes, at, 'SUCCESS'),
      note:
        `Removed ${countOf(hashes.length, 'hashed address', 'hashed addresses')} from ${countOf(this.segments.length, 'LinkedIn DMP segment')} ` +
        '(LinkedIn cannot say whether the person was in them).',
    };
  }

  /** One BATCH_CREATE of REMOVE elements; every element must answer 2xx. */
  private async removeUsers(segment: string, hashes: readonly string[], signal: AbortSignal): Promise<void> {
    const route = '/rest/dmpSegments/{id}/users';
    const elements = hashes.map((h) => ({ action: 'REMOVE', userIds: [{ idType: 'SHA256_EMAIL', idValue: h }] }));
    const res = await this.http.request<unknown>({
      method: 'POST', path: route, params: { id: segment }, json: { elements }, signal,
      headers: { 'x-restli-method': 'BATCH_CREATE' },
      idempotent: true, // removing twice leaves the segment as removing once
    });
    const body = batchSchema.safeParse(res.body);
    const refused = !body.success || body.data.elements.length !== elements.length || body.data.elements.some((e) => e.status < 200 || e.status >= 300);
    if (refused) {
      throw new HttpError({
        system: this.http.system, status: res.status, method: 'POST', route, body: res.body, headers: res.headers,
        detail: body.success ? 'LinkedIn refused some of the removals' : 'the answer does not have the expected shape',
      });
    }
  }
}

/** The data map of LinkedIn Matched Audiences, naming the configured segments as recipients. */
export function linkedinDescriptor(segments: readonly string[]): SystemDescriptor {
  return audienceDescriptor({
    name: 'LinkedIn Matched Audiences (ad audiences)',
    processor: 'LinkedIn Ireland Unlimited Company',
    location: 'Ireland (EU), with processing by LinkedIn Corporation in the USA',
    transferSafeguard: 'EU–U.S. Data Privacy Framework (LinkedIn Corporation is certified) and Standard Contractual Clauses (LinkedIn Data Processing Agreement)',
    recipients: segments.map((s) => `LinkedIn Matched Audiences: DMP segment ${s} (uploaded email list)`),
    description:
      "The person's email address, lower-cased and hashed with SHA-256, uploaded to LinkedIn email-list audiences (DMP segments) so that " +
      'LinkedIn can show the company’s ads to its contacts or leave them out of campaigns. LinkedIn matches the hash to its members and ' +
      'cannot tell the company whether a given person is in an audience; the gateway records which hashes it removed, and when.',
    purposes: ['Show the company’s advertising on LinkedIn to its customers’ and prospects’ contacts, or exclude them from campaigns'],
    retention: 'Until the address is removed from the audience (on erasure or objection) or the audience is deleted; at most 1 year after the contract ends',
  });
}

export const linkedinConnectorFactory: ConnectorFactory = {
  kind: 'linkedin',
  create(id: string, settings: ConnectorSettings, env: ConnectorEnvironment): Connector {
    const s = parseLinkedInSettings(id, settings);
    const http = createHttpClient(id, s, env, {
      headers: { authorization: `Bearer ${s.accessToken}`, 'linkedin-version': s.apiVersion, 'x-restli-protocol-version': '2.0.0' },
    });
    return new LinkedInConnector(id, http, linkedinDescriptor(s.segments), s.segments);
  },
};
