/** What every simulator's start function shares: options, the world it starts from, its handle. */
import { randomBytes } from 'node:crypto';
import { buildWorld, DEFAULT_USERS, WORLD_SEED, type DemoWorld } from '../world';
import type { RateLimit } from './rate-limit';
import type { StateOrigin } from './state';

export interface SimulatorOptions {
  /** State goes to <dataDir>/simulators/<name>.json. */
  dataDir: string;
  /**
   * The demo world to generate state from when there is none (a function is only called then);
   * built from users/seed if absent.
   */
  world?: DemoWorld | (() => DemoWorld);
  users?: number;
  seed?: number;
  /** 0 or absent = an ephemeral port. */
  port?: number;
  /** Requests per window for the whole API (default: generous, so the demo never hits it). */
  rateLimit?: RateLimit;
}

export interface StartedSimulator {
  baseUrl: string;
  /** The credential clients send (SendGrid and Lime Go API key, Hogia client secret). */
  key: string;
  close(): Promise<void>;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { limit: 10_000, windowMs: 60_000 };

/** Where the state comes from: the world's identity, and the world itself only when needed. */
export function worldSource(options: SimulatorOptions, format: number): { origin: StateOrigin; world: () => DemoWorld } {
  const given = typeof options.world === 'object' ? options.world : undefined;
  const users = given?.users ?? options.users ?? DEFAULT_USERS;
  const seed = given?.seed ?? options.seed ?? WORLD_SEED;
  const make = typeof options.world === 'function' ? options.world : () => buildWorld({ users, seed });
  let world = given;
  return {
    origin: { format, users, seed },
    world: () => {
      world ??= make();
      if (world.users !== users || world.seed !== seed) throw new Error('the demo world does not match the users and seed options');
      return world;
    },
  };
}

/** A JSON deep copy, so a simulator's state never shares objects with the world. */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export const secret = (bytes: number): string => randomBytes(bytes).toString('base64url');
