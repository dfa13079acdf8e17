import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addViewEvents } from '../simulators/app-db/bulk';
import { seedAppDatabase } from '../simulators/app-db/seed';
import { createSqlDataSource } from '../src/db/sql-datasource';
import { cpuSeconds, ms, ratio, table } from './lib';

const TOKEN = 'bench-operator-token-0123456789';
const MAIN = path.resolve(__dirname, '../src/main.js');

/** Peak resident memory of a process (Linux VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** One export's figures. */
interface ExportRun {
  gatewayMs: number;
  zipMs: number;
  staging: string;
  packagingMs: number | undefined;
  sizeBytes: number;
  dataMb: number;
  /** CPU the gateway used for it, all threads (main, compression worker, libuv pool). */
  cpuS: number;
}

/**
 * One subject's access export with `events` activity records, run `runs` times by the real
 * gateway process: time from submit to a finished zip, against Debian's `zip -6` packing the
 * same JSON and CSV files right after each export, and the gateway's peak RSS over all runs.
 * The machine may be shared, so the best run of each is reported (and the ratio of the two).
 */
async function exportSize(events: number, runs: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-bench-export-'));
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const appFile = path.join(dir, 'app.sqlite');
    const app = createSqlDataSource({ kind: 'sqlite', path: appFile });
    await app.initialize();
    await seedAppDatabase(app, 'sqlite', { users: 50, events: 1000 });
    await addViewEvents(app, 1, events);
    await app.destroy();

    const gateway = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        DSR_DATA_DIR: dir,
        DSR_PORT: '0',
        DSR_APP_DATABASE_URL: `sqlite:${appFile}`,
        DSR_OPERATORS: `bench:OPERATOR:${TOKEN}`,
        DSR_HMAC_KEY: 'bench-hmac-key-0123456789abcdef0123',
        DSR_SIMULATORS: 'off',
        DSR_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = gateway;
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      gateway.stdout!.on('data', (d) => {
        out += d;
        const m = /^GraphQL: (\S+)$/m.exec(out);
        if (m) resolve(m[1]!);
      });
      gateway.on('exit', () => reject(new Error('gateway exited')));
    });
    const post = (query: string, variables?: Record<string, unknown>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ query, variables }) });
    const gql = async (query: string, variables?: Record<string, unknown>) => {
      // a kept-alive connection idle through a long zip -6 may be closed by the server as it is reused: once more
      const res = await post(query, variables).catch(() => post(query, variables));
      return ((await res.json()) as { data: any }).data;
    };
    const rssBefore = peakRssMb(gateway.pid!);

    const results: ExportRun[] = [];
    for (let run = 0; run < runs; run++) {
      const started = Date.now();
      const cpuBefore = cpuSeconds(gateway.pid!);
      const { id } = (await gql('mutation { submitRequest(input: {type: ACCESS, subject: {appUserId: "1"}, verification: "bench"}) { id } }')).submitRequest;
      let r: any;
      // Polled rarely: each poll is a GraphQL call the gateway answers on the thread that also
      // stages the export. The finish time is the one the gateway logs as the zip is done.
      for (;;) {
        r = (await gql('query($id: ID!) { request(id: $id) { status export { sizeBytes } } }', { id })).request;
        if (r.status !== 'IN_PROGRESS') break;
        await new Promise((res) => setTimeout(res, 250));
      }
      const cpuS = cpuSeconds(gateway.pid!) - cpuBefore;
      if (r.status !== 'COMPLETED') throw new Error(`export ended ${r.status}`);

      // the baseline: the same files, unpacked, packed again by zip -6
      const zipFile = path.join(dir, 'exports', `${id}.zip`);
      const unpacked = path.join(dir, `unpacked-${run}`);
      mkdirSync(unpacked);
      execFileSync('unzip', ['-q', zipFile, '-d', unpacked]);
      const t0 = performance.now();
      execFileSync('zip', ['-6', '-q', '-r', path.join(dir, `baseline-${run}.zip`), '.'], { cwd: unpacked });
      const zipMs = performance.now() - t0;
      const dataMb = (statSync(path.join(unpacked, 'app', 'activity.json')).size + statSync(path.join(unpacked, 'app', 'activity.csv')).size) / 1e6;
      rmSync(unpacked, { recursive: true, force: true });
      rmSync(path.join(dir, `baseline-${run}.zip`), { force: true });

      // the steps, from the worker's own log lines: reading + staging each system, then packaging
      const steps = out
        .split('\n')
        .filter((l) => l.includes('"msg":"task finished"') && l.includes(id))
        .map((l) => JSON.parse(l) as { kind?: string; system?: string; durationMs?: number; time: string });
      const packaged = steps.find((l) => l.kind === 'package');
      if (!packaged) throw new Error('the gateway logged no finished package step');
      results.push({
        gatewayMs: Date.parse(packaged.time) - started,
        zipMs,
        staging: steps.filter((l) => l.kind === 'system').map((l) => `${l.system} ${ms(l.durationMs ?? NaN)}`).join(', '),
        packagingMs: packaged.durationMs,
        sizeBytes: r.export.sizeBytes,
        dataMb,
        cpuS,
      });
    }
    const peak = peakRssMb(gateway.pid!);
    const best = results.reduce((a, b) => (b.gatewayMs < a.gatewayMs ? b : a));
    const zipMs = Math.min(...results.map((x) => x.zipMs));
    return [
      `${events.toLocaleString('en')} events (${best.dataMb.toFixed(0)} MB JSON+CSV, zip ${(best.sizeBytes / 1e6).toFixed(1)} MB)`,
      ms(best.gatewayMs),
      `${best.cpuS.toFixed(2)} s`,
      ms(zipMs),
      ratio(best.gatewayMs, zipMs),
      best.staging,
      best.packagingMs === undefined ? 'n/a' : ms(best.packagingMs),
      `${peak.toFixed(0)} MB (at start ${rssBefore.toFixed(0)} MB)`,
    ];
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((res) => child!.on('exit', res));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchExport(opts: { quick: boolean }): Promise<void> {
  const sizes = opts.quick ? [20_000, 100_000] : [100_000, 1_000_000];
  const runs = opts.quick ? 1 : 3;
  const rows: string[][] = [];
  for (const n of sizes) rows.push(await exportSize(n, runs));
  console.log(`\naccess export of one subject (app activity), the gateway as its own process on SQLite; best of ${runs} run(s) each`);
  console.log(
    table([
      ['size', 'submit -> finished zip', 'gateway CPU (all threads)', 'zip -6 of the same files', 'ratio (goal <= 1.5x)', 'of it, reading + staging', 'packaging', 'gateway peak RSS (goal < 250 MB, flat)'],
      ...rows,
    ]),
  );
}
