/**
 * Embedded SQLite driver (better-sqlite3) for single-process installs: `<dataDir>/tollgate.db`
 * in WAL mode, so the `tollgate` CLI can read and write the same file while a server runs.
 *
 * better-sqlite3 is synchronous on one connection. Transactions are async (they await between
 * statements), so every statement and transaction goes through an in-process mutex, or a
 * concurrent request would run inside someone else's transaction. Transactions start with
 * BEGIN IMMEDIATE: they take the write lock up front, so two processes queue on busy_timeout
 * instead of failing with SQLITE_BUSY when a read lock would later need upgrading.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { guardStore, isSystemOutage } from '../unavailable.js';
import type { SqlDatabase } from './database.js';
import { Mutex } from './mutex.js';

/** How long a statement waits for another process's write lock before failing. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * One mutex per file, not per handle: two handles in one process (two opens racing at boot)
 * would otherwise block each other synchronously in BEGIN IMMEDIATE, freezing the event loop
 * that the holder needs to finish. A handful of paths per process, so never pruned.
 */
const fileLocks = new Map<string, Mutex>();

/** The file cannot be written (disk full, I/O error, read-only) or stays locked by another process. */
const OUTAGE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|NOMEM)/;

export function isSqliteOutage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && OUTAGE.test(code)) || isSystemOutage(error);
}

/** `$n` placeholders (outside string literals) become `?`, with the parameters reordered. */
const PLACEHOLDER = /'(?:[^']|'')*'|\$(\d+)/g;

interface Prepared {
  readonly statement: Database.Statement;
  /** For each `?`, the index into the caller's params. */
  readonly order: readonly number[];
}

export async function openSqlite(dataDir: string): Promise<SqlDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const file = resolve(dataDir, 'tollgate.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  // Safe with WAL: a power loss may drop the last commits but never corrupts the file.
  db.pragma('synchronous = NORMAL');

  let lock = fileLocks.get(file);
  if (!lock) fileLocks.set(file, (lock = new Mutex()));
  const mutex = lock;

  // The stores use a fixed set of SQL strings, so this cache stays small.
  const prepared = new Map<string, Prepared>();
  function prepare(sql: string): Prepared {
    let entry = prepared.get(sql);
    if (!entry) {
      const order: number[] = [];
      const translated = sql.replace(PLACEHOLDER, (match, n: string | undefined) => {
        if (n === undefined) return match;
        order.push(Number(n) - 1);
        return '?';
      });
      entry = { statement: db.prepare(translated), order };
      prepared.set(sql, entry);
    }
    return entry;
  }

  function run<T>(sql: string, params: readonly unknown[] = []): T[] {
    const { statement, order } = prepare(sql);
    const args = order.map((i) => params[i]);
    if (statement.reader) return statement.all(...args) as T[];
    statement.run(...args);
    return [];
  }

  // Only ever used while the mutex is held by its transaction.
  const tx: SqlDatabase = {
    dialect: 'sqlite',
    query: async (sql, params) => run(sql, params),
    transaction: (fn) => fn(tx),
    close: () => Promise.reject(new Error('close() called inside a transaction')),
  };

  const guard = <T>(call: () => Promise<T>) => guardStore('SQLite', isSqliteOutage, call);
  return {
    dialect: 'sqlite',
    query: (sql, params) => guard(() => mutex.run(() => run(sql, params))),
    transaction: (fn) =>
      guard(() => mutex.run(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(tx);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      })),
    close: () => mutex.run(() => void db.close()),
  };
}
