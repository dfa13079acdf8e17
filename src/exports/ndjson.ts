/**
 * Streaming readers of staged NDJSON files. Lines are split on the byte 0x0A, which never occurs
 * inside a multi-byte UTF-8 sequence, and a JSON text never holds a raw newline: so splitting is
 * exact without decoding whole chunks.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Row } from '../connectors/connector';

const NEWLINE = 0x0a;
const OPEN = Buffer.from('[\n');
const SEPARATOR = Buffer.from(',\n');
const CLOSE = Buffer.from('\n]\n');
const EMPTY = Buffer.from('[]\n');

/**
 * NDJSON bytes in, the same records as one JSON array out (`[\n r1,\n r2\n]\n`), byte for byte
 * as staged: no parsing, so the records stay exactly as the source held them.
 */
export function ndjsonToJsonArray(): Transform {
  let started = false;
  let pendingSeparator = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const parts: Buffer[] = [];
      let start = 0;
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
        if (i > start) {
          if (!started) parts.push(OPEN);
          else if (pendingSeparator) parts.push(SEPARATOR);
          started = true;
          pendingSeparator = false;
          parts.push(chunk.subarray(start, i));
        }
        // The newline ends a record; whether a comma follows depends on whether another comes.
        pendingSeparator = started;
        start = i + 1;
      }
      if (start < chunk.length) {
        if (!started) parts.push(OPEN);
        else if (pendingSeparator) parts.push(SEPARATOR);
        started = true;
        pendingSeparator = false;
        parts.push(chunk.subarray(start));
      }
      done(null, parts.length ? Buffer.concat(parts) : undefined);
    },
    flush(done: TransformCallback) {
      done(null, started ? CLOSE : EMPTY);
    },
  });
}

const COMMA = 0x2c;

/** A line of a JSON array written one record per line: the record without its comma, or nothing. */
function arrayLine(line: Buffer): Buffer {
  if (line.length <= 2 && (line[0] === 0x5b || line[0] === 0x5d)) return line.subarray(0, 0); // "[", "]", "[]"
  return line[line.length - 1] === COMMA ? line.subarray(0, line.length - 1) : line;
}

/**
 * NDJSON bytes in, `map(record)` out (object mode). With `jsonArray` the input is instead a JSON
 * array with one record per line, as the JSON entries hold them (see jsonArray below). Blank lines are skipped; a line that is not
 * a JSON object fails the stream with its line number (never its content).
 */
export function ndjsonRecords<T>(map: (record: Row) => T, options: { jsonArray?: boolean } = {}): Transform {
  let rest: Buffer | undefined;
  let line = 0;
  const parse = (raw: Buffer): T | undefined => {
    line += 1;
    const bytes = options.jsonArray ? arrayLine(raw) : raw;
    if (bytes.length === 0) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new Error(`staged NDJSON line ${line} is not valid JSON`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`staged NDJSON line ${line} is not a JSON object`);
    }
    return map(value as Row);
  };
  return new Transform({
    readableObjectMode: true,
    readableHighWaterMark: 256,
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        const data = rest ? Buffer.concat([rest, chunk]) : chunk;
        let start = 0;
        for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, start)) {
          const out = parse(data.subarray(start, i));
          if (out !== undefined) this.push(out);
          start = i + 1;
        }
        // Copy the tail so the (possibly large) chunk it came from can be freed.
        rest = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        if (rest) {
          const out = parse(rest);
          if (out !== undefined) this.push(out);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** Records in (object mode), a JSON array of them out, one record per line. */
export function jsonArray(): Transform {
  let first = true;
  return new Transform({
    writableObjectMode: true,
    writableHighWaterMark: 256,
    transform(record: unknown, _enc, done: TransformCallback) {
      const text = (first ? '[\n' : ',\n') + JSON.stringify(record);
      first = false;
      done(null, text);
    },
    flush(done: TransformCallback) {
      done(null, first ? '[]\n' : '\n]\n');
    },
  });
}

/** A record's line break goes after this, when what follows is not the rest of a string (see jsonLines). */
const RECORD_BOUNDARY = /\},\{"(?=[^:,}])/g;

/**
 * `records.map((r) => JSON.stringify(r)).join(',\n')`: the records as the lines of a JSON array,
 * built faster. Records whose values are all strings, numbers, booleans or null (flat records,
 * the usual case) are stringified in one call as an array, which is then broken after each
 * record; any other batch is stringified one record at a time. Keep the batches small (a few
 * hundred records): a string beyond about 128 KB costs V8 more to allocate than to build.
 *
 * Why the break is exact for flat records: in their array's text, `{` and `}` occur only as a
 * record's own braces or inside a string, and inside a string a `"` is always escaped except the
 * closing one. So `},{"` is either a record's end, the separating comma, the next record's
 * opening brace and the opening quote of its first key; or the end `},{` of a string and its
 * closing quote, which a key's colon, or the next value's comma, or the record's brace follows.
 * The character after `},{"` tells them apart, as long as no first key starts with `:`, `,` or
 * `}` and no record is empty: such batches take the record-at-a-time way.
 */
export function jsonLines(records: readonly Row[]): string {
  if (records.length === 0) return '';
  if (inheritsEnumerable() || !records.every(isFlat)) return records.map((r) => JSON.stringify(r)).join(',\n');
  const text = JSON.stringify(records);
  return text.slice(1, -1).replace(RECORD_BOUNDARY, '},\n{"');
}

/**
 * A record JSON.stringify writes as `{"key":value,...}` with at least one key and only primitive
 * values (see jsonLines). A plain object, so that (with nothing enumerable on Object.prototype,
 * see inheritsEnumerable) every key `for...in` visits is its own, as JSON.stringify sees them.
 */
function isFlat(record: Row): boolean {
  if (Object.getPrototypeOf(record) !== Object.prototype) return false;
  let first: string | undefined;
  for (const key in record) {
    const value = record[key];
    if (value === undefined) continue;
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
    first ??= key;
  }
  if (first === undefined) return false;
  const c = first.charCodeAt(0);
  return c !== 0x3a && c !== 0x2c && c !== 0x7d; // ':' ',' '}'
}

/** Whether Object.prototype has an enumerable property (which `for...in` would visit on every record). */
function inheritsEnumerable(): boolean {
  for (const key in Object.prototype) if (key !== undefined) return true;
  return false;
}
