/**
 * A zip entry's content written ahead of the zip: text in, raw deflate (level 6, the zip
 * default) out to a file, with the CRC-32, sha256 and size of the uncompressed bytes.
 *
 * The caller only encodes its text, as UTF-8 straight into a ring buffer shared with a worker
 * thread (one per process while entries are open); digesting, compressing and writing the file
 * happen there, so a producer reading and serialising records keeps its thread to itself. Each
 * entry has a RING_BYTES ring: a write waits only when the worker is that far behind, so memory
 * stays flat. The zip writer (zip.ts) later copies the compressed bytes.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { crc32, deflateRaw } from 'node:zlib';

export const DEFLATE_LEVEL = 6;
const IDLE_MS = 60_000;
/** Each entry's ring buffer shared with the worker. */
const RING_BYTES = 2 * 1024 * 1024;
/** Bytes gathered in the ring before they are handed to the worker (each hand-over wakes it). */
const POST_BYTES = 512 * 1024;
/** Larger texts are encoded first and copied into the ring in pieces of this size. */
const PIECE = RING_BYTES / 4;

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

type Reply =
  | { id: number; op: 'ack' }
  | { id: number; op: 'done'; size: number; compressedSize: number; crc32: number; sha256: string }
  | { id: number; op: 'error'; message: string; code?: string }
  | { id: number; op: 'aborted' };

