import 'reflect-metadata';
import { benchAppBatching } from './app-batching';
import { benchErasure } from './erasure';
import { benchExport } from './export';
import { benchFanOut } from './fan-out';
import { benchLoad } from './load';
import { benchRetention } from './retention';

/** `npm run bench [-- --quick]`: every benchmark, each printing its ratio against a baseline of the same run. */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  await benchAppBatching({ quick, database: 'sqlite' });
  await benchAppBatching({ quick, database: 'mysql' });
  await benchFanOut({ quick });
  await benchExport({ quick });
  await benchErasure({ quick });
  await benchRetention({ quick, database: 'sqlite' });
  await benchRetention({ quick, database: 'mysql' });
  await benchLoad({ quick });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
