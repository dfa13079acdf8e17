/**
 * Builds one request's export zip from the systems' staged NDJSON files, streaming end to end:
 * staged file -> (JSON array | CSV) -> digest -> zip (deflate 6) -> digest -> `<outFile>.part`,
 * renamed to `outFile` once complete. Memory does not depend on the number of records: entries
 * are produced one after the other and no records are gathered.
 *
 * Zip layout, in order: `<system>/<dataset>.json` and `.csv` for every staged dataset, then
 * `index.html`, then `manifest.json` (which lists the sha256 and size of every other entry).
 */
import archiver from 'archiver';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DatasetDescriptor, Identifier, Row } from '../connectors/connector';
import { art15Information, type ExportSystemDescriptor } from './art15';
import { csvFromNdjson } from './csv';
import { coalesce, DigestStream, digestOf } from './digest';
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
import type { StagedDataset, StagingResult } from './staging';

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
  const zip = new ZipWriter(part, generatedAt, options.signal);
  try {
    for (const dataset of plans.flatMap((p) => p.datasets)) await addDataset(zip, dataset);
    zip.addBuffer('index.html', Buffer.from(renderIndexHtml(body), 'utf8'));
    const manifest: Manifest = { ...body, entries: [...zip.entries] };
    zip.addBuffer('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8'));
    const written = await zip.finish();
    await rename(part, outFile);
    return { ...written, entries: zip.entries.map((e) => e.name) };
  } catch (err) {
    await zip.discard(err as Error);
    throw err;
  }
}

/** Adds `<system>/<dataset>.json` then `<system>/<dataset>.csv`, each read from the staged file. */
async function addDataset(zip: ZipWriter, dataset: DatasetPlan): Promise<void> {
  await zip.addStream(datasetEntryName(dataset.system, dataset.staged.name, 'json'), jsonEntry(dataset));
  const name = datasetEntryName(dataset.system, dataset.staged.name, 'csv');
  const staged = dataset.staged.csv;
  if (dataset.pick === null && staged && sameColumns(staged.columns, dataset.columns)) {
    // written while staging, with exactly the columns planned: copied as it is
    await zip.addStream(name, [createReadStream(staged.file)]);
    return;
  }
  const csv = csvFromNdjson(dataset.columns);
  await zip.addStream(name, [createReadStream(dataset.staged.file), csv.records, csv.csv]);
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

function jsonEntry(dataset: DatasetPlan): [Readable, ...Transform[]] {
  const source = createReadStream(dataset.staged.file);
  if (dataset.pick === null) return [source, ndjsonToJsonArray()];
  const keep = new Set(dataset.pick);
  // fromEntries defines own properties, so even a "__proto__" key stays plain data.
  const pick = (record: Row) => Object.fromEntries(Object.entries(record).filter(([key]) => keep.has(key)));
  return [source, ndjsonRecords(pick), jsonArray()];
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

/**
 * The zip being written: entries are added one at a time, each digested as it streams through;
 * any failure (a source, the archive, the disk, an abort) ends the whole build.
 */
class ZipWriter {
  readonly entries: ManifestEntry[] = [];
  private readonly archive = archiver('zip', { zlib: { level: 6 } });
  private readonly digest = new DigestStream();
  private readonly file: WriteStream;
  private readonly written: Promise<void>;
  private readonly failure: Promise<never>;
  private fail!: (err: Error) => void;

  constructor(
    private readonly path: string,
    private readonly date: Date,
    signal?: AbortSignal,
  ) {
    this.failure = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.failure.catch(() => undefined);
    this.file = createWriteStream(path, { flags: 'w', flush: true });
    this.archive.on('warning', (err: Error) => this.fail(err));
    this.archive.on('error', (err: Error) => this.fail(err));
    this.written = pipeline(this.archive, this.digest, this.file);
    this.written.catch((err: Error) => this.fail(err));
    if (signal) {
      if (signal.aborted) this.fail(abortError(signal));
      else signal.addEventListener('abort', () => this.fail(abortError(signal)), { once: true });
    }
  }

  /** Streams one entry through `streams` into the zip; resolves once it is digested. */
  async addStream(name: string, streams: [Readable, ...Transform[]]): Promise<void> {
    const digest = new DigestStream();
    this.archive.append(digest, { name, date: this.date });
    await this.guard(pipeline([...streams, coalesce(), digest]));
    this.entries.push({ name, ...digest.digest });
  }

  addBuffer(name: string, data: Buffer): void {
    this.archive.append(data, { name, date: this.date });
    this.entries.push({ name, ...digestOf(data) });
  }

  async finish(): Promise<{ sizeBytes: number; sha256: string }> {
    await this.guard(this.archive.finalize());
    await this.guard(this.written);
    const { sha256, size } = this.digest.digest;
    return { sizeBytes: size, sha256 };
  }

  /** Stops everything and removes the partial file. */
  async discard(err: Error): Promise<void> {
    this.fail(err);
    this.archive.destroy(err);
    await this.written.catch(() => undefined);
    if (!this.file.closed) await new Promise<void>((resolve) => this.file.once('close', () => resolve()));
    await rm(this.path, { force: true });
  }

  /** Waits for `step`, or fails as soon as the zip does. */
  private guard<T>(step: Promise<T>): Promise<T> {
    return Promise.race([step, this.failure]);
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('The export was aborted');
}
