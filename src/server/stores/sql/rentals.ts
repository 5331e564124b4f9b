/**
 * RentalStore over SQL. The first start is a conditional update (first_played_at IS NULL), so
 * of two racing first starts exactly one sets it and both then read the same playback window:
 * a viewer cannot restart the window by starting twice at once.
 */
import type { RentalRecord, RentalStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface RentalRow {
  user_id: string;
  title_id: string;
  expires_at: number;
  playback_ms: number | null;
  first_played_at: number | null;
  created_at: number;
}

const COLUMNS = 'user_id, title_id, expires_at, playback_ms, first_played_at, created_at';

const toRental = (row: RentalRow): RentalRecord => ({
  userId: row.user_id,
  titleId: row.title_id,
  expiresAt: row.expires_at,
  playbackMs: row.playback_ms,
  firstPlayedAt: row.first_played_at,
  createdAt: row.created_at,
});

export function sqlRentalStore(db: SqlDatabase): RentalStore {
  const get = async (userId: string, titleId: string): Promise<RentalRecord | undefined> => {
    const [row] = await db.query<RentalRow>(`SELECT ${COLUMNS} FROM rentals WHERE user_id = $1 AND title_id = $2`, [userId, titleId]);
    return row && toRental(row);
  };
  return {
    async put(r) {
      await db.query(
        `INSERT INTO rentals (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, title_id) DO UPDATE SET expires_at = excluded.expires_at, playback_ms = excluded.playback_ms,
           first_played_at = excluded.first_played_at, created_at = excluded.created_at`,
        [r.userId, r.titleId, r.expiresAt, r.playbackMs, r.firstPlayedAt, r.createdAt],
      );
    },
    get,
    listForUser: async (userId) =>
      (await db.query<RentalRow>(`SELECT ${COLUMNS} FROM rentals WHERE user_id = $1 ORDER BY title_id`, [userId])).map(toRental),
    async recordStart(userId, titleId, now) {
      await db.query('UPDATE rentals SET first_played_at = $3 WHERE user_id = $1 AND title_id = $2 AND first_played_at IS NULL AND expires_at > $3', [
        userId,
        titleId,
        now,
      ]);
      return get(userId, titleId);
    },
    prune: async (endedBefore) =>
      (await db.query('DELETE FROM rentals WHERE expires_at < $1 OR first_played_at + playback_ms < $1 RETURNING user_id', [endedBefore])).length,
  };
}
