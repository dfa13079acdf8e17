/**
 * CSV entries: RFC 4180 (comma, CRLF line ends, a field quoted with `"` when it holds a comma,
 * a quote, CR or LF, inner quotes doubled), written as a stream, with cells neutralised against
 * CSV (formula) injection. The writer is these few lines rather than csv-stringify: on a million
 * records csv-stringify took most of the export's time, and RFC 4180 quoting is all that is needed.
 *
 * The neutralisation rule (OWASP "CSV Injection"): when the text of a cell begins with one of
 *   `=`  `+`  `-`  `@`  TAB (0x09)  CR (0x0D)  LF (0x0A)
 * or with the full-width forms `＝` `＋` `－` `＠` (U+FF1D, U+FF0B, U+FF0D, U+FF20, which Apple
 * Numbers reads as the ASCII ones), a single quote `'` is put in front of it, so spreadsheet
 * programs show it as text instead of evaluating it. `=HYPERLINK("http://x","y")` becomes `'=HYPERLINK("http://x","y")` (and is then
 * quoted for CSV as usual). The rule is applied to the final text of every cell and every header,
 * whatever the value's type: a negative number is written `'-2` too, so that no cell of the file
 * starts with one of those characters. Nothing else is changed (no trimming, no other characters
 * are looked at); the `.json` entry next to the CSV holds the values unaltered.
 *
 * Cell text: null and undefined are empty, strings as they are, numbers and bigints in decimal,
 * booleans `true`/`false`, dates in ISO 8601, objects and arrays as JSON text.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Row } from '../connectors/connector';
import { ndjsonRecords } from './ndjson';

const DANGEROUS_FIRST = new Set(['=', '+', '-', '@', '\t', '\r', '\n', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);

/** Puts `'` before text that a spreadsheet could take as a formula (see the rule above). */
export function neutralise(text: string): string {
  return text.length > 0 && DANGEROUS_FIRST.has(text[0]!) ? `'${text}` : text;
}

/** The CSV text of one value, neutralised. */
export function csvCell(value: unknown): string {
  return neutralise(cellText(value));
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  return JSON.stringify(value) ?? '';
}

/** One record as the cells of the given columns. */
export function csvRow(record: Row, columns: readonly string[]): string[] {
  return columns.map((column) => (Object.prototype.hasOwnProperty.call(record, column) ? csvCell(record[column]) : ''));
}

const NEEDS_QUOTES = /[",\r\n]/;

/** First characters (as UTF-16 code units) that `neutralise` guards against. */
const DANGEROUS_CODES = new Set([...DANGEROUS_FIRST].map((c) => c.charCodeAt(0)));

/**
 * `csvLine(csvRow(record, columns))` as one function per column list, for writing many records:
 * the same text, built without the intermediate arrays.
 */
export function csvLineWriter(columns: readonly string[]): (record: Row) => string {
  const cols = [...columns];
  return (record) => {
    let line = '';
    for (let i = 0; i < cols.length; i++) {
      const column = cols[i]!;
      const value = record[column];
      let text: string;
      if (typeof value === 'number') {
        // a finite number's text needs no quotes, and only a minus sign neutralising
        text = Number.isFinite(value) && Object.hasOwn(record, column) ? (value < 0 ? `'${value}` : String(value)) : '';
      } else {
        if (typeof value === 'string') text = Object.hasOwn(record, column) ? value : '';
        else if (value === undefined || value === null) text = '';
        else text = Object.hasOwn(record, column) ? cellText(value) : '';
        if (text.length > 0 && DANGEROUS_CODES.has(text.charCodeAt(0))) text = `'${text}`;
        if (NEEDS_QUOTES.test(text)) text = `"${text.replace(/"/g, '""')}"`;
      }
      line += i === 0 ? text : `,${text}`;
    }
    return `${line}\r\n`;
  };
}

/** One RFC 4180 field: quoted when it holds a comma, quote, CR or LF; inner quotes doubled. */
export function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record (cells already neutralised) with its CRLF. */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** Gathers lines into chunks of about 64 KB (one deflate call per chunk, not per line). */
export function lineBatcher(): Transform {
  let pending: string[] = [];
  let size = 0;
  return new Transform({
    writableObjectMode: true,
    transform(line: string, _enc, done: TransformCallback) {
      pending.push(line);
      size += line.length;
      if (size < 65_536) return done();
      const chunk = pending.join('');
      pending = [];
      size = 0;
      done(null, Buffer.from(chunk, 'utf8'));
    },
    flush(done: TransformCallback) {
      done(null, pending.length ? Buffer.from(pending.join(''), 'utf8') : undefined);
    },
  });
}

/**
 * The parts of a staged NDJSON -> CSV pipeline: `records` turns NDJSON bytes into CSV lines (the
 * header first), `csv` gathers them into byte chunks. Pipe them in that order.
 */
export function csvFromNdjson(columns: readonly string[], options: { jsonArray?: boolean } = {}): { records: Transform; csv: Transform } {
  const records = ndjsonRecords(csvLineWriter(columns), options);
  records.push(csvLine(columns.map(neutralise)));
  return { records, csv: lineBatcher() };
}
