/**
 * PostgreSQL driver (pg.Pool) for scaled-out installs. BIGINT (our millisecond timestamps,
 * counts) is parsed to Number through a per-pool TypeOverrides, never pg's global parser,
 * so other pg users in the process are unaffected. Values stay far below 2^53.
 */
import pg from 'pg';
import type { SqlDatabase } from './database.js';

const INT8_OID = 20;
/** Lower-case identifiers only: the schema name is interpolated into SQL and startup options. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresOptions {
  readonly url: string;
  /** Puts every table in this schema (created if missing), e.g. to isolate test runs. */
  readonly schema?: string;
}

export async function openPostgres(opts: PostgresOptions): Promise<SqlDatabase> {
  const { schema } = opts;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
  }
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, Number);
  const pool = new pg.Pool({
    connectionString: opts.url,
    types,
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

  return {
    dialect: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
    async transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(clientHandle(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw error;
      } finally {
        // A connection that cannot even roll back is destroyed rather than reused.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
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
