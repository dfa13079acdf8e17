import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const MAIN = path.resolve(__dirname, '../../dist/src/main.js');

export interface ChildGateway {
  proc: ChildProcessWithoutNullStreams;
  /** The GraphQL URL, once the gateway printed it. */
  url: Promise<string>;
  /** The exit code, once the process ended and its output was read to the end. */
  /** The exit code, once the process ended and all it printed was read. */
  exited: Promise<number | null>;
  /** What the process printed so far on stdout and stderr. */
  stdout: () => string;
  stderr: () => string;
}

/** The compiled gateway as its own process (`npm test` builds it first), for crash tests. */
export function startChildGateway(env: Record<string, string>): ChildGateway {
  if (!existsSync(MAIN)) throw new Error('run `npm run build` first (npm test does it)');
  const proc = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const url = new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^GraphQL: (\S+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', () => reject(new Error('the gateway exited before it was ready')));
  });
  url.catch(() => undefined);
  return { proc, url, exited: new Promise((r) => proc.on('close', (code) => r(code))), stdout: () => out, stderr: () => err };
}

/** One GraphQL call; the data, or an error naming the errors. */
export async function gqlAt(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return ((await res.json()) as { data: unknown }).data;
}
