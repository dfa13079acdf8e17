/** Shared helpers of the simulator tests: temp data dirs and small HTTP calls over loopback. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A small world keeps the tests fast; the sample subjects (app ids 1..7) are always in it. */
export const TEST_USERS = 300;

export class TempDirs {
  private readonly dirs: string[] = [];
  make(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'dsr-sim-'));
    this.dirs.push(dir);
    return dir;
  }
  removeAll(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  ms: number;
}

export async function http<T = any>(url: string, init: RequestInit = {}): Promise<HttpResult<T>> {
  const started = Date.now();
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body: body as T, text, ms: Date.now() - started };
}

export const jsonBody = (value: unknown, method = 'POST', headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

/** Injects a fault through the contract's control endpoint. */
export async function injectFault(baseUrl: string, fault: Record<string, unknown>): Promise<void> {
  const res = await http(`${baseUrl}/__sim/faults`, jsonBody(fault));
  if (res.status !== 201) throw new Error(`fault not accepted: ${res.status} ${res.text}`);
}
