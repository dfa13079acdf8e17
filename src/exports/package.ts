/**
 * Builds one request's export zip from the systems' staged datasets, streaming end to end.
 * Datasets staged as finished entries (deflated while staging, see staging.ts) are copied into
 * the zip as they are; others are turned into entries here: staged file -> (JSON array | CSV)
 * -> deflate (level 6) with digests -> a scratch file, then copied. The zip is written to
 * `<outFile>.part` and renamed to `outFile` once complete. Memory does not depend on the number
 * of records: entries are produced one after the other and no records are gathered.
 *
 * Zip layout, in order: `<system>/<dataset>.json` and `.csv` for every staged dataset, then
 * `index.html`, then `manifest.json` (which lists the sha256 and size of every other entry).
 */
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import type { DatasetDescriptor, Identifier, Row, SystemDescriptor } from '../connectors/connector';
import { art15Information, type ExportSystemDescriptor } from './art15';
import { csvFromNdjson } from './csv';
import { type DeflatedEntry, DeflatedEntryWriter, deflateBuffer } from './deflated';
import { coalesce } from './digest';
import { renderIndexHtml } from './html';
import {
  MANIFEST_FORMAT,
  type ExportRequestType,
  type ExportSystemStatus,
  type Manifest,
  type ManifestBody,
  type ManifestDataset,
  type ManifestEntry,
  type ManifestSystem,
} from './manifest';
import { jsonArray, ndjsonRecords, ndjsonToJsonArray } from './ndjson';
import { PORTABILITY_STATEMENT, portabilityScope, portableFields } from './portability';
import { assertDatasetName, assertSystemId, datasetEntryName } from './names';
import type { EntryShape, StagedDataset, StagingResult } from './staging';
import { ZipFileWriter } from './zip';

export interface ExportRequestInput {
  id: string;
  type: ExportRequestType;
  /** The subject's identifiers (as given and as discovered). */
  subject: Identifier[];
  createdAt: Date;
}

export interface ExportSystemInput {
  /** The connector id; names the system's folder in the zip. */
  id: string;
  descriptor: ExportSystemDescriptor;
  status: ExportSystemStatus;
  /** A safe message (no personal data, no upstream error text) for a FAILED system. */
  error?: string;
  /** Staged records; used only when status is SUCCEEDED (a failed system's partial data is not exported). */
  staged?: StagingResult;
}

export interface ExportInput {
  request: ExportRequestInput;
  systems: ExportSystemInput[];
}

export interface ExportZipResult {
  /** Size of the zip file in bytes. */
  sizeBytes: number;
  /** sha256 (hex) of the zip file. */
  sha256: string;
  /** The entry names, in zip order (`manifest.json` last). */
  entries: string[];
}

export interface BuildExportOptions {
  /** Defaults to now. */
  generatedAt?: Date;
  /** Aborting stops the build and removes the partial file. */
  signal?: AbortSignal;
}

/** How one staged dataset becomes its two entries. */
interface DatasetPlan {
  system: string;
  staged: StagedDataset;
  /** CSV columns, in order. */
  columns: string[];
  /** PORTABILITY: the fields kept in the JSON records; null keeps records whole. */
  pick: string[] | null;
}

interface SystemPlan {
  manifest: ManifestSystem;
  datasets: DatasetPlan[];
}