/**
 * The worker's code (plain JavaScript, run with `eval` so that it needs no separate build step).
 * Per entry: each chunk (a range of the entry's ring) is digested (sha256, CRC-32, size),
 * compressed and appended to the file, then acknowledged. The chunks form one raw deflate
 * stream (level 6), each ending on a sync flush (an empty stored block), the last one on the
 * final block; inflating needs nothing special. The work happens on the worker's own thread,
 * without a round trip per chunk.
 *
 * Each entry keeps one zlib stream, driven synchronously into one output buffer the worker
 * reuses: compressing allocates nothing per chunk. (A one-shot deflateRawSync per chunk leaves
 * its output and dictionary buffers to the worker's garbage collector, which, with so little
 * else allocated on that thread, let tens of MB pile up over a large export.) Where the
 * stream's synchronous handle is not available, each chunk is deflated on its own, primed with
 * the 32 KiB before it, as pigz does.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, writeSync } = require('node:fs');
const { constants, crc32, createDeflateRaw, deflateRawSync } = require('node:zlib');
const WINDOW = 32 * 1024;
const OUT = Buffer.allocUnsafe(256 * 1024);
const entries = new Map();
function writeAll(fd, data) {
  for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
}
/** The entry's zlib stream, when its synchronous handle can be driven directly. */
function openStream(level) {
  const z = createDeflateRaw({ level });
  if (typeof z._handle?.writeSync !== 'function' || !(z._writeState instanceof Uint32Array)) {
    z.close();
    return null;
  }
  z._handle.onerror = (message) => {
    z.failure = new Error(message);
  };
  return z;
}
/** Compresses the next chunk of the entry's deflate stream and appends it to the file. */
function deflatePiece(e, bytes, flush) {
  if (!e.z) return deflateAlone(e, bytes, flush);
  const state = e.z._writeState;
  let at = 0;
  for (;;) {
    e.z._handle.writeSync(flush, bytes, at, bytes.length - at, OUT, 0, OUT.length);
    if (e.z.failure) throw e.z.failure;
    const outLeft = state[0];
    const inLeft = state[1];
    const produced = OUT.length - outLeft;
    if (produced) writeAll(e.fd, OUT.subarray(0, produced));
    e.compressed += produced;
    at = bytes.length - inLeft;
    // output space left over: zlib took all the input and flushed
    if (outLeft !== 0) return;
  }
}
function deflateAlone(e, bytes, flush) {
  const out = deflateRawSync(bytes, { level: e.level, finishFlush: flush, ...(e.window ? { dictionary: e.window } : {}) });
  writeAll(e.fd, out);
  e.compressed += out.length;
  const keep = bytes.length >= WINDOW ? bytes.subarray(bytes.length - WINDOW) : Buffer.concat([e.window || Buffer.alloc(0), bytes]).subarray(-WINDOW);
  e.window = Buffer.from(keep);
}
function release(e) {
  if (e.z) e.z.close();
  e.z = null;
  if (e.fd !== -1) closeSync(e.fd);
  e.fd = -1;
}
parentPort.on('message', (m) => {
  let e = entries.get(m.id);
  try {
    if (m.op === 'open') {
      e = { ring: Buffer.from(m.ring), level: m.level, fd: -1, z: null, hash: createHash('sha256'), crc: 0, size: 0, compressed: 0, window: null };
      entries.set(m.id, e);
      e.fd = openSync(m.file, 'w');
      e.z = openStream(m.level);
    } else if (!e) {
      // an entry that already ended or failed: an abort is still answered, so nobody waits for it
      if (m.op === 'abort') parentPort.postMessage({ id: m.id, op: 'aborted' });
      return;
    } else if (m.op === 'write') {
      // the caller does not reuse this part of the ring before it is acknowledged
      const bytes = e.ring.subarray(m.start, m.start + m.length);
      e.hash.update(bytes);
      e.crc = crc32(bytes, e.crc);
      e.size += bytes.length;
      deflatePiece(e, bytes, constants.Z_SYNC_FLUSH);
      parentPort.postMessage({ id: m.id, op: 'ack' });
    } else if (m.op === 'end') {
      deflatePiece(e, Buffer.alloc(0), constants.Z_FINISH);
      entries.delete(m.id);
      release(e);
      parentPort.postMessage({ id: m.id, op: 'done', size: e.size, compressedSize: e.compressed, crc32: e.crc, sha256: e.hash.digest('hex') });
    } else if (m.op === 'abort') {
      entries.delete(m.id);
      release(e);
      parentPort.postMessage({ id: m.id, op: 'aborted' });
    }
  } catch (err) {
    if (e) {
      entries.delete(m.id);
      try { release(e); } catch {}
    }
    parentPort.postMessage({ id: m.id, op: 'error', message: String(err && err.message), code: err && err.code });
  }
});
`;

/** The worker shared by the open entries; it stops when none has been open for IDLE_MS. */
class Compressor {
  private static current: Compressor | undefined;
  private readonly worker: Worker;
  private readonly open = new Map<number, (reply: Reply) => void>();
  private nextId = 1;

  static acquire(): Compressor {
    Compressor.current ??= new Compressor();
    clearTimeout(Compressor.current.idle);
    return Compressor.current;
  }

  private idle: NodeJS.Timeout | undefined;

  private constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (reply: Reply) => this.open.get(reply.id)?.(reply));
    const fail = (err: Error) => {
      if (Compressor.current === this) Compressor.current = undefined;
      for (const [id, deliver] of this.open) deliver({ id, op: 'error', message: err.message });
      this.open.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the compression worker stopped (${code})`)));
    // an idle worker does not keep the process alive (listeners first: adding them refs it again)
    this.worker.unref();
  }

  openEntry(file: string, ring: SharedArrayBuffer, deliver: (reply: Reply) => void): number {
    const id = this.nextId++;
    this.open.set(id, deliver);
    // an entry being written keeps the process alive until the worker answers
    if (this.open.size === 1) this.worker.ref();
    this.worker.postMessage({ op: 'open', id, file, ring, level: DEFLATE_LEVEL });
    return id;
  }

  write(id: number, start: number, length: number): void {
    this.worker.postMessage({ op: 'write', id, start, length });
  }

  send(id: number, op: 'end' | 'abort'): void {
    this.worker.postMessage({ op, id });
  }

  close(id: number): void {
    this.open.delete(id);
    if (this.open.size === 0) this.worker.unref();
    if (this.open.size === 0 && Compressor.current === this) {
      // kept for the next export for a while: a thread's memory is not always given back
      this.idle = setTimeout(() => {
        if (this.open.size > 0 || Compressor.current !== this) return;
        Compressor.current = undefined;
        void this.worker.terminate();
      }, IDLE_MS);
      this.idle.unref();
    }
  }
}

export class DeflatedEntryWriter {
  private readonly compressor = Compressor.acquire();
  private readonly id: number;
  private readonly ring = Buffer.from(new SharedArrayBuffer(RING_BYTES));
  /** Ranges of the ring the worker has not acknowledged yet, oldest first. */
  private readonly pending: { start: number; end: number }[] = [];
  private head = 0;
  /** The newest range (last of `pending`), while it is still being filled. */
  private unposted: { start: number; end: number } | undefined;
  private queue: Promise<void> = Promise.resolve();
  private waiting: { need: number; resolve: () => void; reject: (err: Error) => void } | undefined;
  private finished: { resolve: (entry: DeflatedEntry) => void; reject: (err: Error) => void } | undefined;
  private aborted: (() => void) | undefined;
  private failure: Error | undefined;
  private ended = false;
  private closed = false;

