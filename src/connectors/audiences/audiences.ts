import { createHash } from 'node:crypto';
import type { AudienceRemoval, ErasurePlanStep, SubjectKey, SystemDescriptor, SystemSnapshot } from '../connector';

/**
 * What the advertising audience connectors (LinkedIn Matched Audiences, Google Ads Customer
 * Match) share. Both systems take email lists as SHA-256 hashes of the normalised address and can
 * only add or remove them: neither can say whether a person is in an audience. So a look-up finds
 * nothing (the audiences are reported as recipients instead, Art. 15(1)(c)), and an erasure or
 * objection removes the subject's hashes from every configured audience, recorded as the evidence.
 */

export const AUDIENCE_DATASET = 'audience_members';

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The subject's addresses, hashed by the system's own normalisation, each once. */
export function hashedEmails(subject: SubjectKey, normalise: (email: string) => string): string[] {
  return [...new Set((subject.email ?? []).map(normalise).filter((e) => e.includes('@')).map(sha256Hex))];
}

/**
 * Neither system can be asked about a person: nothing is found, whoever it is, and the note says
 * so (NOT_FOUND here does not mean the person is in no audience).
 */
export function unknownMembership(systemName: string, audiences: number): SystemSnapshot {
  const note =
    `${systemName} cannot say whether an address is in an audience, so nothing is shown here. ` +
    `An erasure or an objection removes the person's hashed email from each of the ${audiences} configured audience${audiences === 1 ? '' : 's'}.`;
  return { found: false, restricted: false, datasets: [{ name: AUDIENCE_DATASET, records: [] }], note };
}

/** The dry run: one removal per address and audience, whether or not the person is in it. */
export function removalPlan(systemName: string, hashes: number, audiences: number): ErasurePlanStep[] {
  if (hashes === 0) return [];
  return [
    {
      dataset: AUDIENCE_DATASET,
      action: 'DELETE',
      records: hashes * audiences,
      note: `${systemName} cannot say whether the person is in an audience: the hashed address is removed from every configured audience (${audiences}).`,
    },
  ];
}

export function removals(audiences: readonly string[], hashes: readonly string[], at: string, state: AudienceRemoval['state'], jobRef?: (audience: string) => string | undefined): AudienceRemoval[] {
  return audiences.flatMap((audience) =>
    hashes.map((hash) => {
      const job = jobRef?.(audience);
      return { audience, hash, removedAt: at, state, ...(job ? { jobRef: job } : {}) };
    }),
  );
}

export interface AudienceDescriptorInput {
  name: string;
  processor: string;
  location: string;
  transferSafeguard: string;
  /** The configured audiences, as recipients of the hashed address. */
  recipients: string[];
  description: string;
  purposes: string[];
  retention: string;
}

/** The data map of an advertising audience system. */
export function audienceDescriptor(d: AudienceDescriptorInput): SystemDescriptor {
  return {
    name: d.name,
    processor: d.processor,
    location: d.location,
    transferSafeguard: d.transferSafeguard,
    recipients: d.recipients,
    capabilities: ['ACCESS', 'ERASURE', 'MARKETING_SUPPRESSION'],
    datasets: [
      {
        name: AUDIENCE_DATASET,
        description: d.description,
        purposes: d.purposes,
        legalBasis: 'LEGITIMATE_INTEREST',
        retention: d.retention,
        fields: [{ name: 'hashed_email', category: 'contact.email_hash', provenance: 'DERIVED' }],
      },
    ],
  };
}

export const countOf = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
