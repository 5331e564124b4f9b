/** PlaybackSessionStore over SQL. Ending is a conditional update, so it happens once; ended rows are pruned later. */
import type { PlaybackSessionRecord, PlaybackSessionStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface SessionRow {
  id: string;
  user_id: string;
  family_id: string;
  title_id: string;
  protocol: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  ended_reason: string | null;
}

const COLUMNS = 'id, user_id, family_id, title_id, protocol, created_at, expires_at, ended_at, ended_reason';

const toSession = (row: SessionRow): PlaybackSessionRecord => ({
  id: row.id,
  userId: row.user_id,
  familyId: row.family_id,
  titleId: row.title_id,
  protocol: row.protocol,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  endedAt: row.ended_at,
  endedReason: row.ended_reason,
});

export function sqlPlaybackSessionStore(db: SqlDatabase): PlaybackSessionStore {
  return {
    async create(s) {
      await db.query(`INSERT INTO playback_sessions (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        s.id,
        s.userId,
        s.familyId,
        s.titleId,
        s.protocol,
        s.createdAt,
        s.expiresAt,
        s.endedAt,
        s.endedReason,
      ]);
    },
    async get(id) {
      const [row] = await db.query<SessionRow>(`SELECT ${COLUMNS} FROM playback_sessions WHERE id = $1`, [id]);
      return row && toSession(row);
    },
    async end(id, reason, now) {
      const rows = await db.query(
        'UPDATE playback_sessions SET ended_at = $1, ended_reason = $2 WHERE id = $3 AND ended_at IS NULL RETURNING id',
        [now, reason, id],
      );
      return rows.length === 1;
    },
    prune: async (endedBefore) =>
      (await db.query('DELETE FROM playback_sessions WHERE expires_at < $1 OR ended_at < $1 RETURNING id', [endedBefore])).length,
    async endForTitle(titleId, reason, now) {
      const rows = await db.query<SessionRow>(
        `UPDATE playback_sessions SET ended_at = $1, ended_reason = $2 WHERE title_id = $3 AND ended_at IS NULL RETURNING ${COLUMNS}`,
        [now, reason, titleId],
      );
      return rows.map(toSession);
    },
    async endForUser(userId, reason, now) {
      const rows = await db.query<SessionRow>(
        `UPDATE playback_sessions SET ended_at = $1, ended_reason = $2 WHERE user_id = $3 AND ended_at IS NULL RETURNING ${COLUMNS}`,
        [now, reason, userId],
      );
      return rows.map(toSession);
    },
    async listActive(filter, now, limit) {
      const params: unknown[] = [now, limit];
      const where = [
        's.ended_at IS NULL AND s.expires_at > $1 AND f.revoked_at IS NULL AND f.expires_at > $1',
        ...(filter.userId !== undefined ? [`s.user_id = $${params.push(filter.userId)}`] : []),
        ...(filter.titleId !== undefined ? [`s.title_id = $${params.push(filter.titleId)}`] : []),
      ];
      const rows = await db.query<SessionRow & { device_id: string | null }>(
        `SELECT ${COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')}, f.device_id
         FROM playback_sessions s JOIN refresh_families f ON f.id = s.family_id
         WHERE ${where.join(' AND ')} ORDER BY s.created_at, s.id LIMIT $2`,
        params,
      );
      return rows.map((row) => ({ ...toSession(row), deviceId: row.device_id }));
    },
    async listForTitle(titleId, limit) {
      const rows = await db.query<SessionRow & { device_id: string | null }>(
        `SELECT ${COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')}, f.device_id
         FROM playback_sessions s LEFT JOIN refresh_families f ON f.id = s.family_id
         WHERE s.title_id = $1 ORDER BY s.created_at, s.id LIMIT $2`,
        [titleId, limit],
      );
      return rows.map((row) => ({ ...toSession(row), deviceId: row.device_id }));
    },
  };
}