  constructor(readonly file: string) {
    this.id = this.compressor.openEntry(file, this.ring.buffer as SharedArrayBuffer, (reply) => this.onReply(reply));
  }

  /**
   * Adds text (as UTF-8) or bytes; resolves at once unless the worker is a whole ring behind.
   * Writes not awaited one by one keep their order.
   */
  write(data: string | Buffer): Promise<void> {
    const next = this.queue.then(() => this.put(data));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async put(data: string | Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.ended) throw new Error('the entry is already complete');
    if (data.length === 0) return;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit
    const bound = typeof data === 'string' ? data.length * 3 : data.length;
    if (bound > PIECE) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let at = 0; at < bytes.length; at += PIECE) await this.put(bytes.subarray(at, at + PIECE));
      return;
    }
    let start = this.place(bound);
    if (start === -1) {
      this.post();
      await new Promise<void>((resolve, reject) => (this.waiting = { need: bound, resolve, reject }));
      start = this.place(bound);
    }
    const length = typeof data === 'string' ? this.ring.write(data, start, 'utf8') : data.copy(this.ring, start);
    if (this.unposted?.end === start) this.unposted.end += length;
    else {
      this.post();
      this.unposted = { start, end: start + length };
      this.pending.push(this.unposted);
    }
    this.head = start + length;
    if (this.unposted.end - this.unposted.start >= POST_BYTES) this.post();
  }

  /** Hands the bytes written since the last hand-over to the worker. */
  private post(): void {
    if (!this.unposted) return;
    this.compressor.write(this.id, this.unposted.start, this.unposted.end - this.unposted.start);
    this.unposted = undefined;
  }

  /** Where `need` contiguous bytes are free in the ring, or -1. */
  private place(need: number): number {
    if (this.pending.length === 0) return 0;
    const tail = this.pending[0]!.start;
    if (this.head >= tail) {
      if (RING_BYTES - this.head >= need) return this.head;
      return need < tail ? 0 : -1;
    }
    return tail - this.head > need ? this.head : -1;
  }

  /** Writes `last`, flushes the compressor and closes the file. */
  async end(last: string | Buffer = ''): Promise<DeflatedEntry> {
    await this.write(last);
    this.post();
    this.ended = true;
    const done = new Promise<DeflatedEntry>((resolve, reject) => (this.finished = { resolve, reject }));
    this.compressor.send(this.id, 'end');
    return done;
  }

  /** Stops without a result and closes the file (the caller removes it). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.ended = true;
    this.failure ??= new Error('the entry was abandoned');
    const stopped = new Promise<void>((resolve) => (this.aborted = resolve));
    this.compressor.send(this.id, 'abort');
    await stopped;
  }

  private onReply(reply: Reply): void {
    switch (reply.op) {
      case 'ack':
        this.pending.shift();
        if (this.waiting && this.place(this.waiting.need) !== -1) {
          this.waiting.resolve();
          this.waiting = undefined;
        }
        return;
      case 'done':
        this.release();
        this.finished?.resolve({ file: this.file, size: reply.size, compressedSize: reply.compressedSize, crc32: reply.crc32, sha256: reply.sha256 });
        // an abort sent after the end: the entry is complete and closed, which is all it waits for
        this.aborted?.();
        return;
      case 'error': {
        this.release();
        const err = Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {});
        this.failure ??= err;
        this.waiting?.reject(err);
        this.finished?.reject(err);
        this.aborted?.();
        return;
      }
      case 'aborted':
        this.release();
        this.waiting?.reject(this.failure!);
        this.aborted?.();
    }
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.compressor.close(this.id);
  }
}

const deflateRawAsync = promisify(deflateRaw);

/** A small entry deflated at once (index.html, manifest.json). */
export async function deflateBuffer(data: Buffer): Promise<{ data: Buffer; size: number; crc32: number; sha256: string }> {
  const out = await deflateRawAsync(data, { level: DEFLATE_LEVEL });
  return { data: out, size: data.length, crc32: crc32(data), sha256: createHash('sha256').update(data).digest('hex') };
}
