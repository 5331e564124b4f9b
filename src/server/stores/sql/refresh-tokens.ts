/**
 * RefreshTokenStore over SQL: refresh-token rotation with reuse detection.
 *
 * Threat: a stolen refresh token. Each token is single-use; presenting a used one means two
 * parties hold the family, so the whole family is revoked and both must log in again. The
 * claim on a token is a conditional UPDATE (used_at IS NULL) rather than SELECT FOR UPDATE,
 * which SQLite lacks: of two concurrent rotations exactly one updates the row (on PostgreSQL
 * the second blocks on the row lock, then re-checks and finds it used) and the other is
 * treated as reuse, unless it is a retry within the reuse grace (replaceUnusedSuccessor).
 */
import type { RefreshFamily, RefreshTokenStore, RotateOutcome } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface FamilyRow {
  id: string;
  user_id: string;
  device_id: string | null;
  mfa: number;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export const REUSE_REASON = 'refresh_token_reused';

const FAMILY_FIELDS = ['id', 'user_id', 'device_id', 'mfa', 'created_at', 'expires_at', 'revoked_at', 'revoked_reason'];
const COLUMNS = FAMILY_FIELDS.join(', ');
const F_COLUMNS = FAMILY_FIELDS.map((c) => `f.${c}`).join(', ');

const toFamily = (row: FamilyRow): RefreshFamily => ({
  id: row.id,
  userId: row.user_id,
  deviceId: row.device_id,
  mfa: Number(row.mfa) === 1,
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

/** Enough for any honest burst of retries; more than this many racing retries is not one client. */
const MAX_RETRY_RACES = 5;

/**
 * The reuse grace: a used token presented again within graceMs of its first use, while the
 * token its rotation issued is still unused, is a client retrying a refresh whose response it
 * lost. Its successor is then spent (marked used, so whoever presents it later trips reuse
 * detection) and newHash takes its place; true when that happened. A successor already used
 * by a rotation means the token is a grandparent: false, and the caller revokes. A successor
 * spent by a concurrent retry of the same token is followed to the newer one (the conditional
 * UPDATE lets exactly one retry spend each successor), so the family keeps one live token.
 */
async function replaceUnusedSuccessor(tx: SqlDatabase, oldHash: string, newHash: string, now: number, graceMs: number): Promise<boolean> {
  for (let race = 0; race < MAX_RETRY_RACES; race++) {
    const [token] = await tx.query<{ used_at: number | null; replaced_by: string | null }>(
      'SELECT used_at, replaced_by FROM refresh_tokens WHERE hash = $1',
      [oldHash],
    );
    if (token === undefined || token.used_at === null || token.replaced_by === null || now - token.used_at > graceMs) return false;
    const spent = await tx.query('UPDATE refresh_tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL RETURNING hash', [
      token.replaced_by,
      now,
    ]);
    if (spent.length === 1) {
      await tx.query('UPDATE refresh_tokens SET replaced_by = $2 WHERE hash = $1', [oldHash, newHash]);
      return true;
    }
    const [again] = await tx.query<{ replaced_by: string | null }>('SELECT replaced_by FROM refresh_tokens WHERE hash = $1', [oldHash]);
    // Spent by a rotation, not by a racing retry: this token is no longer the newest's parent.
    if (again?.replaced_by === token.replaced_by) return false;
  }
  return false;
}

export function sqlRefreshTokenStore(db: SqlDatabase): RefreshTokenStore {
  return {
    createFamily: (family, tokenHash) =>
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO refresh_families (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
          family.id,
          family.userId,
          family.deviceId,
          family.mfa ? 1 : 0,
          family.createdAt,
          family.expiresAt,
          family.revokedAt,
          family.revokedReason,
        ]);
        await tx.query('INSERT INTO refresh_tokens (hash, family_id, used_at, replaced_by, created_at) VALUES ($1, $2, NULL, NULL, $3)', [
          tokenHash,
          family.id,
          family.createdAt,
        ]);
      }),

    rotate: (oldHash, newHash, now, graceMs) =>
      db.transaction(async (tx): Promise<RotateOutcome> => {
        const row = await familyOfToken(tx, oldHash);
        if (!row) return { status: 'unknown' };
        const family = toFamily(row);
        if (family.revokedAt !== null) return { status: 'revoked', family };
        if (now >= family.expiresAt) return { status: 'expired', family };
        const claimed =
          row.used_at === null &&
          (
            await tx.query('UPDATE refresh_tokens SET used_at = $2, replaced_by = $3 WHERE hash = $1 AND used_at IS NULL RETURNING hash', [
              oldHash,
              now,
              newHash,
            ])
          ).length === 1;
        if (claimed || (graceMs > 0 && (await replaceUnusedSuccessor(tx, oldHash, newHash, now, graceMs)))) {
          await tx.query('INSERT INTO refresh_tokens (hash, family_id, used_at, replaced_by, created_at) VALUES ($1, $2, NULL, NULL, $3)', [
            newHash,
            family.id,
            now,
          ]);
          return { status: 'rotated', family };
        }
        // COALESCE keeps the first revocation if another request revoked the family meanwhile.
        const [revoked] = await tx.query<FamilyRow>(
          `UPDATE refresh_families SET revoked_at = COALESCE(revoked_at, $2),
             revoked_reason = COALESCE(revoked_reason, $3)
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [family.id, now, REUSE_REASON],
        );
        if (!revoked) throw new Error(`refresh family ${family.id} vanished during rotation`);
        return { status: 'reused', family: toFamily(revoked) };
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
    revokeForUser: (userId, reason, now) =>
      db.transaction(async (tx) => {
        await tx.query('UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL', [userId, now, reason]);
        const rows = await tx.query<FamilyRow>(
          `SELECT ${COLUMNS} FROM refresh_families WHERE user_id = $1 AND revoked_at IS NOT NULL AND expires_at > $2 ORDER BY created_at, id`,
          [userId, now],
        );
        return rows.map(toFamily);
      }),
    revokeDevice: async (userId, deviceId, reason, now) =>
      (
        await db.query<{ id: string }>(
          `UPDATE refresh_families SET revoked_at = COALESCE(revoked_at, $3), revoked_reason = COALESCE(revoked_reason, $4)
           WHERE user_id = $1 AND device_id = $2 AND expires_at > $3 RETURNING id`,
          [userId, deviceId, now, reason],
        )
      ).map((row) => row.id),

    // Tokens first, explicitly: the schema cascades, but the store does not lean on that.
    prune: (endedBefore) =>
      db.transaction(async (tx) => {
        const ended = 'expires_at < $1 OR revoked_at < $1';
        await tx.query(`DELETE FROM refresh_tokens WHERE family_id IN (SELECT id FROM refresh_families WHERE ${ended})`, [endedBefore]);
        return (await tx.query(`DELETE FROM refresh_families WHERE ${ended} RETURNING id`, [endedBefore])).length;
      }),
  };
}
