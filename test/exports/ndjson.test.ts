import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import { jsonArray, jsonLines, ndjsonRecords, ndjsonToJsonArray } from '../../src/exports/ndjson';

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

describe('jsonLines', () => {
  const oneByOne = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).join(',\n');

  it('gives one record per line, exactly as JSON.stringify writes each', () => {
    const rows = [
      { id: 1, title: 'x},{"y":1', note: null, ok: true },
      { id: 2, title: 'ends in },{', n: -0.5 },
      { v: '},{"', '},{': 'key like a boundary', '},{"a"': '},{' },
      { id: 3, title: '"},{"id":4}', skipped: undefined, fn: undefined },
      { id: 5, text: 'Åsa 日本語 🎉 \u2028 \u0000 \ud800', quote: '\\"' },
    ];
    const text = jsonLines(rows);
    expect(text).toBe(oneByOne(rows));
    expect(text.split('\n')).toHaveLength(rows.length);
    expect(JSON.parse(`[${text}]`)).toEqual(JSON.parse(JSON.stringify(rows)));
  });

  it.each([
    ['a first key starting with a colon', [{ a: 'x},{' }, { ':b': 1 }]],
    ['a first key starting with a comma', [{ a: 'x},{' }, { ',b': 1 }]],
    ['a first key starting with a brace', [{ a: 1 }, { '}': 1 }]],
    ['an empty record', [{ a: 1 }, {}, { b: 2 }]],
    ['a record with only undefined values', [{ a: 1 }, { b: undefined }, { c: 2 }]],
    ['a nested array of records', [{ a: [{ x: 1 }, { y: 2 }] }, { b: 1 }]],
    ['a nested object', [{ a: { x: '},{"' } }, { b: 1 }]],
    ['a date', [{ at: new Date(0) }, { b: 1 }]],
    ['a record made by a class', [{ a: 'x},{' }, new (class Row { ':b' = 1 })()]],
  ])('stays exact with %s', (_name, rows) => {
    expect(jsonLines(rows as Record<string, unknown>[])).toBe(oneByOne(rows as Record<string, unknown>[]));
  });

  it('matches record-by-record stringify on generated records full of braces, commas and quotes', () => {
    const alphabet = ['}', ',', '{', '"', ':', '\\', 'a', '\n', 'é', '0', '},{', '},{"'];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 16807) % 2147483647; // Park-Miller: the same records every run
      return Math.floor((seed / 2147483647) * n);
    };
    const word = () => Array.from({ length: random(6) }, () => alphabet[random(alphabet.length)]).join('');
    for (let round = 0; round < 300; round++) {
      const rows = Array.from({ length: 1 + random(6) }, () => {
        // a first key of plain letters half the time: the batch is then stringified at once
        const r: Record<string, unknown> = round % 2 ? { [`k${word()}`]: word() } : {};
        for (let k = random(4); k >= 0; k--) r[word()] = random(3) === 0 ? random(100) : word();
        return r;
      });
      expect(jsonLines(rows)).toBe(oneByOne(rows));
    }
  });

  it('stays exact when Object.prototype has an enumerable property', () => {
    const rows = [{ a: 1 }, {}, { c: 2 }];
    Object.defineProperty(Object.prototype, 'polluted', { value: 1, enumerable: true, configurable: true });
    try {
      expect(jsonLines(rows)).toBe(oneByOne(rows));
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('is empty for no records', () => {
    expect(jsonLines([])).toBe('');
  });
});
