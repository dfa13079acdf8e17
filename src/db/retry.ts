/** Errors after which a whole transaction may simply run again (MySQL/MariaDB deadlock, lock wait; SQLite busy). */
const TRANSIENT = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT']);

export function isTransient(e: unknown): boolean {
  const err = e as { code?: unknown; driverError?: { code?: unknown } };
  return TRANSIENT.has(String(err?.code ?? err?.driverError?.code ?? ''));
}

/** Runs a transaction again when the database chose it as a deadlock victim (a few times, briefly spaced). */
export async function retryTransient<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (e) {
      if (i >= attempts || !isTransient(e)) throw e;
      await new Promise((r) => setTimeout(r, 10 * i + Math.random() * 20));
    }
  }
}

/** A unique index refused a write (MySQL ER_DUP_ENTRY, SQLite UNIQUE constraint). */
export function isUniqueViolation(e: unknown): boolean {
  const err = (e as { driverError?: { code?: unknown; errno?: unknown }; code?: unknown })?.driverError ?? (e as { code?: unknown; errno?: unknown });
  return err?.code === 'ER_DUP_ENTRY' || err?.errno === 1062 || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
