/**
 * SigningKeyStore over SQL. Rotation retires the current key and inserts the new one in one
 * transaction; a unique partial index (one unretired key per use) makes a racing second
 * rotation fail instead of leaving two current keys.
 */
import type { KeyUse, SigningKeyRecord, SigningKeyStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface KeyRow {
  kid: string;
  use: KeyUse;
  alg: string;
  public_jwk: string | null;
  sealed: string;
  created_at: number;
  retired_at: number | null;
}

const COLUMNS = 'kid, use, alg, public_jwk, sealed, created_at, retired_at';
/** Largest safe integer: sorts the current (never retired) key first among equal created_at. */
const NEVER = Number.MAX_SAFE_INTEGER;

const toKey = (row: KeyRow): SigningKeyRecord => ({
  kid: row.kid,
  use: row.use,
  alg: row.alg,
  publicJwk: row.public_jwk === null ? null : (JSON.parse(row.public_jwk) as Record<string, unknown>),
  sealed: row.sealed,
  createdAt: row.created_at,
  retiredAt: row.retired_at,
});

export function sqlSigningKeyStore(db: SqlDatabase): SigningKeyStore {
  return {
    rotate: (key, now) =>
      db.transaction(async (tx) => {
        await tx.query('UPDATE signing_keys SET retired_at = $1 WHERE use = $2 AND retired_at IS NULL', [
          now,
          key.use,
        ]);
        await tx.query(`INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          key.kid,
          key.use,
          key.alg,
          key.publicJwk === null ? null : JSON.stringify(key.publicJwk),
          key.sealed,
          key.createdAt,
          key.retiredAt,
        ]);
      }),
    list: async (use) =>
      (
        await db.query<KeyRow>(
          `SELECT ${COLUMNS} FROM signing_keys WHERE use = $1
           ORDER BY created_at DESC, COALESCE(retired_at, ${NEVER}) DESC`,
          [use],
        )
      ).map(toKey),
    prune: async (use, retiredBefore) =>
      (
        await db.query(
          'DELETE FROM signing_keys WHERE use = $1 AND retired_at IS NOT NULL AND retired_at < $2 RETURNING kid',
          [use, retiredBefore],
        )
      ).length,
  };
}
