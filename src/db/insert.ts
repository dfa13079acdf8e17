import type { ObjectLiteral, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

/** Rows per INSERT statement in insertInSlices. */
export const INSERT_SLICE = 200;

/**
 * Inserts many rows, a slice per statement. After an insert TypeORM reads the generated columns
 * back with one `(id = ?) OR ...` term per row, and SQLite refuses an expression more than 1,000
 * deep: a thousand rows in one insert fail there. Run it inside a transaction to keep it atomic.
 */
export async function insertInSlices<T extends ObjectLiteral>(repo: Repository<T>, rows: QueryDeepPartialEntity<T>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_SLICE) await repo.insert(rows.slice(i, i + INSERT_SLICE));
}
