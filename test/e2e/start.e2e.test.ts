import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/databases';

const MAIN = path.resolve(__dirname, '../../dist/src/main.js');

interface Started {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(what: () => RegExpMatchArray | null, ms = 60_000): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = what();
    if (m) return m;
    if (Date.now() > until) throw new Error('timed out waiting for the gateway');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `npm start` as a user runs it: the compiled gateway, a new data dir, no configuration. */
describe('npm start', () => {
  const tmp = tempDir('start');
  let store: TestDatabase;
  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error('run `npm run build` first (npm test does it)');
    store = await createTestDatabase('start', tmp.dir);
  });
  afterAll(async () => {
    await store.drop();
    tmp.remove();
  });

  const env = () => ({ DSR_DATA_DIR: tmp.dir, DSR_PORT: '0', DSR_DEMO_USERS: '200', DSR_DEMO_EVENTS: '3000', DSR_DATABASE_URL: store.url });

  it('seeds the demo, prints the URL and operators, answers, and stops cleanly on Ctrl-C', async () => {
    const run = start(env());
    const [, url] = await waitFor(() => run.stdout().match(/^GraphQL: (http:\/\/127\.0\.0\.1:\d+)\/graphql$/m));
    expect(run.stdout()).toMatch(/seeding the demo app database/);
    const operator = run.stdout().match(/^ {2}(\w+) +OPERATOR +(\S+)$/m)!;
    const samples = JSON.parse(readFileSync(path.join(tmp.dir, 'demo-subjects.json'), 'utf8')) as { email: string; systems: string[] }[];
    expect(samples.length).toBeGreaterThanOrEqual(5);
    expect(samples[0]!.systems).toContain('app');

    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operator[2]}` },
      body: JSON.stringify({ query: 'query($e: String!) { me { name } subject(input: {email: $e}) { found } }', variables: { e: samples[0]!.email } }),
    });
    expect(await res.json()).toEqual({ data: { me: { name: operator[1] }, subject: { found: true } } });
    expect(run.stdout()).not.toContain(samples[0]!.email);

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);

    // a second start reuses the seeded database and the same demo tokens
    const again = start(env());
    await waitFor(() => again.stdout().match(/^GraphQL: /m));
    expect(again.stdout()).not.toMatch(/seeding the demo app database/);
    expect(again.stdout()).toContain(operator[2]);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('stops on SIGTERM even when nothing reads its output any more (a closed pipe)', async () => {
    const run = start(env());
    await waitFor(() => run.stdout().match(/^GraphQL: /m));
    // like `npm start | head -2`: the reader has gone, so the last log lines can never be written
    run.child.stdout.destroy();
    run.child.stderr.destroy();
    const started = Date.now();
    run.child.kill('SIGTERM');
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
    if (code === 'still running') run.child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('refuses a bad setting with one line naming it', async () => {
    const run = start({ ...env(), DSR_PORT: 'eighty' });
    expect(await run.exited).toBe(1);
    expect(run.stderr().trim()).toBe('dsr-gateway: invalid configuration: DSR_PORT must be an integer from 0 to 65535 (got "eighty")');
  });
});
