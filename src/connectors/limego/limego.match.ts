import { normaliseEmail, normalisePhone } from '../../services/identity';
import type { Row } from '../connector';

/**
 * Exact matching of Lime Go persons, whose search is fuzzy: a hit counts only when one of its
 * identifiers equals the subject's after the gateway's own normalisation (emails trimmed, NFC,
 * lower-cased; phones E.164 with Sweden as the default country).
 */

function attempt(normalise: (raw: string) => string, raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  try {
    return normalise(raw);
  } catch {
    return null; // a value the CRM holds that is no valid email or phone matches nothing
  }
}

export function personEmail(person: Row): string | null {
  return attempt(normaliseEmail, person.email);
}

export function personPhones(person: Row): string[] {
  const list = Array.isArray(person.phoneNumber) ? person.phoneNumber : [];
  return list.map((p) => attempt(normalisePhone, p)).filter((p): p is string => p !== null);
}

/** Whether the person carries this email or phone exactly. */
export function carries(person: Row, kind: 'email' | 'phone', value: string): boolean {
  return kind === 'email' ? personEmail(person) === value : personPhones(person).includes(value);
}
