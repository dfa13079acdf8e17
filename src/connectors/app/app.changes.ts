import { badInput } from '../../errors';
import { normaliseEmail, normalisePhone } from '../../services/identity';
import type { FieldChange } from '../connector';

/** Profile fields the app lets a subject correct (Art. 16), as the users table names them. */
export const RECTIFIABLE_FIELDS = ['first_name', 'last_name', 'phone', 'email'] as const;
export type RectifiableField = (typeof RECTIFIABLE_FIELDS)[number];

/** Column -> new value, ready for one UPDATE of the users table. */
export type UserColumnValues = Partial<Record<RectifiableField | 'email_normalized', string>>;

const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const NAME_MAX = 100;

/**
 * Checks every change before anything is written: an unknown field, a field named twice or a
 * value the app would not accept refuses the whole set (BAD_USER_INPUT). Messages name the field,
 * never the value.
 */
export function validateChanges(changes: readonly FieldChange[]): UserColumnValues {
  if (!Array.isArray(changes) || changes.length === 0) throw badInput('changes must name at least one field to correct');
  const out: UserColumnValues = {};
  for (const change of changes) {
    const field = change?.field;
    if (!(RECTIFIABLE_FIELDS as readonly unknown[]).includes(field)) {
      throw badInput(`the app can correct only ${RECTIFIABLE_FIELDS.join(', ')}`);
    }
    const name = field as RectifiableField;
    if (out[name] !== undefined) throw badInput(`${name} is named more than once in changes`);
    if (typeof change.value !== 'string') throw badInput(`${name} must be a string`);
    switch (name) {
      case 'first_name':
      case 'last_name':
        out[name] = personName(name, change.value);
        break;
      case 'phone':
        out.phone = normalisePhone(change.value);
        break;
      case 'email':
        out.email_normalized = normaliseEmail(change.value);
        // Kept as given (the app shows the address as the person typed it), only trimmed and NFC.
        out.email = change.value.trim().normalize('NFC');
        break;
    }
  }
  return out;
}

function personName(field: string, raw: string): string {
  const value = raw.trim().normalize('NFC');
  const length = [...value].length;
  if (length === 0 || length > NAME_MAX || CONTROL.test(value)) {
    throw badInput(`${field} must be 1-${NAME_MAX} characters without control characters`);
  }
  return value;
}
