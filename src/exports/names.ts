/**
 * Names of staging files and zip entries. They are built only from ids the gateway controls
 * (a connector's id, a dataset name from its descriptor), never from record data, and each part
 * must match NAME_PATTERN, so no entry can climb out of its folder or hide behind odd characters.
 */

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A system id or dataset name that cannot be used to name a file or zip entry. */
export class InvalidExportNameError extends Error {
  constructor(what: 'system id' | 'dataset name', name: string) {
    // JSON.stringify keeps control characters visible; the name is an id, not personal data.
    super(`Invalid ${what} ${JSON.stringify(name.slice(0, 80))}: must match ${NAME_PATTERN}`);
    this.name = 'InvalidExportNameError';
  }
}

export function assertSystemId(id: string): string {
  if (typeof id !== 'string' || !NAME_PATTERN.test(id)) throw new InvalidExportNameError('system id', String(id));
  return id;
}

export function assertDatasetName(name: string): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) throw new InvalidExportNameError('dataset name', String(name));
  return name;
}

/** `<system>/<dataset>.<ext>`: the zip entry of one dataset. */
export function datasetEntryName(system: string, dataset: string, ext: 'json' | 'csv'): string {
  return `${assertSystemId(system)}/${assertDatasetName(dataset)}.${ext}`;
}
