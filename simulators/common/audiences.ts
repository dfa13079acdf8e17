/** What the ad audience simulators (LinkedIn, Google Ads) share: audiences of hashed addresses. */
import { createHash } from 'node:crypto';

export interface SimAudience {
  id: string;
  name: string;
  /** SHA-256 hex of the members' normalised addresses. */
  members: string[];
}

export interface SimRemoval {
  audience: string;
  hash: string;
  at: string;
  /** Google Ads: the job that removed it. */
  job?: string;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
export const isSha256Hex = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);

/** Removes a hash from an audience, recording the removal only when it was a member. */
export function removeMember(audience: SimAudience, hash: string, removals: SimRemoval[], job?: string): void {
  const i = audience.members.indexOf(hash);
  if (i < 0) return;
  audience.members.splice(i, 1);
  removals.push({ audience: audience.id, hash, at: new Date().toISOString(), ...(job ? { job } : {}) });
}

/** GET /__sim/state/audiences: every audience with its members, and what was removed from which. */
export function audienceState(audiences: SimAudience[], removals: SimRemoval[]): unknown {
  return { audiences: audiences.map((a) => ({ id: a.id, name: a.name, size: a.members.length, members: a.members })), removals };
}
