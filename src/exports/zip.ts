/**
 * A zip file written from entries that are already deflated (deflated.ts): each entry's CRC-32
 * and sizes are known before it is written, so every local header is complete (no data
 * descriptors) and writing the zip is copying bytes. ZIP64 records are added where a size,
 * an offset or the number of entries does not fit the classic fields (APPNOTE 6.3.x, 4.5.3
 * and 4.3.14-4.3.15). Names are stored as UTF-8 (flag bit 11). The sha256 and size of the
 * whole file are taken as it is written.
 *
 * Entry files are copied through one buffer, each piece written before the next is read: a
 * read stream would leave a fresh buffer per piece to the garbage collector, as many MB as the
 * zip is large by the end of a big export.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';

/** One entry: deflated bytes from a file or a buffer, with what they hold. */
export interface ZipEntryInput {
  name: string;
  /** Uncompressed size. */
  size: number;
  compressedSize: number;
  crc32: number;
  /** The raw deflate stream: a file (`file`) or in memory (`data`). */
  file?: string;
  data?: Buffer;
}

interface Written {
  name: Buffer;
  size: number;
  compressedSize: number;
  crc32: number;
  offset: number;
}

const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
const DEFLATE = 8;
const UTF8_NAMES = 0x0800;
/** "Version needed to extract": 2.0 for deflate, 4.5 when ZIP64 fields are used. */
const V20 = 20;
const V45 = 45;
/** "Version made by": Unix (3), spec 4.5, so the external attributes carry the file mode. */
const MADE_BY = (3 << 8) | V45;
const FILE_MODE = 0o100644;
/** The buffer entry files are copied through. */
const COPY_BYTES = 256 * 1024;

/** MS-DOS date and time (local time, 2-second resolution), as zip tools read them. */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

export class ZipFileWriter {
  private readonly out: Promise<FileHandle>;
  private copyBuffer: Buffer | undefined;
  private readonly hash = createHash('sha256');
  private readonly entries: Written[] = [];
  private readonly dos: { time: number; date: number };
  private offset = 0;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;
  private fail!: (err: Error) => void;

