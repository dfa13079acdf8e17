import { createHash, timingSafeEqual } from 'node:crypto';
import type { OperatorSpec, RoleName } from '../config';

export interface Operator {
  name: string;
  roles: RoleName[];
}

/** The token of an `Authorization: Bearer <token>` header (printable ASCII, at most 8 KiB). */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer ([\x21-\x7e]{1,8192})$/.exec(header ?? '')?.[1];
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * The operators allowed in, by bearer token. Only SHA-256 hashes of tokens are kept; a presented
 * token is compared with every stored hash in constant time, so neither a match nor its position
 * shows in the timing.
 */
export class OperatorDirectory {
  private readonly entries: { hash: Buffer; operator: Operator }[];

  constructor(specs: OperatorSpec[]) {
    this.entries = specs.map((s) => ({ hash: sha256(s.token), operator: { name: s.name, roles: [...s.roles] } }));
  }

  /** The operator for an `Authorization: Bearer <token>` header value, if any. */
  authenticate(header: string | undefined): Operator | undefined {
    const token = bearerToken(header);
    return token === undefined ? undefined : this.match(token);
  }

  /** The operator holding this token, if any. */
  match(token: string): Operator | undefined {
    if (token.length > 512) return undefined;
    const presented = sha256(token);
    let found: Operator | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(e.hash, presented) && !found) found = e.operator;
    }
    return found;
  }

  get size(): number {
    return this.entries.length;
  }
}