export async function buildExportZip(input: ExportInput, outFile: string, options: BuildExportOptions = {}): Promise<ExportZipResult> {
  const { request } = input;
  if (request.type !== 'ACCESS' && request.type !== 'PORTABILITY') throw new Error(`Unsupported export type ${String(request.type)}`);
  const generatedAt = options.generatedAt ?? new Date();
  const plans = planSystems(input);
  const body: ManifestBody = {
    format: MANIFEST_FORMAT,
    request: {
      id: request.id,
      type: request.type,
      createdAt: request.createdAt.toISOString(),
      subjectIdentifiers: request.subject.map(({ kind, value, source }) => ({ kind, value, source })),
    },
    generatedAt: generatedAt.toISOString(),
    systems: plans.map((p) => p.manifest),
    ...(request.type === 'PORTABILITY' ? { portability: { statement: { ...PORTABILITY_STATEMENT } } } : {}),
  };

  await mkdir(dirname(outFile), { recursive: true });
  const part = `${outFile}.part`;
  const scratch = new Scratch(`${outFile}.entries`);
  const zip = new ZipFileWriter(part, generatedAt, options.signal);
  const entries: ManifestEntry[] = [];
  const add = async (name: string, entry: DeflatedEntry | (Omit<DeflatedEntry, 'file'> & { data: Buffer })) => {
    await zip.add({ name, ...entry });
    entries.push({ name, size: entry.size, sha256: entry.sha256 });
  };
  const addBuffer = async (name: string, data: Buffer) => {
    const deflated = await zip.guard(deflateBuffer(data));
    await add(name, { ...deflated, compressedSize: deflated.data.length });
  };
  try {
    await scratch.clear();
    for (const dataset of plans.flatMap((p) => p.datasets)) {
      await add(datasetEntryName(dataset.system, dataset.staged.name, 'json'), await jsonEntry(dataset, zip, scratch, options.signal));
      await add(datasetEntryName(dataset.system, dataset.staged.name, 'csv'), await csvEntry(dataset, zip, scratch, options.signal));
    }
    await addBuffer('index.html', Buffer.from(renderIndexHtml(body), 'utf8'));
    const manifest: Manifest = { ...body, entries: [...entries] };
    await addBuffer('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8'));
    const written = await zip.finish();
    await rename(part, outFile);
    await scratch.clear();
    return { ...written, entries: entries.map((e) => e.name) };
  } catch (err) {
    await zip.discard(err as Error);
    await rm(part, { force: true });
    await scratch.clear();
    throw err;
  }
}

/** Entries deflated while packaging, one file each, removed with the folder when the zip is done. */
class Scratch {
  private n = 0;
  constructor(readonly dir: string) {}

