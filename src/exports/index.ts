/**
 * Export files of access and portability requests: stage each system's records
 * (StagingWriter), then build the zip (buildExportZip). See package.ts for the zip's layout.
 */
export { StagingWriter, type StagedDataset, type StagingResult } from './staging';
export {
  buildExportZip,
  type BuildExportOptions,
  type ExportInput,
  type ExportRequestInput,
  type ExportSystemInput,
  type ExportUploadInput,
  type ExportZipResult,
} from './package';
export type { Manifest, ManifestDataset, ManifestEntry, ManifestFile, ManifestSystem, ExportRequestType, ExportSystemStatus } from './manifest';
export { MANIFEST_FORMAT } from './manifest';
export { art15Information, IMY, SUBJECT_RIGHTS, type Art15Information, type ExportSystemDescriptor } from './art15';
export { portabilityScope, portableFields, PORTABILITY_STATEMENT, type PortabilityScope } from './portability';
export { csvCell, neutralise } from './csv';
export { InvalidExportNameError, NAME_PATTERN } from './names';
