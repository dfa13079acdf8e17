/**
 * A zip entry's content written ahead of the zip: text in, raw deflate (level 6, the zip
 * default) out to a file, with the CRC-32, sha256 and size of the uncompressed bytes taken on
 * the way. Compression runs on the libuv thread pool while the caller goes on producing text;
 * up to QUEUE_BYTES may wait for it before `write` makes the caller wait (memory stays flat).
 * The zip writer (zip.ts) later copies the compressed bytes as they are.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { promisify } from 'node:util';
import { crc32, createDeflateRaw, deflateRaw, type DeflateRaw, type ZlibOptions } from 'node:zlib';

export const DEFLATE_LEVEL = 6;
/** Uncompressed bytes that may wait for the compressor before a write waits. */
const QUEUE_BYTES = 4 * 1024 * 1024;
/** Output chunk of the compressor (fewer, larger writes than the 16 KiB default). */
const CHUNK = 64 * 1024;

/** A deflated entry: where its compressed bytes are and what they hold. */
export interface DeflatedEntry {
  /** The file holding the raw deflate stream (no zlib or gzip header). */
  file: string;
  /** Uncompressed size in bytes. */
  size: number;
  compressedSize: number;
  /** CRC-32 of the uncompressed bytes, as zip stores it. */
  crc32: number;
  /** sha256 (hex) of the uncompressed bytes. */
  sha256: string;
}

export class DeflatedEntryWriter {
  private readonly hash: Hash = createHash('sha256');
  private readonly deflate: DeflateRaw;
  private readonly out: WriteStream;
  private readonly done: Promise<void>;
  private crc = 0;
  private size = 0;
  private compressedSize = 0;
  private failure: Error | undefined;
  private ended = false;

  constructor(readonly file: string) {
    // zlib streams pass stream options on to their Transform
    this.deflate = createDeflateRaw({ level: DEFLATE_LEVEL, chunkSize: CHUNK, writableHighWaterMark: QUEUE_BYTES } as ZlibOptions);
    this.out = createWriteStream(file, { flags: 'w' });
    this.deflate.on('data', (chunk: Buffer) => {
      this.compressedSize += chunk.length;
      if (!this.out.write(chunk)) {
        this.deflate.pause();
        this.out.once('drain', () => this.deflate.resume());
      }
    });
    this.done = new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        this.failure ??= err;
        this.deflate.destroy();
        this.out.destroy();
        reject(this.failure);
      };
      this.deflate.on('error', fail);
      this.out.on('error', fail);
      this.deflate.on('end', () => this.out.end());
      this.out.on('close', () => (this.failure ? reject(this.failure) : resolve()));
    });
    this.done.catch(() => undefined);
  }

  /** Adds text (as UTF-8) or bytes; resolves at once unless the compressor is QUEUE_BYTES behind. */
  write(data: string | Buffer): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.reject(new Error('the entry is already complete'));
    if (data.length === 0) return undefined;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.hash.update(bytes);
    this.crc = crc32(bytes, this.crc);
    this.size += bytes.length;
    if (this.deflate.write(bytes)) return undefined;
    return new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.deflate.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        this.deflate.off('drain', onDrain);
        reject(err);
      };
      this.deflate.once('drain', onDrain);
      this.deflate.once('error', onError);
    });
  }

  /** Writes `last`, flushes the compressor and closes the file. */
  async end(last: string | Buffer = ''): Promise<DeflatedEntry> {
    await this.write(last);
    this.ended = true;
    this.deflate.end();
    await this.done;
    return { file: this.file, size: this.size, compressedSize: this.compressedSize, crc32: this.crc, sha256: this.hash.digest('hex') };
  }

  /** Stops without a result (the caller removes the file). */
  async abort(): Promise<void> {
    this.ended = true;
    this.failure ??= new Error('the entry was abandoned');
    this.deflate.destroy();
    this.out.destroy();
    await this.done.catch(() => undefined);
  }
}

const deflateRawAsync = promisify(deflateRaw);

/** A small entry deflated at once (index.html, manifest.json). */
export async function deflateBuffer(data: Buffer): Promise<{ data: Buffer; size: number; crc32: number; sha256: string }> {
  const out = await deflateRawAsync(data, { level: DEFLATE_LEVEL });
  return { data: out, size: data.length, crc32: crc32(data), sha256: createHash('sha256').update(data).digest('hex') };
}
