import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { deflateBuffer, DeflatedEntryWriter } from '../../src/exports/deflated';
import { ZipFileWriter } from '../../src/exports/zip';
import * as yauzl from 'yauzl';
import { tempDir, unzip } from './support';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const DATE = new Date(2025, 2, 2, 10, 30, 14);

/** `unzip -t` (Info-ZIP) on the file: its exit code and last line. */
function unzipTest(file: string): string {
  return execFileSync('unzip', ['-tq', file], { encoding: 'utf8' }).trim();
}

describe('DeflatedEntryWriter', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  it('deflates text and bytes to a raw deflate file with the digests of the uncompressed bytes', async () => {
    const parts = ['[\n', '{"name":"Åsa Öberg","note":"日本語 🎉"}', ',\n', '{"id":2}', '\n]\n'];
    const w = new DeflatedEntryWriter(join(dir.path, 'a.deflate'));
    for (const p of parts.slice(0, 3)) await w.write(p);
    await w.write(Buffer.from(parts[3]!, 'utf8'));
    const entry = await w.end(parts[4]);
    const expected = Buffer.from(parts.join(''), 'utf8');
    const compressed = await readFile(entry.file);
    expect(inflateRawSync(compressed)).toEqual(expected);
    expect(entry).toEqual({ file: join(dir.path, 'a.deflate'), size: expected.length, compressedSize: compressed.length, crc32: crc32(expected), sha256: sha(expected) });
  });

  it('keeps the order of writes that were not awaited, across many ring turns, with large and small pieces', async () => {
    const w = new DeflatedEntryWriter(join(dir.path, 'b.deflate'));
    const pieces: string[] = [];
    for (let i = 0; i < 400; i++) pieces.push(`${i}:${'x'.repeat((i * 7919) % 60_000)}|`);
    pieces.push('y'.repeat(3_000_000)); // larger than the ring: written in parts
    for (let i = 0; i < 50; i++) pieces.push(`tail ${i} ä\n`);
    const writes = pieces.map((p) => w.write(p));
    await Promise.all(writes);
    const entry = await w.end();
    const expected = Buffer.from(pieces.join(''), 'utf8');
    // compared by digest: toEqual on megabytes of buffer takes minutes
    expect(sha(inflateRawSync(await readFile(entry.file)))).toBe(sha(expected));
    expect(entry.size).toBe(expected.length);
    expect(entry.sha256).toBe(sha(expected));
  });

  it('gives an empty entry for no content', async () => {
    const entry = await new DeflatedEntryWriter(join(dir.path, 'c.deflate')).end();
    expect(inflateRawSync(await readFile(entry.file)).length).toBe(0);
    expect(entry).toMatchObject({ size: 0, crc32: 0, sha256: sha(Buffer.alloc(0)) });
  });

  it('reports a file that cannot be written, and stops on abort', async () => {
    const bad = new DeflatedEntryWriter(join(dir.path, 'no-such-dir', 'x.deflate'));
    await expect(
      (async () => {
        await bad.write('abc');
        await bad.end();
      })(),
    ).rejects.toThrow(/ENOENT/);
    const w = new DeflatedEntryWriter(join(dir.path, 'd.deflate'));
    await w.write('some text');
    await w.abort();
    await expect(w.write('more')).rejects.toThrow(/abandoned/);
  });
});

