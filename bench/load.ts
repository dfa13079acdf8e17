import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { simulatorConnectors } from '../src/demo';
import type { DemoCredentials } from '../simulators/index';
import { cpuSeconds, ms, percentile, ratio, table } from './lib';

const MAIN = path.resolve(__dirname, '../src/main.js');
const SIMULATORS = path.resolve(__dirname, '../simulators/cli.js');
const OPERATORS = 50;
/** Subject look-ups one operator may make a minute in this run (DSR_RATE_LIMIT_SUBJECTS). */
const SUBJECTS_PER_MINUTE = 60;
/** `subject` calls one operator may have running at once in this run (DSR_RATE_LIMIT_SUBJECT_CALLS_AT_ONCE). */
const CALLS_AT_ONCE = 2;
/** Concurrent calls of the flooding operator, none waiting between calls. */
const FLOOD_CONCURRENCY = 8;
const VIEW = 'query($i: SubjectInput!) { subject(input: $i) { found systems { system status datasets { name totalCount } } } }';
const LIST = 'query { requests(first: 20) { totalCount edges { node { id status dueAt } } } }';

interface Call {
  ms: number;
  ok: boolean;
  limited: boolean;
  /** What went wrong, for the report: an HTTP status, an error code or a system's status. */
  problem?: string;
}

const token = (i: number | 'flood') => `load-operator-${i}-token-0123456789abcdef`;

/** One GraphQL call over HTTP: its time, whether it answered cleanly, whether it was rate limited. */
async function call(url: string, bearer: string, query: string, variables?: Record<string, unknown>): Promise<Call> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: { subject?: { systems: { status: string }[] } }; errors?: { extensions?: { code?: string } }[] };
    const limited = res.status === 429 || body.errors?.some((e) => e.extensions?.code === 'RATE_LIMITED') === true;
    // a system answering ERROR or TIMEOUT inside `subject` counts as an error too
    const systemsOk = body.data?.subject?.systems.every((s) => s.status === 'OK' || s.status === 'NOT_FOUND') ?? true;
    const problem =
      res.status !== 200
        ? `HTTP ${res.status}`
        : body.errors
          ? String(body.errors[0]?.extensions?.code)
          : systemsOk
            ? undefined
            : body.data!.subject!.systems.filter((s) => s.status !== 'OK' && s.status !== 'NOT_FOUND').map((s) => `${(s as { system?: string }).system}:${s.status}`).join(',');
    return { ms: performance.now() - t0, ok: problem === undefined, limited, problem };
  } catch (e) {
    return { ms: performance.now() - t0, ok: false, limited: false, problem: (e as Error).name };
  }
}

const sleep = (msecs: number) => new Promise((r) => setTimeout(r, msecs));

/**
 * 50 operators working at once against the demo (`npm start`'s gateway as its own process, its
 * simulators as another, as `npm run simulators` runs them: the systems are remote in production,
 * and the gateway's CPU is then its own) for a while: each looks a person up (a sample subject or
 * an app user by id) or lists requests, with a pause of 1.5 to 4.5 s between calls, as a person or
 * a polite script would. Run twice in the same run: alone, and with one more operator flooding
 * `subject` with FLOOD_CONCURRENCY calls at a time; the others' p99 is compared between the two.
 */
