/**
 * A simulator's state as one JSON file under the data dir
 * ($DSR_DATA_DIR/simulators/<name>.json). It is loaded at start, so what the demo changed
 * survives a restart, and generated from the demo world when absent or made for another world.
 * Every change is written at once, atomically (write a temporary file, then rename it).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Which world a state file was generated from; a mismatch regenerates it. */
export interface StateOrigin {
  format: number;
  users: number;
  seed: number;
}

interface StateFile<T> {
  origin: StateOrigin;
  data: T;
}

export class PersistentState<T> {
  private constructor(
    readonly file: string,
    private readonly origin: StateOrigin,
    readonly data: T,
    /** True when the state was generated at this start rather than loaded. */
    readonly generated: boolean,
  ) {}

  static open<T>(dataDir: string, name: string, origin: StateOrigin, generate: () => T): PersistentState<T> {
    const file = path.join(dataDir, 'simulators', `${name}.json`);
    if (existsSync(file)) {
      let stored: StateFile<T>;
      try {
        stored = JSON.parse(readFileSync(file, 'utf8')) as StateFile<T>;
      } catch {
        throw new Error(`simulator state ${file} is not valid JSON: delete the file to start again from the demo world`);
      }
      const o = stored.origin;
      if (o && o.format === origin.format && o.users === origin.users && o.seed === origin.seed) {
        return new PersistentState(file, origin, stored.data, false);
      }
    }
    const state = new PersistentState(file, origin, generate(), true);
    state.save();
    return state;
  }

  /** Applies a change and writes the state before returning the change's result. */
  change<R>(apply: (data: T) => R): R {
    const result = apply(this.data);
    this.save();
    return result;
  }

  save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const content: StateFile<T> = { origin: this.origin, data: this.data };
    writeFileSync(tmp, JSON.stringify(content), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
