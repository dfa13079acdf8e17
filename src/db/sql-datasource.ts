import 'reflect-metadata';
import { DataSource, type DataSourceOptions, type Logger } from 'typeorm';
import type { SqlDialect } from '../../simulators/app-db/schema';

/** Where a database lives: a MySQL/MariaDB URL, or a SQLite file. */
export type DatabaseLocation = { kind: 'mysql'; url: string } | { kind: 'sqlite'; path: string };

export function dialectOf(location: DatabaseLocation): SqlDialect {
  return location.kind;
}

/** Parses `mysql://user:pass@host:port/db` or `sqlite:/path` into a location. */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    return { kind: 'mysql', url: url.replace(/^mariadb:/, 'mysql:') };
  }
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  throw new Error('expected mysql://user:password@host:port/database or sqlite:/path/to/file');
}

/** Counts the statements a DataSource sends, so tests and benchmarks can see batching. */
export class QueryCounter implements Logger {
  count = 0;
  logQuery(): void {
    this.count += 1;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface SqlDataSourceOptions {
  entities?: DataSourceOptions['entities'];
  migrations?: DataSourceOptions['migrations'];
  counter?: QueryCounter;
  poolSize?: number;
}

/**
 * One way to open a SQL database for every part of the project (the gateway's store, the demo
 * app database, the app connector). Dates come back as strings in both dialects
 * ('YYYY-MM-DD HH:MM:SS') so records read the same whichever database holds them.
 */
export function createSqlDataSource(location: DatabaseLocation, opts: SqlDataSourceOptions = {}): DataSource {
  const common = {
    entities: opts.entities ?? [],
    migrations: opts.migrations ?? [],
    synchronize: false,
    migrationsRun: false,
    logging: opts.counter ? (['query'] as const) : false,
    logger: opts.counter,
  };
  if (location.kind === 'mysql') {
    return new DataSource({
      ...common,
      type: 'mysql',
      url: location.url,
      timezone: 'Z',
      dateStrings: true,
      charset: 'utf8mb4_unicode_ci',
      poolSize: opts.poolSize ?? 10,
      extra: { connectTimeout: 5000 },
    } as DataSourceOptions);
  }
  return new DataSource({
    ...common,
    type: 'better-sqlite3',
    database: location.path,
    enableWAL: true,
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      // deleted or overwritten personal data is zeroed in the file, not left in free space
      db.pragma('secure_delete = ON');
    },
  } as DataSourceOptions);
}
