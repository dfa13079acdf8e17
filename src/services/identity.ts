import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { badInput } from '../errors';
import { type Connector, IDENTIFIER_KINDS, type Identifier, type IdentifierKind, type SubjectKey } from '../connectors/connector';

/** What a caller may name a subject by (the contract's SubjectInput). */
export type SubjectInputLike = Partial<Record<IdentifierKind, string | null | undefined>>;

/** Control and format characters, and halves of a surrogate pair that have lost their other half. */
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;
const TOKEN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Emails are trimmed, NFC-normalised and lower-cased; never used as a pattern. */
export function normaliseEmail(raw: string): string {
  const email = raw.trim().normalize('NFC').toLowerCase();
  if (email.length < 3 || email.length > 254 || CONTROL.test(email) || !/^[^\s@]+@[^\s@]+$/u.test(email)) {
    throw badInput('email must be a single address such as name@example.se (at most 254 characters)');
  }
  return email;
}

/** Phones become E.164; a number without a country code is read as Swedish. */
export function normalisePhone(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed.length > 32 || CONTROL.test(trimmed)) throw badInput('phone must be a phone number such as +46701234567');
  const parsed = parsePhoneNumberFromString(trimmed, 'SE');
  if (!parsed || !parsed.isValid()) throw badInput('phone must be a phone number such as +46701234567');
  return parsed.number;
}

function normaliseToken(kind: IdentifierKind, raw: string): string {
  const v = raw.trim();
  if (!TOKEN_ID.test(v)) throw badInput(`${kind} must be 1-64 letters, digits, '-' or '_'`);
  return v;
}

export function normaliseIdentifier(kind: IdentifierKind, raw: string): string {
  if (kind === 'email') return normaliseEmail(raw);
  if (kind === 'phone') return normalisePhone(raw);
  return normaliseToken(kind, raw);
}

/** Turns a caller's input into a subject key; BAD_USER_INPUT when nothing usable is given. */
export function normaliseSubject(input: SubjectInputLike): SubjectKey {
  const key: SubjectKey = {};
  for (const kind of IDENTIFIER_KINDS) {
    const raw = input[kind];
    if (raw === undefined || raw === null) continue;
    if (typeof raw !== 'string') throw badInput(`${kind} must be a string`);
    key[kind] = [normaliseIdentifier(kind, raw)];
  }
  if (Object.keys(key).length === 0) {
    throw badInput('Name the subject by at least one of email, phone, appUserId, customerNumber, crmPersonId');
  }
  return key;
}

/** A stable text form of a key (kinds in fixed order, values sorted): for caches and HMACs. */
export function canonicalKey(key: SubjectKey): string {
  const parts: string[] = [];
  for (const kind of IDENTIFIER_KINDS) {
    const values = key[kind];
    if (values?.length) parts.push(`${kind}=${[...new Set(values)].sort().join('|')}`);
  }
  return parts.join('&');
}

export function identifiersOf(key: SubjectKey, source: string): Identifier[] {
  return IDENTIFIER_KINDS.flatMap((kind) => (key[kind] ?? []).map((value) => ({ kind, value, source })));
}

/** Adds identifiers to a key; returns the ones that were new. */
export function mergeIdentifiers(key: SubjectKey, found: Identifier[]): Identifier[] {
  const added: Identifier[] = [];
  for (const id of found) {
    const list = (key[id.kind] ??= []);
    if (!list.includes(id.value)) {
      list.push(id.value);
      added.push(id);
    }
  }
  return added;
}

/** The part of a subject's identifiers a system can be searched by. */
export function keyFor(connector: Pick<Connector, 'accepts'>, identifiers: { kind: string; value: string }[]): SubjectKey {
  const key: SubjectKey = {};
  for (const id of identifiers) {
    const kind = IDENTIFIER_KINDS.find((k) => k === id.kind);
    if (kind && connector.accepts.includes(kind) && !(key[kind] ??= []).includes(id.value)) key[kind]!.push(id.value);
  }
  return key;
}
