/**
 * Seeds the demo app database.
 *
 *   node dist/simulators/app-db/cli.js [--users N] [--events N] [--database-url URL]
 *
 * Without --database-url the SQLite file ${DSR_DATA_DIR:-./.data}/app.sqlite is used.
 * Refuses to run against a database that is already seeded.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createSqlDataSource, dialectOf, parseDatabaseUrl, type DatabaseLocation } from '../../src/db/sql-datasource';
import { isAppDatabaseSeeded, seedAppDatabase } from './seed';

interface CliOptions {
  users: number;
  events: number;
  databaseUrl?: string;
}

const USAGE = 'usage: app-db [--users N] [--events N] [--database-url URL]';

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { users: 3000, events: 300_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const takeValue = (): string => {
      if (eq >= 0) return arg.slice(eq + 1);
      const value = argv[++i];
      if (value === undefined) throw new Error(`${name} needs a value`);
      return value;
    };
    const integer = (value: string): number => {
      if (!/^\d+$/.test(value)) throw new Error(`${name} expects a non-negative integer, got "${value}"`);
      return Number(value);
    };
    switch (name) {
      case '--users':
        options.users = integer(takeValue());
        break;
      case '--events':
        options.events = integer(takeValue());
        break;
      case '--database-url':
        options.databaseUrl = takeValue();
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return process.exit(0);
      default:
        throw new Error(`unknown argument "${arg}"; ${USAGE}`);
    }
  }
  if (options.users < 7) throw new Error('--users must be at least 7 (the sample subjects)');
  return options;
}

/** A description of the target that never includes a password. */
function describe(location: DatabaseLocation): string {
  if (location.kind === 'sqlite') return `sqlite:${location.path}`;
  try {
    const url = new URL(location.url);
    return `mysql://${url.host}${url.pathname}`;
  } catch {
    return 'mysql database';
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  let location: DatabaseLocation;
  if (options.databaseUrl) {
    location = parseDatabaseUrl(options.databaseUrl);
  } else {
    location = { kind: 'sqlite', path: join(process.env.DSR_DATA_DIR || './.data', 'app.sqlite') };
  }
  if (location.kind === 'sqlite') mkdirSync(dirname(location.path), { recursive: true });

  const ds = createSqlDataSource(location);
  await ds.initialize();
  try {
    if (await isAppDatabaseSeeded(ds)) {
      process.stderr.write(`app database ${describe(location)} is already seeded; use an empty database\n`);
      process.exitCode = 1;
      return;
    }
    const started = Date.now();
    const summary = await seedAppDatabase(ds, dialectOf(location), { users: options.users, events: options.events });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `seeded app database ${describe(location)}: ${summary.users} users, ${summary.events} view events, ` +
        `${summary.enrolments} enrolments, ${summary.assignments} mission assignments, ${summary.answers} answers in ${seconds}s\n`,
    );
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`app-db seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
