import 'reflect-metadata';
import { benchAppBatching } from './app-batching';
import { benchErasure } from './erasure';
import { benchExport } from './export';
import { benchFanOut } from './fan-out';
import { benchLoad } from './load';
import { benchRetention } from './retention';

const BENCHES = ['app-batching', 'fan-out', 'export', 'erasure', 'retention', 'load'] as const;

/**
 * `npm run bench [-- --quick] [-- --only <name>[,<name>]]`: every benchmark (or the named ones),
 * each printing its ratio against a baseline of the same run.
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const at = process.argv.indexOf('--only');
  const only = at === -1 ? [...BENCHES] : (process.argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = only.filter((n) => !(BENCHES as readonly string[]).includes(n));
  if (unknown.length || only.length === 0) throw new Error(`--only takes one or more of ${BENCHES.join(', ')}`);
  const run = (name: (typeof BENCHES)[number]) => only.includes(name);
  if (run('app-batching')) {
    await benchAppBatching({ quick, database: 'sqlite' });
    await benchAppBatching({ quick, database: 'mysql' });
  }
  if (run('fan-out')) await benchFanOut({ quick });
  if (run('export')) await benchExport({ quick });
  if (run('erasure')) await benchErasure({ quick });
  if (run('retention')) {
    await benchRetention({ quick, database: 'sqlite' });
    await benchRetention({ quick, database: 'mysql' });
  }
  if (run('load')) await benchLoad({ quick });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
