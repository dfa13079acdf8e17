/**
 * The contract's fault injection: POST /__sim/faults
 * {"pathPattern":"regex","status":503,"count":3,"latencyMs":0,"retryAfterS":null} makes the next
 * `count` requests whose path matches wait `latencyMs`, then fail with `status` in the service's own
 * error shape (with Retry-After when retryAfterS is set), or be answered normally when status is
 * omitted. Without count, every matching request is affected until DELETE /__sim/faults.
 */

export interface FaultSpec {
  pathPattern: string;
  status?: number | null;
  count?: number | null;
  latencyMs?: number | null;
  retryAfterS?: number | null;
}

export interface Fault {
  id: number;
  pattern: RegExp;
  status: number | null;
  /** Requests still affected; null = until cleared. */
  remaining: number | null;
  latencyMs: number;
  retryAfterS: number | null;
}

export class FaultValidationError extends Error {}

const optionalInt = (value: unknown, name: string, min: number, max: number): number | null => {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FaultValidationError(`${name} must be an integer between ${min} and ${max}`);
  }
  return value;
};

export class FaultStore {
  private faults: Fault[] = [];
  private nextId = 1;

  add(spec: unknown): Fault {
    if (typeof spec !== 'object' || spec === null) throw new FaultValidationError('body must be a JSON object');
    const s = spec as Record<string, unknown>;
    if (typeof s.pathPattern !== 'string' || s.pathPattern === '') throw new FaultValidationError('pathPattern must be a regular expression');
    let pattern: RegExp;
    try {
      pattern = new RegExp(s.pathPattern);
    } catch {
      throw new FaultValidationError('pathPattern is not a valid regular expression');
    }
    const fault: Fault = {
      id: this.nextId++,
      pattern,
      status: optionalInt(s.status, 'status', 400, 599),
      remaining: optionalInt(s.count, 'count', 1, 1_000_000),
      latencyMs: optionalInt(s.latencyMs, 'latencyMs', 0, 600_000) ?? 0,
      retryAfterS: optionalInt(s.retryAfterS, 'retryAfterS', 0, 86_400),
    };
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return [...this.faults];
  }

  /** The first fault matching the path, counted as used; undefined when none applies. */
  take(path: string): Fault | undefined {
    const fault = this.faults.find((f) => f.pattern.test(path));
    if (!fault) return undefined;
    if (fault.remaining !== null) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    }
    return fault;
  }
}

export function describeFault(f: Fault): Record<string, unknown> {
  return { id: f.id, pathPattern: f.pattern.source, status: f.status, count: f.remaining, latencyMs: f.latencyMs, retryAfterS: f.retryAfterS };
}
