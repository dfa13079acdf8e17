/**
 * Validates real responses against the response schemas in SendGrid's own OpenAPI specs
 * (../shared/reference/sendgrid, read in place) with Ajv (JSON Schema 2020-12, as OpenAPI 3.1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

export const SPEC_DIR = path.resolve(__dirname, '../../../shared/reference/sendgrid');

type Json = Record<string, any>;

/**
 * Where a spec contradicts SendGrid's actual behaviour (and its own documentation), the property's
 * schema is replaced before validating. Each entry says why.
 */
const ERRATA: { file: string; path: string; method: string; status: string; property: string; schema: Json; why: string }[] = [
  {
    file: 'mc_contacts.json', path: '/v3/marketing/contacts', method: 'delete', status: '202', property: 'job_id', schema: { type: 'string' },
    why: 'the spec types job_id as an object; SendGrid answers a string id (as every other job_id in its APIs)',
  },
];

const specs = new Map<string, Json>();
const validators = new Map<string, ValidateFunction | null>();
const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
addFormats(ajv);

function spec(file: string): Json {
  let s = specs.get(file);
  if (!s) {
    s = JSON.parse(readFileSync(path.join(SPEC_DIR, file), 'utf8')) as Json;
    specs.set(file, s);
  }
  return s;
}

function pointer(doc: Json, ref: string): Json {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: Json, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

/** The schema validator of one documented response, or null when the response has no JSON body. */
export function responseValidator(file: string, method: string, apiPath: string, status: number): ValidateFunction | null {
  const key = `${file} ${method} ${apiPath} ${status}`;
  if (validators.has(key)) return validators.get(key)!;
  const doc = spec(file);
  const operation = doc.paths?.[apiPath]?.[method];
  if (!operation) throw new Error(`${file} documents no ${method.toUpperCase()} ${apiPath}`);
  let response = operation.responses?.[String(status)];
  if (!response) throw new Error(`${file} documents no ${status} for ${method.toUpperCase()} ${apiPath}`);
  if (response.$ref) response = pointer(doc, response.$ref);
  let schema = response.content?.['application/json']?.schema as Json | undefined;
  let validator: ValidateFunction | null = null;
  if (schema) {
    for (const e of ERRATA) {
      if (e.file === file && e.path === apiPath && e.method === method && e.status === String(status)) {
        schema = { ...schema, properties: { ...schema.properties, [e.property]: e.schema } };
      }
    }
    validator = ajv.compile({ ...schema, components: doc.components });
  }
  validators.set(key, validator);
  return validator;
}

/** Asserts that `body` is what the spec documents for that operation and status. */
export function expectSpecResponse(file: string, method: string, apiPath: string, status: number, body: unknown): void {
  const validate = responseValidator(file, method, apiPath, status);
  if (!validate) {
    expect(body === undefined || body === '' || typeof body === 'object').toBe(true);
    return;
  }
  const ok = validate(body);
  if (!ok) throw new Error(`response does not match ${file} ${method.toUpperCase()} ${apiPath} ${status}: ${ajv.errorsText(validate.errors)}`);
}