  constructor(
    readonly path: string,
    date: Date,
    signal?: AbortSignal,
  ) {
    this.dos = dosDateTime(date);
    this.failed = new Promise<never>((_, reject) => {
      this.fail = (err) => {
        this.failure ??= err;
        reject(this.failure);
      };
    });
    this.failed.catch(() => undefined);
    this.out = open(path, 'w');
    this.out.catch((err: Error) => this.fail(err));
    if (signal) {
      const onAbort = () => this.fail(signal.reason instanceof Error ? signal.reason : new Error('The export was aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /** Writes one entry: its local header, then its deflated bytes. */
  async add(entry: ZipEntryInput): Promise<void> {
    const name = Buffer.from(entry.name, 'utf8');
    if (name.length > MAX16) throw new Error('zip entry name too long');
    const written: Written = { name, size: entry.size, compressedSize: entry.compressedSize, crc32: entry.crc32 >>> 0, offset: this.offset };
    const zip64 = entry.size >= MAX32 || entry.compressedSize >= MAX32;
    // ZIP64 local extra: both sizes, whenever either does not fit
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(entry.size), 4);
      extra.writeBigUInt64LE(BigInt(entry.compressedSize), 12);
    }
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(zip64 ? V45 : V20, 4);
    header.writeUInt16LE(UTF8_NAMES, 6);
    header.writeUInt16LE(DEFLATE, 8);
    header.writeUInt16LE(this.dos.time, 10);
    header.writeUInt16LE(this.dos.date, 12);
    header.writeUInt32LE(written.crc32, 14);
    header.writeUInt32LE(zip64 ? MAX32 : entry.compressedSize, 18);
    header.writeUInt32LE(zip64 ? MAX32 : entry.size, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(extra.length, 28);
    await this.write(Buffer.concat([header, name, extra]));
    let copied = 0;
    if (entry.data) {
      copied = entry.data.length;
      await this.write(entry.data);
    } else if (entry.file) {
      const buffer = (this.copyBuffer ??= Buffer.allocUnsafe(COPY_BYTES));
      const source = await this.guard(open(entry.file, 'r'));
      try {
        for (;;) {
          const { bytesRead } = await this.guard(source.read(buffer, 0, buffer.length, null));
          if (bytesRead === 0) break;
          copied += bytesRead;
          await this.write(buffer.subarray(0, bytesRead));
        }
      } finally {
        await source.close();
      }
    }
    if (copied !== entry.compressedSize) throw new Error(`zip entry ${entry.name}: ${copied} bytes of data, expected ${entry.compressedSize}`);
    this.entries.push(written);
  }

  /** Writes the central directory and closes the file. */
  async finish(): Promise<{ sizeBytes: number; sha256: string }> {
    const start = this.offset;
    for (const e of this.entries) await this.write(centralHeader(e, this.dos));
    const cdSize = this.offset - start;
    const count = this.entries.length;
    if (count >= MAX16 || start >= MAX32 || cdSize >= MAX32) {
      const record = this.offset;
      const z = Buffer.alloc(56 + 20);
      z.writeUInt32LE(0x06064b50, 0);
      z.writeBigUInt64LE(44n, 4);
      z.writeUInt16LE(MADE_BY, 12);
      z.writeUInt16LE(V45, 14);
      z.writeUInt32LE(0, 16);
      z.writeUInt32LE(0, 20);
      z.writeBigUInt64LE(BigInt(count), 24);
      z.writeBigUInt64LE(BigInt(count), 32);
      z.writeBigUInt64LE(BigInt(cdSize), 40);
      z.writeBigUInt64LE(BigInt(start), 48);
      // locator
      z.writeUInt32LE(0x07064b50, 56);
      z.writeUInt32LE(0, 60);
      z.writeBigUInt64LE(BigInt(record), 64);
      z.writeUInt32LE(1, 72);
      await this.write(z);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, MAX16), 8);
    end.writeUInt16LE(Math.min(count, MAX16), 10);
    end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
    end.writeUInt32LE(Math.min(start, MAX32), 16);
    await this.write(end);
    const out = await this.guard(this.out);
    await this.guard(out.sync());
    await out.close();
    if (this.failure) throw this.failure;
    return { sizeBytes: this.offset, sha256: this.hash.digest('hex') };
  }

  /** Stops and closes the file (the caller removes it). */
  async discard(err: Error): Promise<void> {
    this.fail(err);
    const out = await this.out.catch(() => undefined);
    // closing waits for a write still under way; a handle already closed by finish() is left be
    await out?.close().catch(() => undefined);
  }

  private async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.hash.update(chunk);
    this.offset += chunk.length;
    const out = await this.guard(this.out);
    for (let at = 0; at < chunk.length; ) at += (await this.guard(out.write(chunk, at, chunk.length - at))).bytesWritten;
  }

  /** Waits for `step`, or fails as soon as the zip does (a write failed, or it was aborted). */
  guard<T>(step: Promise<T>): Promise<T> {
    return Promise.race([step, this.failed]);
  }
}

function centralHeader(e: Written, dos: { time: number; date: number }): Buffer {
  // ZIP64 extra in the central directory: only the fields that do not fit, in this order
  const wide: bigint[] = [];
  if (e.size >= MAX32) wide.push(BigInt(e.size));
  if (e.compressedSize >= MAX32) wide.push(BigInt(e.compressedSize));
  if (e.offset >= MAX32) wide.push(BigInt(e.offset));
  const extra = Buffer.alloc(wide.length ? 4 + 8 * wide.length : 0);
  if (wide.length) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8 * wide.length, 2);
    wide.forEach((v, i) => extra.writeBigUInt64LE(v, 4 + 8 * i));
  }
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(MADE_BY, 4);
  h.writeUInt16LE(wide.length ? V45 : V20, 6);
  h.writeUInt16LE(UTF8_NAMES, 8);
  h.writeUInt16LE(DEFLATE, 10);
  h.writeUInt16LE(dos.time, 12);
  h.writeUInt16LE(dos.date, 14);
  h.writeUInt32LE(e.crc32, 16);
  h.writeUInt32LE(Math.min(e.compressedSize, MAX32), 20);
  h.writeUInt32LE(Math.min(e.size, MAX32), 24);
  h.writeUInt16LE(e.name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt16LE(0, 32); // comment
  h.writeUInt16LE(0, 34); // disk
  h.writeUInt16LE(0, 36); // internal attributes
  h.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
  h.writeUInt32LE(Math.min(e.offset, MAX32), 42);
  return Buffer.concat([h, e.name, extra]);
}
