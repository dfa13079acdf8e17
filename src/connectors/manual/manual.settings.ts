import { z } from 'zod';
import { NAME_PATTERN } from '../../exports/names';
import { DEFAULT_MANUAL_DUE_DAYS, type ManualRequestType } from '../connector';

/** The request types a manual system may name a step for (PORTABILITY falls back to ACCESS). */
export const MANUAL_REQUEST_TYPES = ['ACCESS', 'PORTABILITY', 'ERASURE', 'RESTRICTION', 'OBJECTION', 'RECTIFICATION'] as const satisfies readonly ManualRequestType[];

const text = (what: string, max: number) =>
  z
    .string({ message: `expected ${what} (text)` })
    .trim()
    .min(1, `expected ${what} (1-${max} characters)`)
    .max(max, `expected ${what} (1-${max} characters)`);

const fieldSchema = z
  .object({
    name: text('the field name', 100),
    category: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, 'expected a category such as "contact.email" or "financial.bank_account"'),
    provenance: z.enum(['PROVIDED', 'OBSERVED', 'DERIVED'], { message: 'expected PROVIDED, OBSERVED or DERIVED' }),
  })
  .strict();

const datasetSchema = z
  .object({
    name: z
      .string()
      .regex(NAME_PATTERN, 'expected a dataset name of lowercase letters, digits, - and _ (e.g. "salary_payments")')
      .refine((n) => !n.startsWith('upload-'), 'dataset names starting with "upload-" are kept for uploaded files'),
    description: text('a description', 1000),
    purposes: z.array(text('a purpose', 500), { message: 'expected a list of purposes' }).min(1, 'expected at least one purpose'),
    legalBasis: z.enum(['CONSENT', 'CONTRACT', 'LEGAL_OBLIGATION', 'LEGITIMATE_INTEREST'], {
      message: 'expected CONSENT, CONTRACT, LEGAL_OBLIGATION or LEGITIMATE_INTEREST',
    }),
    retention: text('the retention rule', 500),
    fields: z.array(fieldSchema, { message: 'expected a list of fields' }).min(1, 'expected at least one field'),
  })
  .strict();

const instructionsSchema = z
  .object({
    ...(Object.fromEntries(MANUAL_REQUEST_TYPES.map((t) => [t, text(`the ${t} instructions`, 4000).optional()])) as Record<ManualRequestType, z.ZodOptional<z.ZodString>>),
    /** How to lift a restriction (a RESTRICTION request with liftRestriction); without it, a text built from RESTRICTION's. */
    LIFT_RESTRICTION: text('the LIFT_RESTRICTION instructions', 4000).optional(),
  })
  .strict()
  .refine((i) => Object.values(i).some(Boolean), 'expected instructions for at least one request type (ACCESS, ERASURE, RESTRICTION, OBJECTION, RECTIFICATION)');

/** A system without an API, described in DSR_CONFIG_FILE under connectors.<id> with kind "manual". */
export const manualSettingsSchema = z
  .object({
    kind: z.literal('manual'),
    enabled: z.boolean().optional(),
    deadlineMs: z.number().optional(),
    databaseUrl: z.undefined({ message: 'a manual system has no database' }).optional(),
    name: text('the system name', 100),
    owner: text('the role or team that does the manual steps, e.g. "Payroll administrator (HR)"', 200),
    processor: text('the processor', 200).optional(),
    location: text('where the data is processed, e.g. "EU (Sweden)"', 200),
    transferSafeguard: text('the transfer safeguard', 500).optional(),
    dueDays: z.number({ message: 'expected a whole number of days from 1 to 30' }).int('expected a whole number of days from 1 to 30').min(1, 'expected a whole number of days from 1 to 30').max(30, 'expected a whole number of days from 1 to 30').default(DEFAULT_MANUAL_DUE_DAYS),
    instructions: instructionsSchema,
    datasets: z
      .array(datasetSchema, { message: 'expected a list of datasets (the data map)' })
      .min(1, 'expected at least one dataset (the data map)')
      .refine((ds) => new Set(ds.map((d) => d.name)).size === ds.length, 'dataset names must be unique'),
  })
  .strict();

export type ManualSettings = z.infer<typeof manualSettingsSchema>;
