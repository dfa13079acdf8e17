/**
 * Staging: one system's records for one request, streamed to disk as they are collected, so
 * that the zip can later be built from files instead of from memory.
 *
 * Layout: `<stagingDir>/<system>/<dataset>.ndjson`, one JSON record per line. A writer opened
 * again for the same system (a retried task) starts those files afresh.
 *
 * With `entries` (see StagingOptions) each dataset is staged instead as its two finished zip
 * entries, `<dataset>.json.deflate` and `<dataset>.csv.deflate`: serialised, digested and
 * compressed while the records arrive, so building the zip is only copying bytes.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Row } from '../connectors/connector';
import { csvLine, csvLineWriter, csvRow, neutralise } from './csv';
import { type DeflatedEntry, DeflatedEntryWriter } from './deflated';
import { assertDatasetName, assertSystemId } from './names';
import { jsonLines } from './ndjson';

/** Records serialised per write in entries mode (see writeEntries). */
const CHUNK = 128;

export interface StagedDataset {
  /** The dataset name (validated, see names.ts). */
  name: string;
  /** Absolute or stagingDir-relative path of the NDJSON file, as given to the writer. */
  file: string;
  /** Number of records written. */
  count: number;
  /** Every top-level key seen with a defined value, in first-seen order (CSV columns). */
  keys: string[];
  /** The dataset already written as CSV (with these columns, header first), when asked for. */
  csv?: { file: string; columns: string[] };
  /**
   * Staged as finished zip entries (then `file` is the JSON entry's deflated file, not NDJSON):
   * the JSON array of the records (with only the `pick` fields when set) and the CSV with
   * `columns`, header first.
   */
  entries?: { json: DeflatedEntry; csv: DeflatedEntry; columns: string[]; pick: string[] | null };
}

/** The shape of a dataset's entries when staged as zip entries. */
export interface EntryShape {
  /** CSV columns, in order. */
  columns: readonly string[];
  /** The fields the JSON records keep (in the records' own order); null keeps them whole. */
  pick: readonly string[] | null;
}

export interface StagingResult {
  datasets: StagedDataset[];
}

interface OpenDataset {
  name: string;
  file: string;
  stream: WriteStream;
  count: number;
  keys: Set<string>;
  csv?: { file: string; columns: readonly string[]; stream: WriteStream };
}

interface EntryDataset {
  name: string;
  count: number;
  keys: Set<string>;
  shape: EntryShape;
  json: DeflatedEntryWriter;
  csv: DeflatedEntryWriter;
  /** The fields the JSON keeps of a record, when not all. */
  pick: ((record: Row) => Row) | null;
  toCsv: (record: Row) => string;
}

export interface StagingOptions {
  /**
   * Columns to write each dataset as CSV while staging (so packaging only copies and compresses).
   * The packager uses that file only when the data turned out to have exactly those columns.
   */
  csvColumns?: (dataset: string) => readonly string[] | undefined;
  /**
   * Stage every dataset as its two zip entries, deflated, in this shape (csvColumns is then not
   * used). The packager uses them as they are when the shape is the one it plans.
   */
  entries?: (dataset: string) => EntryShape;
}

