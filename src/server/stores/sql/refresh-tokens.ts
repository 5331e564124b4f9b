/**
 * RefreshTokenStore over SQL: refresh-token rotation with reuse detection.
 *
 * Threat: a stolen refresh token. Each token is single-use; presenting a used one means two
 * parties hold the family, so the whole family is revoked and both must log in again. The
 * claim on a token is a conditional UPDATE (used_at IS NULL) rather than SELECT FOR UPDATE,
 * which SQLite lacks: of two concurrent rotations exactly one updates the row (on PostgreSQL
 * the second blocks on the row lock, then re-checks and finds it used) and the other is
 * treated as reuse.
 */
import type { RefreshFamily, RefreshTokenStore, RotateOutcome } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface FamilyRow {
  id: string;
  user_id: string;
  device_id: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export const REUSE_REASON = 'refresh_token_reused';

const FAMILY_FIELDS = ['id', 'user_id', 'device_id', 'created_at', 'expires_at', 'revoked_at', 'revoked_reason'];
const COLUMNS = FAMILY_FIELDS.join(', ');
const F_COLUMNS = FAMILY_FIELDS.map((c) => `f.${c}`).join(', ');

const toFamily = (row: FamilyRow): RefreshFamily => ({
  id: row.id,
  userId: row.user_id,
  deviceId: row.device_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  revokedReason: row.revoked_reason,
});

async function familyOfToken(db: SqlDatabase, hash: string) {
  const [row] = await db.query<FamilyRow & { used_at: number | null }>(
    `SELECT t.used_at, ${F_COLUMNS} FROM refresh_tokens t
     JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = $1`,
    [hash],
  );
  return row;
}

export function sqlRefreshTokenStore(db: SqlDatabase): RefreshTokenStore {
  return {
    createFamily: (family, tokenHash) =>
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO refresh_families (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          family.id,
          family.userId,
          family.deviceId,
          family.createdAt,
          family.expiresAt,
          family.revokedAt,
          family.revokedReason,
        ]);
        await tx.query('INSERT INTO refresh_tokens (hash, family_id, used_at, created_at) VALUES ($1, $2, NULL, $3)', [
          tokenHash,
          family.id,
          family.createdAt,
        ]);
      }),

    rotate: (oldHash, newHash, now) =>
      db.transaction(async (tx): Promise<RotateOutcome> => {
        const row = await familyOfToken(tx, oldHash);
        if (!row) return { status: 'unknown' };
        const family = toFamily(row);
        if (family.revokedAt !== null) return { status: 'revoked', family };
        if (now >= family.expiresAt) return { status: 'expired', family };
        const claimed =
          row.used_at === null &&
          (
            await tx.query('UPDATE refresh_tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL RETURNING hash', [
              oldHash,
              now,
            ])
          ).length === 1;
        if (!claimed) {
          // COALESCE keeps the first revocation if another request revoked the family meanwhile.
          const [revoked] = await tx.query<FamilyRow>(
            `UPDATE refresh_families SET revoked_at = COALESCE(revoked_at, $2),
               revoked_reason = COALESCE(revoked_reason, $3)
             WHERE id = $1 RETURNING ${COLUMNS}`,
            [family.id, now, REUSE_REASON],
          );
          if (!revoked) throw new Error(`refresh family ${family.id} vanished during rotation`);
          return { status: 'reused', family: toFamily(revoked) };
        }
        await tx.query('INSERT INTO refresh_tokens (hash, family_id, used_at, created_at) VALUES ($1, $2, NULL, $3)', [
          newHash,
          family.id,
          now,
        ]);
        return { status: 'rotated', family };
      }),

    async findFamilyByToken(tokenHash) {
      const row = await familyOfToken(db, tokenHash);
      return row && toFamily(row);
    },
    async getFamily(id) {
      const [row] = await db.query<FamilyRow>(`SELECT ${COLUMNS} FROM refresh_families WHERE id = $1`, [id]);
      return row && toFamily(row);
    },
    revokeFamily: async (id, reason, now) =>
      (
        await db.query(
          'UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id',
          [id, now, reason],
        )
      ).length === 1,

    // Tokens first, explicitly: the schema cascades, but the store does not lean on that.
    prune: (endedBefore) =>
      db.transaction(async (tx) => {
        const ended = 'expires_at < $1 OR revoked_at < $1';
        await tx.query(`DELETE FROM refresh_tokens WHERE family_id IN (SELECT id FROM refresh_families WHERE ${ended})`, [endedBefore]);
        return (await tx.query(`DELETE FROM refresh_families WHERE ${ended} RETURNING id`, [endedBefore])).length;
      }),
  };
}
