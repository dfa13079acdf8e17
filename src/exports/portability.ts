/**
 * What a PORTABILITY export (GDPR Art. 20) holds: only data the person provided or that was
 * observed from their use of the service (PROVIDED / OBSERVED), and only from processing based on
 * consent or a contract (Art. 20(1)(a)). Everything else is left out, and said so.
 */
import type { DatasetDescriptor, LegalBasis, Provenance, SystemDescriptor } from '../connectors/connector';

export const PORTABLE_PROVENANCE: readonly Provenance[] = ['PROVIDED', 'OBSERVED'];
export const PORTABLE_LEGAL_BASES: readonly LegalBasis[] = ['CONSENT', 'CONTRACT'];

export type LeftOutReason =
  /** The dataset is processed on another basis than consent or contract. */
  | 'LEGAL_BASIS'
  /** The field is derived by the company (not provided nor observed). */
  | 'PROVENANCE'
  /** Every field of the dataset is derived, so nothing of it is portable. */
  | 'NO_PORTABLE_FIELDS'
  /** The system returned a dataset or field its descriptor does not declare. */
  | 'UNDECLARED';

export interface IncludedDataset {
  dataset: string;
  legalBasis: LegalBasis;
  /** The kept fields, in descriptor order. */
  fields: string[];
}

export interface LeftOutDataset {
  dataset: string;
  reason: 'LEGAL_BASIS' | 'NO_PORTABLE_FIELDS' | 'UNDECLARED';
  legalBasis?: LegalBasis;
}

export interface LeftOutField {
  dataset: string;
  field: string;
  reason: 'PROVENANCE' | 'UNDECLARED';
  provenance?: Provenance;
}

export interface PortabilityScope {
  included: IncludedDataset[];
  leftOut: { datasets: LeftOutDataset[]; fields: LeftOutField[] };
}

/** The fields a dataset contributes to a portability export, or null when it is left out. */
export function portableFields(dataset: DatasetDescriptor): string[] | null {
  if (!PORTABLE_LEGAL_BASES.includes(dataset.legalBasis)) return null;
  const fields = dataset.fields.filter((f) => PORTABLE_PROVENANCE.includes(f.provenance)).map((f) => f.name);
  return fields.length > 0 ? fields : null;
}

/**
 * The portability scope of one system. `staged` (optional) lists the datasets and keys actually
 * collected, so that undeclared ones are reported as left out too.
 */
export function portabilityScope(
  system: SystemDescriptor,
  staged: readonly { name: string; keys: readonly string[] }[] = [],
): PortabilityScope {
  const scope: PortabilityScope = { included: [], leftOut: { datasets: [], fields: [] } };
  for (const dataset of system.datasets) {
    const declared = new Set(dataset.fields.map((f) => f.name));
    const undeclared = (staged.find((s) => s.name === dataset.name)?.keys ?? []).filter((k) => !declared.has(k));
    if (!PORTABLE_LEGAL_BASES.includes(dataset.legalBasis)) {
      scope.leftOut.datasets.push({ dataset: dataset.name, reason: 'LEGAL_BASIS', legalBasis: dataset.legalBasis });
      continue;
    }
    const fields = portableFields(dataset);
    if (fields === null) {
      scope.leftOut.datasets.push({ dataset: dataset.name, reason: 'NO_PORTABLE_FIELDS', legalBasis: dataset.legalBasis });
      continue;
    }
    scope.included.push({ dataset: dataset.name, legalBasis: dataset.legalBasis, fields });
    for (const field of dataset.fields) {
      if (!PORTABLE_PROVENANCE.includes(field.provenance)) {
        scope.leftOut.fields.push({ dataset: dataset.name, field: field.name, reason: 'PROVENANCE', provenance: field.provenance });
      }
    }
    for (const key of [...undeclared].sort()) {
      scope.leftOut.fields.push({ dataset: dataset.name, field: key, reason: 'UNDECLARED' });
    }
  }
  const declaredDatasets = new Set(system.datasets.map((d) => d.name));
  for (const s of staged) {
    if (!declaredDatasets.has(s.name)) scope.leftOut.datasets.push({ dataset: s.name, reason: 'UNDECLARED' });
  }
  return scope;
}

/** The plain-language statement for the manifest and the summary. */
export const PORTABILITY_STATEMENT = {
  en:
    'This data portability export (GDPR Art. 20) holds the personal data you provided to the company or that was ' +
    'observed from your use of its services, where the processing is based on your consent or on a contract. ' +
    'Data derived by the company, and data processed on other legal bases (legal obligation, legitimate interest), ' +
    'are left out; each system lists what was left out. You can get all your data with an access request (Art. 15).',
  sv:
    'Denna export för dataportabilitet (GDPR art. 20) innehåller de personuppgifter som du har lämnat till företaget ' +
    'eller som har observerats när du använt dess tjänster, när behandlingen grundar sig på ditt samtycke eller på ett avtal. ' +
    'Uppgifter som företaget härlett och uppgifter som behandlas med annan rättslig grund (rättslig förpliktelse, ' +
    'berättigat intresse) ingår inte; varje system anger vad som utelämnats. Alla dina uppgifter får du genom en ' +
    'begäran om registerutdrag (art. 15).',
} as const;