export class StagingWriter {
  private readonly dir: string;
  private readonly open = new Map<string, OpenDataset>();
  private readonly staged = new Map<string, EntryDataset>();
  private dirReady: Promise<unknown> | undefined;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    stagingDir: string,
    readonly systemId: string,
    private readonly options: StagingOptions = {},
  ) {
    this.dir = join(stagingDir, assertSystemId(systemId));
  }

  /** Appends one record; resolves once the file can take more (waits for 'drain' when needed). */
  write(dataset: string, record: Row): Promise<void> {
    return this.writeMany(dataset, [record]);
  }

  /** Appends records in one write; resolves once the file can take more. */
  async writeMany(dataset: string, records: readonly Row[]): Promise<void> {
    if (this.closed) throw new Error(`StagingWriter(${this.systemId}) is closed`);
    if (this.failure) throw this.failure;
    if (records.length === 0) return;
    if (this.options.entries) return this.writeEntries(dataset, records);
    const target = this.open.get(dataset) ?? (await this.openDataset(dataset));
    const lines: string[] = [];
    const csvLines: string[] = [];
    const csv = target.csv;
    for (const record of records) {
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        throw new TypeError(`StagingWriter(${this.systemId}): a record of ${dataset} must be a plain object`);
      }
      for (const key in record) {
        // JSON.stringify leaves out undefined and functions: so do the columns.
        const value = record[key];
        if (Object.hasOwn(record, key) && value !== undefined && typeof value !== 'function') target.keys.add(key);
      }
      lines.push(JSON.stringify(record));
      if (csv) csvLines.push(csvLine(csvRow(record, csv.columns)));
    }
    target.count += records.length;
    lines.push('');
    const waits: Promise<void>[] = [];
    if (!target.stream.write(lines.join('\n'))) waits.push(this.drained(target.stream));
    if (csv && !csv.stream.write(csvLines.join(''))) waits.push(this.drained(csv.stream));
    await Promise.all(waits);
  }

  /** Flushes and closes every file; the result lists the datasets that received records. */
  async close(): Promise<StagingResult> {
    if (this.closed) throw new Error(`StagingWriter(${this.systemId}) is already closed`);
    this.closed = true;
    await Promise.all([...this.open.values()].flatMap((d) => [this.end(d.stream), ...(d.csv ? [this.end(d.csv.stream)] : [])]));
    if (this.failure) throw this.failure;
    if (this.options.entries) {
      const datasets: StagedDataset[] = [];
      for (const d of this.staged.values()) {
        const [json, csv] = await Promise.all([d.json.end(d.count ? '\n]\n' : '[]\n'), d.csv.end()]);
        const shape = { columns: [...d.shape.columns], pick: d.shape.pick ? [...d.shape.pick] : null };
        datasets.push({ name: d.name, file: json.file, count: d.count, keys: [...d.keys], entries: { json, csv, ...shape } });
      }
      return { datasets };
    }
    return {
      datasets: [...this.open.values()].map((d) => ({
        name: d.name,
        file: d.file,
        count: d.count,
        keys: [...d.keys],
        ...(d.csv ? { csv: { file: d.csv.file, columns: [...d.csv.columns] } } : {}),
      })),
    };
  }

  /** Closes every file without a result (the caller discards the staging directory). */
  async abort(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.open.values()].flatMap((d) => [d.stream, ...(d.csv ? [d.csv.stream] : [])]).map((st) => this.end(st).catch(() => undefined)));
    await Promise.all([...this.staged.values()].flatMap((d) => [d.json.abort(), d.csv.abort()]));
  }

  /**
   * Entries mode: the records go on as JSON array lines and CSV lines, CHUNK records per write
   * (one string each, well under the size at which a string costs more to allocate than to build).
   */
  private async writeEntries(dataset: string, records: readonly Row[]): Promise<void> {
    const target = this.staged.get(dataset) ?? (await this.openEntries(dataset));
    for (const record of records) {
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        throw new TypeError(`StagingWriter(${this.systemId}): a record of ${dataset} must be a plain object`);
      }
      for (const key in record) {
        if (target.keys.has(key)) continue;
        const value = record[key];
        if (value !== undefined && typeof value !== 'function' && Object.hasOwn(record, key)) target.keys.add(key);
      }
    }
    const writes: Promise<void>[] = [];
    for (let from = 0; from < records.length; from += CHUNK) {
      const chunk = records.slice(from, from + CHUNK);
      let csv = '';
      for (const record of chunk) csv += target.toCsv(record);
      writes.push(target.json.write((target.count === 0 ? '[\n' : ',\n') + jsonLines(target.pick ? chunk.map(target.pick) : chunk)), target.csv.write(csv));
      target.count += chunk.length;
    }
    await Promise.all(writes);
  }

  private async openEntries(dataset: string): Promise<EntryDataset> {
    assertDatasetName(dataset);
    this.dirReady ??= mkdir(this.dir, { recursive: true });
    await this.dirReady;
    const existing = this.staged.get(dataset);
    if (existing) return existing;
    const shape = this.options.entries!(dataset);
    const keep = shape.pick ? new Set(shape.pick) : null;
    const opened: EntryDataset = {
      name: dataset,
      count: 0,
      keys: new Set(),
      shape,
      json: new DeflatedEntryWriter(join(this.dir, `${dataset}.json.deflate`)),
      csv: new DeflatedEntryWriter(join(this.dir, `${dataset}.csv.deflate`)),
      // fromEntries defines own properties, so even a "__proto__" key stays plain data.
      pick: keep ? (record) => Object.fromEntries(Object.entries(record).filter(([key]) => keep.has(key))) : null,
      toCsv: csvLineWriter(shape.columns),
    };
    this.staged.set(dataset, opened);
    // a failure here shows on the next write or at close
    opened.csv.write(csvLine(shape.columns.map(neutralise)))?.catch(() => undefined);
    return opened;
  }

  private async openDataset(dataset: string): Promise<OpenDataset> {
    assertDatasetName(dataset);
    this.dirReady ??= mkdir(this.dir, { recursive: true });
    await this.dirReady;
    // Two writes for a new dataset may both have waited above: the first one opens it.
    const existing = this.open.get(dataset);
    if (existing) return existing;
    const file = join(this.dir, `${dataset}.ndjson`);
    const stream = createWriteStream(file, { flags: 'w' });
    stream.on('error', (err) => {
      this.failure ??= err;
    });
    const opened: OpenDataset = { name: dataset, file, stream, count: 0, keys: new Set() };
    const columns = this.options.csvColumns?.(dataset);
    if (columns?.length) {
      const csvFile = join(this.dir, `${dataset}.csv`);
      const csvStream = createWriteStream(csvFile, { flags: 'w' });
      csvStream.on('error', (err) => {
        this.failure ??= err;
      });
      csvStream.write(csvLine(columns.map(neutralise)));
      opened.csv = { file: csvFile, columns, stream: csvStream };
    }
    this.open.set(dataset, opened);
    return opened;
  }

  private drained(stream: WriteStream): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        stream.off('drain', onDrain);
        stream.off('error', done);
        stream.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(this.failure ?? new Error(`staging file of ${this.systemId} closed while writing`));
      stream.on('drain', onDrain);
      stream.on('error', done);
      stream.on('close', onClose);
    });
  }

  private end(stream: WriteStream): Promise<void> {
    return new Promise((resolve, reject) => {
      if (stream.closed) return this.failure ? reject(this.failure) : resolve();
      stream.once('close', () => (this.failure ? reject(this.failure) : resolve()));
      stream.end();
    });
  }
}