describe('ZipFileWriter', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  it('writes pre-deflated entries that yauzl and unzip -t read back, with CRCs, names and dates', async () => {
    const file = join(dir.path, 'a.zip');
    const zip = new ZipFileWriter(file, DATE);
    const first = Buffer.from('{"a":1}\n'.repeat(1000), 'utf8');
    const w = new DeflatedEntryWriter(join(dir.path, 'first.deflate'));
    const staged = await w.end(first);
    await zip.add({ name: 'app/activity.json', ...staged });
    const small = await deflateBuffer(Buffer.from('<p>Åsa</p>', 'utf8'));
    await zip.add({ name: 'index.html', ...small, compressedSize: small.data.length });
    const empty = await deflateBuffer(Buffer.alloc(0));
    await zip.add({ name: 'app/empty.csv', ...empty, compressedSize: empty.data.length });
    const { sizeBytes, sha256 } = await zip.finish();

    const bytes = await readFile(file);
    expect(sizeBytes).toBe(bytes.length);
    expect(sha256).toBe(sha(bytes));
    const files = await unzip(file);
    expect([...files.keys()]).toEqual(['app/activity.json', 'index.html', 'app/empty.csv']);
    expect(files.get('app/activity.json')).toEqual(first);
    expect(files.get('index.html')!.toString('utf8')).toBe('<p>Åsa</p>');
    expect(files.get('app/empty.csv')!.length).toBe(0);
    expect(unzipTest(file)).toMatch(/No errors detected/);
    const listing = execFileSync('unzip', ['-l', file], { encoding: 'utf8' });
    expect(listing).toContain('2025-03-02 10:30');
  });

  it('fails on data shorter than declared, and on a write after abort', async () => {
    const zip = new ZipFileWriter(join(dir.path, 'b.zip'), DATE);
    const data = deflateRawSync(Buffer.from('abc'));
    await expect(zip.add({ name: 'x', size: 3, compressedSize: data.length + 1, crc32: crc32(Buffer.from('abc')), data })).rejects.toThrow(/expected/);
    const controller = new AbortController();
    const aborted = new ZipFileWriter(join(dir.path, 'c.zip'), DATE, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted.add({ name: 'x', size: 3, compressedSize: data.length, crc32: crc32(Buffer.from('abc')), data })).rejects.toThrow('stop');
    await aborted.discard(new Error('stop'));
  });

  it('holds more than 65,535 entries (ZIP64 end records), read by yauzl and unzip -t', async () => {
    const file = join(dir.path, 'many.zip');
    const zip = new ZipFileWriter(file, DATE);
    const count = 70_000;
    const content = Buffer.from('same content\n', 'utf8');
    const data = deflateRawSync(content, { level: 6 });
    for (let i = 0; i < count; i++) await zip.add({ name: `d/${i}.txt`, size: content.length, compressedSize: data.length, crc32: crc32(content), data });
    await zip.finish();
    const listed = await new Promise<{ count: number; names: string[] }>((resolve, reject) =>
      yauzl.open(file, { lazyEntries: true }, (err, z) => {
        if (err || !z) return reject(err);
        const names: string[] = [];
        z.on('entry', (e: yauzl.Entry) => {
          names.push(e.fileName);
          z.readEntry();
        });
        z.on('end', () => resolve({ count: z.entryCount, names }));
        z.on('error', reject);
        z.readEntry();
      }),
    );
    expect(listed.count).toBe(count);
    expect(listed.names).toHaveLength(count);
    expect(listed.names[count - 1]).toBe(`d/${count - 1}.txt`);
    // unzip -t inflates every entry and checks its CRC
    expect(unzipTest(file)).toMatch(/No errors detected/);
  }, 120_000);

  it('copies a deflated file in chunks and removes nothing it was not given', async () => {
    const content = Buffer.alloc(3_000_000);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31 + (i >> 7)) & 0xff;
    const deflated = deflateRawSync(content, { level: 6 });
    const src = join(dir.path, 'big.deflate');
    await writeFile(src, deflated);
    const file = join(dir.path, 'big.zip');
    const zip = new ZipFileWriter(file, DATE);
    await zip.add({ name: 'big.bin', size: content.length, compressedSize: deflated.length, crc32: crc32(content), file: src });
    await zip.finish();
    expect(sha((await unzip(file)).get('big.bin')!)).toBe(sha(content));
    expect(unzipTest(file)).toMatch(/No errors detected/);
    expect((await readdir(dir.path)).sort()).toEqual(['big.deflate', 'big.zip']);
    expect((await stat(src)).size).toBe(deflated.length);
  });
});
