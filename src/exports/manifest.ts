/** The shape of `manifest.json`, the machine-readable account of one export. */
import type { Identifier } from '../connectors/connector';
import type { Art15Information, Text } from './art15';
import type { LeftOutDataset, PortabilityScope } from './portability';

export const MANIFEST_FORMAT = 'dsr-gateway.export-manifest/1';

export type ExportRequestType = 'ACCESS' | 'PORTABILITY';
export type ExportSystemStatus = 'SUCCEEDED' | 'NOT_FOUND' | 'FAILED';

export interface ManifestDataset {
  name: string;
  /** From the descriptor; null for a dataset the descriptor does not declare. */
  description: string | null;
  /** Records collected from the system for this dataset. */
  records: number;
  /** The zip entries holding them (`<system>/<dataset>.json` and `.csv`); empty when left out. */
  entries: string[];
  /** Set when a PORTABILITY export leaves the whole dataset out. */
  leftOut?: LeftOutDataset['reason'];
}

export interface ManifestSystem {
  id: string;
  name: string;
  status: ExportSystemStatus;
  /** Why the system failed (a safe message), else null. */
  error: string | null;
  /** A FAILED system lists none: what it holds is unknown. */
  datasets: ManifestDataset[];
  /** A system without an API: the role whose person searched it, and when they confirmed. */
  manualStep?: { owner: string | null; confirmedAt: string };
  /** Files that person found and uploaded, as they are in the zip. */
  files?: ManifestFile[];
  art15: Art15Information;
  /** PORTABILITY only: what of this system was included and what was left out. */
  portability?: PortabilityScope;
}

/** One uploaded file: its entry in the zip, and the uploaded name as metadata only. */
export interface ManifestFile {
  entry: string;
  originalName: string;
  contentType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export interface ManifestEntry {
  name: string;
  /** Size of the entry's content in bytes (uncompressed). */
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  request: {
    id: string;
    type: ExportRequestType;
    createdAt: string;
    subjectIdentifiers: Identifier[];
  };
  generatedAt: string;
  systems: ManifestSystem[];
  /** PORTABILITY only: the statement of what such an export holds. */
  portability?: { statement: Text };
  /** Every other entry of the zip, in zip order, with its digest. */
  entries: ManifestEntry[];
}

/** Everything but the entries' digests: what index.html is rendered from. */
export type ManifestBody = Omit<Manifest, 'entries'>;
