/**
 * Seeded randomness for the demo world: independent streams per purpose, so adding data in one
 * system never shifts what another system gets.
 */
import { rng } from '../people';

export type Random = () => number;

/** An independent PRNG stream derived from the world seed and a stream number. */
export function stream(seed: number, n: number): Random {
  return rng((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** An integer in [lo, hi]. */
export function between(random: Random, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

export function chance(random: Random, p: number): boolean {
  return random() < p;
}

const HEX = '0123456789abcdef';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function chars(random: Random, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

export const hex = (random: Random, n: number): string => chars(random, HEX, n);
export const base62 = (random: Random, n: number): string => chars(random, BASE62, n);
export const digits = (random: Random, n: number): string => chars(random, '0123456789', n);

/** A version-4-shaped UUID drawn from the stream. */
export function uuid(random: Random): string {
  const h = hex(random, 32).split('');
  h[12] = '4';
  h[16] = HEX[8 + Math.floor(random() * 4)];
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** 'YYYY-MM-DD' of an epoch-millisecond instant (UTC). */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** ISO 8601 without milliseconds: '2026-11-20T08:15:00Z'. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export const DAY_MS = 86_400_000;
