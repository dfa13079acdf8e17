import { parse } from 'csv-parse/sync';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { Row } from '../../src/connectors/connector';
import { csvCell, csvFromNdjson, csvLine, csvLineWriter, csvRow, neutralise } from '../../src/exports/csv';

async function csvOf(records: object[], columns: string[]): Promise<string> {
  const { records: rows, csv } = csvFromNdjson(columns);
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString('utf8');
      done();
    },
  });
  const ndjson = records.map((r) => JSON.stringify(r) + '\n').join('');
  // Feed it in small pieces so lines and UTF-8 sequences are split across chunks.
  const bytes = Buffer.from(ndjson, 'utf8');
  const pieces = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
  await pipeline(Readable.from(pieces), rows, csv, sink);
  return out;
}

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `'=HYPERLINK("http://x","y")`],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@x', "'@x"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['\nx', "'\nx"],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['\uFF20x', "'\uFF20x"],
    ['x=1', 'x=1'],
    [' =1', ' =1'],
    ['', ''],
    ["'already", "'already"],
  ])('neutralises %j as %j', (input, expected) => {
    expect(neutralise(input)).toBe(expected);
  });

  it('writes values as text: null empty, nested data as JSON, numbers as they are', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(-2)).toBe("'-2");
    expect(csvCell(1.5)).toBe('1.5');
    expect(csvCell(12345678901234567890n)).toBe('12345678901234567890');
    expect(csvCell(true)).toBe('true');
    expect(csvCell({ a: [1, { b: null }] })).toBe('{"a":[1,{"b":null}]}');
    expect(csvCell(['=1'])).toBe('["=1"]');
    expect(csvCell(new Date('2024-01-02T03:04:05.000Z'))).toBe('2024-01-02T03:04:05.000Z');
    expect(csvRow({ b: 2, c: '=x' }, ['a', 'b', 'c'])).toEqual(['', '2', "'=x"]);
  });
});

describe('CSV from staged NDJSON', () => {
  it('is RFC 4180 (CRLF, quoting) and parses back to the neutralised cells', async () => {
    const records = [
      { id: 1, text: 'plain' },
      { id: 2, text: 'comma, and "quotes"' },
      { id: 3, text: 'two\nlines' },
      { id: 4, text: 'carriage\rreturn' },
      { id: 5, text: 'Åsa Öberg – 日本語 🎉' },
      { id: 6, text: '=1+1', other: { nested: true } },
      { id: 7 },
    ];
    const text = await csvOf(records, ['id', 'text', 'other']);
    expect(text.startsWith('id,text,other\r\n')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('"comma, and ""quotes"""');
    expect(text).toContain('"two\nlines"');
    const rows = parse(text, { relax_column_count: false }) as string[][];
    expect(rows).toEqual([
      ['id', 'text', 'other'],
      ['1', 'plain', ''],
      ['2', 'comma, and "quotes"', ''],
      ['3', 'two\nlines', ''],
      ['4', 'carriage\rreturn', ''],
      ['5', 'Åsa Öberg – 日本語 🎉', ''],
      ['6', "'=1+1", '{"nested":true}'],
      ['7', '', ''],
    ]);
  });

  it('neutralises header names taken from record keys', async () => {
    const text = await csvOf([{ '=cmd': 1 }], ['=cmd']);
    expect(parse(text)).toEqual([["'=cmd"], ['1']]);
  });

  it('writes only the header for no records', async () => {
    expect(await csvOf([], ['a', 'b'])).toBe('a,b\r\n');
  });
});

describe('csvLineWriter', () => {
  it('writes the same line as csvLine(csvRow(...)) for every kind of value', () => {
    const columns = ['s', 'n', 'neg', 'inf', 'nan', 'big', 'bool', 'nil', 'undef', 'date', 'bad_date', 'obj', 'arr', 'missing', 'toString', 'quote', 'full'];
    const records: Row[] = [
      {
        s: '=HYPERLINK("http://x","y")',
        n: 12.5,
        neg: -2,
        inf: Infinity,
        nan: NaN,
        big: 12345678901234567890n,
        bool: false,
        nil: null,
        undef: undefined,
        date: new Date('2025-01-02T03:04:05.000Z'),
        bad_date: new Date('x'),
        obj: { a: [1, '=x'] },
        arr: ['a,b'],
        quote: 'say "hi"\r\nbye',
        full: '＝1',
      },
      { s: '', n: 0, neg: -0, bool: true, s2: 'not a column', quote: '\tTab', full: '＠x' },
      Object.assign(Object.create(null) as Row, { s: '+1', n: 3 }),
      JSON.parse('{"__proto__": "p", "s": "@x"}') as Row,
    ];
    const line = csvLineWriter(columns);
    for (const record of records) expect(line(record)).toBe(csvLine(csvRow(record, columns)));
    expect(csvLineWriter(['__proto__'])(records[3]!)).toBe(csvLine(csvRow(records[3]!, ['__proto__'])));
  });
});