export async function benchLoad({ quick }: { quick: boolean }): Promise<void> {
  const seconds = quick ? 4 : 20;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-bench-load-'));
  const simDir = path.join(dir, 'simulators');
  mkdirSync(simDir);
  const operators = Array.from({ length: OPERATORS }, (_, i) => `op${i}:OPERATOR:${token(i)}`).concat(`flood:OPERATOR:${token('flood')}`);
  const children: ChildProcessWithoutNullStreams[] = [];
  try {
    const sims = started(spawn(process.execPath, [SIMULATORS], { env: { PATH: process.env.PATH ?? '', DSR_DATA_DIR: simDir }, stdio: 'pipe' }), children);
    await sims.line(/^credentials: /m);
    const creds = JSON.parse(readFileSync(path.join(simDir, 'demo-credentials.json'), 'utf8')) as DemoCredentials;
    const configFile = path.join(dir, 'systems.json');
    writeFileSync(configFile, JSON.stringify({ connectors: simulatorConnectors(creds) }));
    const gateway = started(
      spawn(process.execPath, [MAIN], {
        env: {
          PATH: process.env.PATH ?? '',
          DSR_DATA_DIR: dir,
          DSR_CONFIG_FILE: configFile,
          DSR_PORT: '0',
          DSR_OPERATORS: operators.join(','),
          DSR_HMAC_KEY: 'bench-hmac-key-0123456789abcdef0123',
          DSR_RATE_LIMIT_SUBJECTS: String(SUBJECTS_PER_MINUTE),
          DSR_RATE_LIMIT_SUBJECT_CALLS_AT_ONCE: String(CALLS_AT_ONCE),
          DSR_LOG_LEVEL: 'warn',
        },
        stdio: 'pipe',
      }),
      children,
    );
    const url = (await gateway.line(/^GraphQL: (\S+)$/m))[1]!;
    const child = gateway.proc;
    const samples = (JSON.parse(readFileSync(path.join(dir, 'demo-subjects.json'), 'utf8')) as { email: string }[]).map((s) => s.email);

    const run = async (flood: boolean) => {
      const calls: Call[] = [];
      const floodCalls: Call[] = [];
      const end = performance.now() + seconds * 1000;
      const operator = async (i: number) => {
        await sleep(Math.random() * 1500); // operators do not all start in the same millisecond
        while (performance.now() < end) {
          const r = Math.random();
          const c =
            r < 0.4
              ? await call(url, token(i), VIEW, { i: { email: samples[Math.floor(Math.random() * samples.length)] } })
              : r < 0.85
                ? await call(url, token(i), VIEW, { i: { appUserId: String(1 + Math.floor(Math.random() * 3000)) } })
                : await call(url, token(i), LIST);
          calls.push(c);
          await sleep(1500 + Math.random() * 3000);
        }
      };
      const flooder = async () => {
        while (performance.now() < end) floodCalls.push(await call(url, token('flood'), VIEW, { i: { email: samples[0] } }));
      };
      await Promise.all([...Array.from({ length: OPERATORS }, (_, i) => operator(i)), ...(flood ? Array.from({ length: FLOOD_CONCURRENCY }, flooder) : [])]);
      return { calls, floodCalls };
    };

    // the gateway's CPU time includes its in-process simulators'
    const cpu = () => cpuSeconds(child.pid!);
    const measured = async (flood: boolean) => {
      const before = cpu();
      const result = await run(flood);
      return { ...result, cpuS: cpu() - before };
    };
    await run(false); // warm-up: connections, caches, JIT
    const alone = await measured(false);
    const flooded = await measured(true);
    const times = (cs: Call[]) => cs.map((c) => c.ms);
    const errors = (cs: Call[]) => cs.filter((c) => !c.ok).length;
    const p99Alone = percentile(times(alone.calls), 99);
    const p99Flooded = percentile(times(flooded.calls), 99);
    const accepted = flooded.floodCalls.filter((c) => c.ok).length;
    const limited = flooded.floodCalls.filter((c) => c.limited).length;
    console.log(`\n## Load: ${OPERATORS} operators at once for ${seconds} s against the demo (gateway as its own process on SQLite, simulators as another)`);
    console.log(
      table([
        ['run', 'calls', 'errors', 'p50', 'p99', 'max', 'gateway CPU'],
        ['50 operators', alone.calls.length, errors(alone.calls), ms(percentile(times(alone.calls), 50)), ms(p99Alone), ms(Math.max(...times(alone.calls))), `${alone.cpuS.toFixed(1)} s`],
        [
          `50 operators + 1 flooding (${FLOOD_CONCURRENCY} at a time)`,
          flooded.calls.length,
          errors(flooded.calls),
          ms(percentile(times(flooded.calls), 50)),
          ms(p99Flooded),
          ms(Math.max(...times(flooded.calls))),
          `${flooded.cpuS.toFixed(1)} s`,
        ],
      ]),
    );
    console.log(
      `flooding operator: ${flooded.floodCalls.length} calls, ${accepted} answered, ${limited} refused with RATE_LIMITED/429 (limits: ${SUBJECTS_PER_MINUTE} subjects a minute, at most ten in ten seconds, ${CALLS_AT_ONCE} calls at once)`,
    );
    console.log(`others' p99 with the flood against without: ${ratio(p99Flooded, p99Alone)}`);
    const problems = [...alone.calls, ...flooded.calls].filter((c) => c.problem).map((c) => c.problem!);
    if (problems.length) {
      const counts = new Map<string, number>();
      for (const p of problems) counts.set(p, (counts.get(p) ?? 0) + 1);
      console.log(`errors: ${[...counts].map(([p, n]) => `${p} x${n}`).join(', ')}`);
      throw new Error('the load run had errors');
    }
    if (limited === 0) throw new Error('the flooding operator was never limited');
  } finally {
    for (const c of children.reverse()) {
      if (c.exitCode !== null) continue;
      const exited = new Promise((res) => c.on('exit', res));
      c.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A started process (kept in `all` to be stopped), with a wait for a line it prints. */
function started(proc: ChildProcessWithoutNullStreams, all: ChildProcessWithoutNullStreams[]) {
  all.push(proc);
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.pipe(process.stderr);
  return {
    proc,
    line: (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            proc.stdout.off('data', check);
            resolve(m);
          }
        };
        proc.stdout.on('data', check);
        proc.on('exit', () => reject(new Error(`${path.basename(String(proc.spawnargs[1]))} exited before it was ready`)));
        check();
      }),
  };
}