  /** Deflates what `source()` streams (called once the scratch folder exists, so no stream errs unheard). */
  async deflate(zip: ZipFileWriter, source: () => [Readable, ...Transform[]], signal?: AbortSignal): Promise<DeflatedEntry> {
    await mkdir(this.dir, { recursive: true });
    const streams = source();
    const writer = new DeflatedEntryWriter(join(this.dir, `${(this.n += 1)}.deflate`));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        const waiting = writer.write(chunk);
        if (waiting) waiting.then(() => done(), done);
        else done();
      },
    });
    const steps = pipeline([...streams, coalesce(), sink], { signal });
    steps.catch(() => undefined);
    try {
      await zip.guard(steps);
      return await zip.guard(writer.end());
    } catch (err) {
      for (const s of streams) s.destroy();
      await writer.abort();
      throw err;
    }
  }

  clear(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/** `<system>/<dataset>.json`: as staged when it was staged as this entry, else built from the records. */
async function jsonEntry(dataset: DatasetPlan, zip: ZipFileWriter, scratch: Scratch, signal?: AbortSignal): Promise<DeflatedEntry> {
  const staged = dataset.staged.entries;
  if (staged && samePick(staged.pick, dataset.pick)) return staged.json;
  if (dataset.pick === null && !staged) return scratch.deflate(zip, () => [createReadStream(dataset.staged.file), ndjsonToJsonArray()], signal);
  const keep = dataset.pick ? new Set(dataset.pick) : null;
  // fromEntries defines own properties, so even a "__proto__" key stays plain data.
  const pick = (record: Row) => (keep ? Object.fromEntries(Object.entries(record).filter(([key]) => keep.has(key))) : record);
  return scratch.deflate(zip, () => [...stagedRecords(dataset.staged), ndjsonRecords(pick, { jsonArray: !!staged }), jsonArray()], signal);
}

/** `<system>/<dataset>.csv`: as staged when it was staged with the planned columns, else built from the records. */
async function csvEntry(dataset: DatasetPlan, zip: ZipFileWriter, scratch: Scratch, signal?: AbortSignal): Promise<DeflatedEntry> {
  const { entries, csv } = dataset.staged;
  if (entries && sameColumns(entries.columns, dataset.columns) && (dataset.pick === null || samePick(entries.pick, dataset.pick))) return entries.csv;
  if (!entries && dataset.pick === null && csv && sameColumns(csv.columns, dataset.columns)) {
    // written while staging, with exactly the columns planned: compressed as it is
    return scratch.deflate(zip, () => [createReadStream(csv.file)], signal);
  }
  return scratch.deflate(
    zip,
    () => {
      const out = csvFromNdjson(dataset.columns, { jsonArray: !!entries });
      return [...stagedRecords(dataset.staged), out.records, out.csv];
    },
    signal,
  );
}

/** The bytes of a staged dataset's records: NDJSON, or (staged as entries) the JSON entry inflated. */
function stagedRecords(staged: StagedDataset): [Readable, ...Transform[]] {
  if (!staged.entries) return [createReadStream(staged.file)];
  return [createReadStream(staged.entries.json.file), createInflateRaw()];
}

function samePick(a: readonly string[] | null, b: readonly string[] | null): boolean {
  return a === null || b === null ? a === b : sameColumns(a, b);
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/**
 * The shape in which a system's datasets are best staged (StagingOptions.entries): the entries
 * this module plans for them from the data map, so it can use them as staged. An ACCESS export
 * keeps records whole with the declared fields as CSV columns; a PORTABILITY export keeps only
 * the portable fields (none of a dataset it leaves out).
 */
export function plannedEntryShape(descriptor: SystemDescriptor, type: ExportRequestType): (dataset: string) => EntryShape {
  const portability = type === 'PORTABILITY';
  const shapes = new Map<string, EntryShape>(
    descriptor.datasets.map((d) => {
      if (!portability) return [d.name, { columns: d.fields.map((f) => f.name), pick: null }];
      const kept = portableFields(d) ?? [];
      return [d.name, { columns: kept, pick: kept }];
    }),
  );
  return (dataset) => shapes.get(dataset) ?? { columns: [], pick: portability ? [] : null };
}

/** Validates the input and decides, per system, its manifest part and its dataset entries. */
function planSystems(input: ExportInput): SystemPlan[] {
  const portability = input.request.type === 'PORTABILITY';
  const seen = new Set<string>();
  return input.systems.map((system) => {
    assertSystemId(system.id);
    if (seen.has(system.id)) throw new Error(`System ${system.id} is listed twice`);
    seen.add(system.id);
    const staged = system.status === 'SUCCEEDED' ? (system.staged?.datasets ?? []) : [];
    const stagedNames = new Set<string>();
    for (const s of staged) {
      assertDatasetName(s.name);
      if (stagedNames.has(s.name)) throw new Error(`Dataset ${system.id}/${s.name} is staged twice`);
      stagedNames.add(s.name);
    }
    const declared = system.descriptor.datasets;
    const scope = portability ? portabilityScope(system.descriptor, staged) : undefined;
    // Descriptor order first, then datasets the descriptor does not declare, in staging order.
    const ordered: { name: string; descriptor?: DatasetDescriptor; staged?: StagedDataset }[] = [
      ...declared.map((d) => ({ name: d.name, descriptor: d, staged: staged.find((s) => s.name === d.name) })),
      ...staged.filter((s) => !declared.some((d) => d.name === s.name)).map((s) => ({ name: s.name, staged: s })),
    ];

    const datasets: DatasetPlan[] = [];
    const manifestDatasets: ManifestDataset[] = [];
    for (const { name, descriptor, staged: s } of ordered) {
      const leftOut = scope?.leftOut.datasets.find((d) => d.dataset === name)?.reason;
      const entry: ManifestDataset = { name, description: descriptor?.description ?? null, records: s?.count ?? 0, entries: [] };
      if (leftOut) entry.leftOut = leftOut;
      if (s && !leftOut) {
        const plan = planDataset(system.id, s, descriptor, portability);
        if (plan) {
          datasets.push(plan);
          entry.entries = [datasetEntryName(system.id, name, 'json'), datasetEntryName(system.id, name, 'csv')];
        }
      }
      manifestDatasets.push(entry);
    }
    const manifest: ManifestSystem = {
      id: system.id,
      name: system.descriptor.name,
      status: system.status,
      error: system.status === 'FAILED' ? (system.error ?? 'The system could not be read') : (system.error ?? null),
      datasets: system.status === 'FAILED' ? [] : manifestDatasets,
      art15: art15Information(system.id, system.descriptor),
      ...(scope ? { portability: scope } : {}),
    };
    return { manifest, datasets };
  });
}

function planDataset(system: string, staged: StagedDataset, descriptor: DatasetDescriptor | undefined, portability: boolean): DatasetPlan | null {
  if (portability) {
    const kept = descriptor ? portableFields(descriptor) : null;
    return kept ? { system, staged, columns: kept, pick: kept } : null;
  }
  const fields = descriptor?.fields.map((f) => f.name) ?? [];
  const known = new Set(fields);
  const others = staged.keys.filter((k) => !known.has(k)).sort();
  return { system, staged, columns: [...fields, ...others], pick: null };
}
