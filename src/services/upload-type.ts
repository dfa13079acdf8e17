/**
 * What an uploaded file really is, from its bytes: the binary formats by their signature
 * (file-type), the text formats (CSV, JSON, plain text) by being valid UTF-8 without control
 * characters. The type the client declared must agree; the zip entry's extension comes from
 * what was found, never from the uploaded name.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fromFile } from 'file-type';

export interface UploadType {
  /** The extension of the generated entry name. */
  ext: 'pdf' | 'png' | 'jpg' | 'zip' | 'docx' | 'xlsx' | 'csv' | 'json' | 'txt';
  mime: string;
}

/** The binary types accepted, with the declared types that may name each. */
const BINARY: Record<string, { type: UploadType; declared: string[] }> = {
  pdf: { type: { ext: 'pdf', mime: 'application/pdf' }, declared: ['application/pdf'] },
  png: { type: { ext: 'png', mime: 'image/png' }, declared: ['image/png'] },
  jpg: { type: { ext: 'jpg', mime: 'image/jpeg' }, declared: ['image/jpeg', 'image/jpg'] },
  zip: { type: { ext: 'zip', mime: 'application/zip' }, declared: ['application/zip', 'application/x-zip-compressed'] },
  docx: {
    type: { ext: 'docx', mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
    declared: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  },
  xlsx: {
    type: { ext: 'xlsx', mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
    declared: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  },
};
const TEXT: Record<string, UploadType> = {
  'text/csv': { ext: 'csv', mime: 'text/csv' },
  'application/json': { ext: 'json', mime: 'application/json' },
  'text/plain': { ext: 'txt', mime: 'text/plain' },
};
/** What a client sends when it does not say (curl -F without ;type=, browsers for unknown extensions). */
const UNDECLARED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);
/** Largest text file parsed to check that it is JSON. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

export const ACCEPTED_TYPES = [...Object.values(BINARY).map((b) => b.type.mime), ...Object.keys(TEXT)];

export class UnsupportedTypeError extends Error {
  override name = 'UnsupportedTypeError';
}

/**
 * The file's type, or UnsupportedTypeError (safe message: types only) when its bytes are not an
 * accepted type or disagree with the declared one. `name` (already sanitised) only chooses
 * between CSV, JSON and plain text when the client declared nothing.
 */
export async function detectUploadType(file: string, declaredRaw: string | undefined, name: string): Promise<UploadType> {
  const declared = (declaredRaw ?? '').split(';')[0]!.trim().toLowerCase();
  const found = await fromFile(file);
  if (found) {
    const binary = BINARY[found.ext];
    if (!binary) throw new UnsupportedTypeError(`the file is ${found.mime}, which is not accepted (accepted: ${ACCEPTED_TYPES.join(', ')})`);
    if (!UNDECLARED.has(declared) && !binary.declared.includes(declared)) {
      throw new UnsupportedTypeError(`the file is ${binary.type.mime} but was sent as ${printable(declared)}`);
    }
    return binary.type;
  }
  if (!(await isText(file))) throw new UnsupportedTypeError(`the file is not one of the accepted types (${ACCEPTED_TYPES.join(', ')})`);
  let type: UploadType | undefined = TEXT[declared];
  if (!type && UNDECLARED.has(declared)) {
    const ext = /\.(csv|json)$/i.exec(name)?.[1]?.toLowerCase();
    type = ext === 'csv' ? TEXT['text/csv'] : ext === 'json' ? TEXT['application/json'] : TEXT['text/plain'];
  }
  if (!type) throw new UnsupportedTypeError(`${printable(declared)} is not accepted (accepted: ${ACCEPTED_TYPES.join(', ')})`);
  if (type.ext === 'json' && !(await isJson(file))) throw new UnsupportedTypeError('the file was sent as application/json but is not valid JSON');
  return type;
}

const printable = (mime: string) => (/^[a-z0-9.+-]{1,80}\/[a-z0-9.+-]{1,80}$/.test(mime) ? mime : 'another type');

/** Valid UTF-8 with no control characters but tab, line breaks and form feed. */
async function isText(file: string): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of createReadStream(file)) {
      if (/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(decoder.decode(chunk as Buffer, { stream: true }))) return false;
    }
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

async function isJson(file: string): Promise<boolean> {
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > MAX_JSON_BYTES) return false;
    JSON.parse(text.replace(/^\uFEFF/, ''));
    return true;
  } catch {
    return false;
  }
}

/** The uploaded name as metadata: no folders, no control or path characters, at most 150 characters. */
export function sanitiseFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 150);
  return clean || 'file';
}
