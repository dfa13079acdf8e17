import { Transform, type TransformCallback } from 'node:stream';

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
