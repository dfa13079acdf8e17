import { createHmac } from 'node:crypto';

/** HMAC-SHA256 with the gateway's key: how subjects are referred to without naming them. */
export class KeyedHash {
  constructor(private readonly key: Buffer) {}

  hex(text: string): string {
    return createHmac('sha256', this.key).update(text, 'utf8').digest('hex');
  }
}
