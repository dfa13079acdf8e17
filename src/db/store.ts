import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from '../migrations';
import { createSqlDataSource, type DatabaseLocation, type QueryCounter } from './sql-datasource';

/** Opens the gateway's own store and brings its schema up to date with the migrations. */
export async function openStore(location: DatabaseLocation, counter?: QueryCounter): Promise<DataSource> {
  if (location.kind === 'sqlite') mkdirSync(path.dirname(location.path), { recursive: true });
  const ds = createSqlDataSource(location, { entities: ENTITIES, migrations: MIGRATIONS, counter });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } catch (e) {
    await ds.destroy();
    throw e;
  }
  return ds;
}
