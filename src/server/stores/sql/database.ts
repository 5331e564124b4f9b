/**
 * The SQL seam between the durable stores and the two databases. The stores are written once
 * in portable SQL (TEXT, BIGINT milliseconds, INTEGER 0/1, JSON as TEXT, `$1..$n`
 * placeholders, conditional `UPDATE ... RETURNING` instead of row locks); each driver only
 * translates placeholders, converts types and provides transactions.
 */

export type Dialect = 'sqlite' | 'postgres';

export interface SqlDatabase {
  readonly dialect: Dialect;
  /** Runs one statement; returns its rows (none for statements without RETURNING). */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs fn inside one transaction: committed when fn resolves, rolled back when it throws.
   * Inside fn use only `tx`; a nested call joins the outer transaction.
   */
  transaction<T>(fn: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
