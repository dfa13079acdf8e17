/**
 * What a CRM administrator does in Lime Go for the requests its API cannot carry out (it has no
 * public delete or update). The texts name no one: the gateway shows the person with the task.
 * Verification afterwards reads Lime Go again.
 */
import { badInput } from '../../errors';
import { normaliseEmail, normalisePhone } from '../../services/identity';
import type { FieldChange } from '../connector';

export type ManualRequestType = 'ERASURE' | 'RESTRICTION' | 'OBJECTION' | 'RECTIFICATION';

export const MANUAL_INSTRUCTIONS: Readonly<Record<ManualRequestType, string>> = {
  ERASURE:
    'In Lime Go, delete the person shown with this task, with their history: notes, activities, documents and ' +
    'their links to deals. Do not delete their organisation or colleagues. Then confirm: the gateway searches ' +
    'Lime Go again, and the step fails if the person is still found.',
  RESTRICTION:
    'In Lime Go, mark the person shown with this task as restricted (for example the tag "processing restricted"): ' +
    'keep the record, but do not use it for sales, mailings or exports until the restriction is lifted.',
  OBJECTION:
    'In Lime Go, mark the person shown with this task as "no marketing" (for example the tag "no marketing"), and ' +
    'remove them from every marketing list and campaign. The objection is final.',
  RECTIFICATION:
    'In Lime Go, correct the fields named in the request on the person shown with this task, to the values given there.',
};

/** Lifting a restriction (restrict with false). */
export const LIFT_RESTRICTION_INSTRUCTIONS =
  'In Lime Go, remove the restriction mark (for example the tag "processing restricted") from the person shown with this task.';

/** The person fields an administrator can correct (FieldChange.field). */
export const CORRECTABLE_FIELDS = ['name', 'email', 'phone', 'title'] as const;
export type CorrectableField = (typeof CORRECTABLE_FIELDS)[number];

const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;

function text(field: string, raw: string, max: number): void {
  const v = raw.normalize('NFC').trim();
  if (v === '' || v.length > max || CONTROL.test(v)) throw badInput(`limego: ${field} must be 1-${max} characters`);
}

/**
 * Checks the corrections before a task is made (BAD_USER_INPUT without repeating any value): known
 * fields, each once, valid values. Returns the field names in the order given.
 */
export function checkCorrections(changes: readonly FieldChange[]): CorrectableField[] {
  if (changes.length === 0) throw badInput('limego: no changes were given');
  const fields: CorrectableField[] = [];
  for (const change of changes) {
    if (!(CORRECTABLE_FIELDS as readonly string[]).includes(change.field)) {
      const shown = FIELD_NAME.test(change.field) ? `"${change.field}"` : 'that field';
      throw badInput(`limego cannot correct ${shown}: it corrects ${CORRECTABLE_FIELDS.join(', ')}`);
    }
    const field = change.field as CorrectableField;
    if (fields.includes(field)) throw badInput(`limego: ${field} is named more than once`);
    if (typeof change.value !== 'string') throw badInput(`limego: ${field} must be a string`);
    if (field === 'email') normaliseEmail(change.value);
    else if (field === 'phone') normalisePhone(change.value);
    else text(field, change.value, field === 'name' ? 200 : 100);
    fields.push(field);
  }
  return fields;
}
