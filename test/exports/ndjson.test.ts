import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import { jsonArray, ndjsonRecords, ndjsonToJsonArray } from '../../src/exports/ndjson';

async function run(input: Buffer, chunkSize: number, ...transforms: Transform[]): Promise<string> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) pieces.push(input.subarray(i, i + chunkSize));
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(Buffer.from(chunk));
      done();
    },
  });
  await pipeline([Readable.from(pieces), ...transforms, sink]);
  return Buffer.concat(out).toString('utf8');
}

const records = [{ a: 1 }, { b: 'x\ny' }, { c: 'ÅÄÖ 🎉' }, { d: [1, { e: null }] }, {}];
const ndjson = Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');

describe('NDJSON to a JSON array', () => {
  it.each([1, 2, 3, 5, 8, 1000])('gives the records back whatever the chunking (%i bytes)', async (size) => {
    const text = await run(ndjson, size, ndjsonToJsonArray());
    expect(JSON.parse(text)).toEqual(records);
    expect(text.startsWith('[\n{"a":1},\n')).toBe(true);
  });

  it('gives [] for an empty file and skips blank lines', async () => {
    expect(JSON.parse(await run(Buffer.alloc(0), 1, ndjsonToJsonArray()))).toEqual([]);
    const withBlanks = Buffer.from('\n{"a":1}\n\n{"b":2}\n\n');
    for (const size of [1, 2, 4, 100]) {
      expect(JSON.parse(await run(withBlanks, size, ndjsonToJsonArray()))).toEqual([{ a: 1 }, { b: 2 }]);
    }
  });

  it('parses and re-serialises records through ndjsonRecords + jsonArray', async () => {
    for (const size of [1, 3, 1000]) {
      const text = await run(ndjson, size, ndjsonRecords((r) => r), jsonArray());
      expect(JSON.parse(text)).toEqual(records);
    }
  });

  it('fails on a line that is not a JSON object, naming the line, not its content', async () => {
    await expect(run(Buffer.from('{"a":1}\n[1,2]\n'), 4, ndjsonRecords((r) => r), jsonArray())).rejects.toThrow(
      'staged NDJSON line 2 is not a JSON object',
    );
    await expect(run(Buffer.from('{"a":1}\n{"secret": \n'), 4, ndjsonRecords((r) => r), jsonArray())).rejects.toThrow(
      /^staged NDJSON line 2 is not valid JSON$/,
    );
  });
});
