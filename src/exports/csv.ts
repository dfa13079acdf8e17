/**
 * CSV entries: RFC 4180 (comma, CRLF line ends, fields quoted with `"` and inner quotes doubled
 * where needed), written by csv-stringify as a stream, with cells neutralised against CSV
 * (formula) injection.
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
import { stringify, type Stringifier } from 'csv-stringify';
import type { Transform } from 'node:stream';
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

/**
 * A csv-stringify stream that takes rows (arrays of cell text, already neutralised) and writes
 * RFC 4180 CSV. `quoted_match` makes any field holding a CR or LF quoted: csv-stringify on its own
 * only quotes the full record delimiter (CRLF) and would leave a lone LF or CR unquoted.
 */
export function csvStringifier(): Stringifier {
  return stringify({
    delimiter: ',',
    quote: '"',
    escape: '"',
    record_delimiter: '\r\n',
    quoted_match: /[\r\n]/,
  });
}

/**
 * The parts of a staged NDJSON -> CSV pipeline: `records` turns NDJSON bytes into rows (the header
 * row first), `csv` writes them. Pipe them in that order.
 */
export function csvFromNdjson(columns: readonly string[]): { records: Transform; csv: Stringifier } {
  const records = ndjsonRecords((record) => csvRow(record, columns));
  records.push(columns.map(neutralise));
  return { records, csv: csvStringifier() };
}
