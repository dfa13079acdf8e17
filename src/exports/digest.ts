import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through that computes the sha256 and the size in bytes of what flows through it. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private hex: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** Valid once everything has been written through (after 'finish'). */
  get digest(): { sha256: string; size: number } {
    this.hex ??= this.hash.digest('hex');
    return { sha256: this.hex, size: this.bytes };
  }
}

export function digestOf(data: Buffer): { sha256: string; size: number } {
  return { sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
}

/**
 * Gathers small chunks into chunks of about `size` bytes. Record-at-a-time producers (CSV rows,
 * filtered JSON records) emit chunks of ~100 bytes; handing each one to deflate separately costs
 * far more than the compression itself.
 */
export function coalesce(size = 64 * 1024): Transform {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= size) {
        const out = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        done(null, out);
      } else done();
    },
    flush(done: TransformCallback) {
      done(null, pendingBytes ? Buffer.concat(pending, pendingBytes) : undefined);
    },
  });
}
