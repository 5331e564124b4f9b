/**
 * PostgreSQL driver (pg.Pool) for scaled-out installs. BIGINT (our millisecond timestamps,
 * counts) is parsed to Number through a per-pool TypeOverrides, never pg's global parser,
 * so other pg users in the process are unaffected. Values stay far below 2^53.
 *
 * Threats from the database itself: a connection lost mid-transaction (failover, restart,
 * pg_terminate_backend) must not crash the process, and a frozen or overloaded server must
 * not hang requests. Every wait is bounded by one timeout (connect, pool acquisition,
 * statement on the server, reply on the client), and outages leave as StoreUnavailableError.
 */
import pg from 'pg';
import { guardStore, isSystemOutage } from '../unavailable.js';
import type { SqlDatabase } from './database.js';

const INT8_OID = 20;
/** Lower-case identifiers only: the schema name is interpolated into SQL and startup options. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresOptions {
  readonly url: string;
  /** Puts every table in this schema (created if missing), e.g. to isolate test runs. */
  readonly schema?: string;
  /** Bound on connecting, waiting for a pooled connection, and each statement. */
  readonly timeoutMs?: number;
}

/** SQLSTATE classes of an unavailable server: connection exception, insufficient resources
 * (disk full, too many connections), operator intervention (shutdown, terminated backend,
 * statement timeout), system error. */
const OUTAGE_CLASSES = new Set(['08', '53', '57', '58']);

/** pg's own errors, which carry no SQLSTATE: a lost connection, a connect or reply timeout. */
const DRIVER_OUTAGE = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client (has encountered a connection error|was closed)|Cannot use a pool after calling end)/;

export function isPostgresOutage(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return OUTAGE_CLASSES.has(String(error.code).slice(0, 2));
  return isSystemOutage(error) || (error instanceof Error && DRIVER_OUTAGE.test(error.message));
}

const DEFAULT_TIMEOUT_MS = 3_000;
/** The client-side reply timeout leaves the server's statement_timeout room to answer first. */
const REPLY_MARGIN_MS = 500;

export async function openPostgres(opts: PostgresOptions): Promise<SqlDatabase> {
  const { schema } = opts;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
  }
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, Number);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: opts.url,
    types,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + REPLY_MARGIN_MS,
    // Dead peers (a host gone without a FIN) are found by TCP, not only by the next timeout.
    keepAlive: true,
    // Set at connection startup, so every pooled connection has it before its first query.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection dropping (server restart) must not crash the process: the pool discards
  // it, and the next query reports the outage to its caller.
  pool.on('error', () => {});

  try {
    if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    // Two processes creating the schema at once: the loser sees a duplicate; anything else is real.
    const code = (error as { code?: string }).code;
    if (code !== '42P06' && code !== '23505') {
      await pool.end();
      throw error;
    }
  }

  const guard = <T>(call: () => Promise<T>) => guardStore('PostgreSQL', isPostgresOutage, call);
  return {
    dialect: 'postgres',
    query: <T>(sql: string, params?: unknown[]) => guard(async () => (await pool.query(sql, params)).rows as T[]),
    transaction: <T>(fn: (tx: SqlDatabase) => Promise<T>) => guard(() => transaction(pool, fn)),
    close: () => pool.end(),
  };
}

async function transaction<T>(pool: pg.Pool, fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
  // While checked out, a client has no listener of the pool's: a connection lost now (server
  // restart, pg_terminate_backend) would be an unhandled 'error' event and kill the process.
  // The pending statement fails by itself; the listener only keeps the cause.
  let broken: Error | undefined;
  const onError = (error: Error) => (broken ??= error);
  const client = await checkout(pool, onError);
  try {
    await client.query('BEGIN');
    const result = await fn(clientHandle(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // On a lost or hung connection a ROLLBACK would only wait again; closing it rolls back.
    if (!(error instanceof pg.DatabaseError) && isPostgresOutage(error)) broken ??= error as Error;
    if (broken === undefined) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw error;
  } finally {
    // A connection that failed or cannot even roll back is destroyed rather than reused.
    client.release(broken);
    client.removeListener('error', onError);
  }
}

/**
 * A pooled client with the error listener attached inside the pool's callback. Not after
 * awaiting pool.connect(): the error can arrive in the same network read that made the
 * client ready, before an awaiting caller runs, and would find no listener.
 */
function checkout(pool: pg.Pool, onError: (error: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) =>
    pool.connect((error, client) => {
      if (error !== undefined && error !== null) return reject(error);
      client!.on('error', onError);
      resolve(client!);
    }),
  );
}

/** The handle a transaction's callback sees: every statement on the transaction's connection. */
function clientHandle(client: pg.PoolClient): SqlDatabase {
  const tx: SqlDatabase = {
    dialect: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    transaction: (fn) => fn(tx),
    close: () => Promise.reject(new Error('close() called inside a transaction')),
  };
  return tx;
}
