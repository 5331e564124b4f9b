/**
 * EventStore over SQL. A batch is one multi-row INSERT (the recorder flushes batches, never
 * one row per request); filters are parameters, never text in the statement.
 */
import type { DecisionEvent, EventKind, Decision } from '../../../core/events.js';
import type { EventFilter, EventStore, MinuteCounts } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface EventRow {
  id: string;
  at: number;
  kind: string;
  decision: string;
  code: string | null;
  user_id: string | null;
  session_id: string | null;
  device_id: string | null;
  title_id: string | null;
  ip: string;
  country: string | null;
  asn: number | null;
  count: number;
  detail: string | null;
}

const COLUMNS = 'id, at, kind, decision, code, user_id, session_id, device_id, title_id, ip, country, asn, count, detail';
const WIDTH = 14;
/** Rows per INSERT: PostgreSQL allows 65535 parameters, SQLite 32766. */
const ROWS_PER_INSERT = 500;

/** Rows deleted per statement when pruning. */
const PRUNE_CHUNK = 5_000;

const toEvent = (row: EventRow): DecisionEvent => ({
  id: row.id,
  at: Number(row.at),
  kind: row.kind as EventKind,
  decision: row.decision as Decision,
  ip: row.ip,
  count: row.count,
  ...(row.code !== null ? { code: row.code } : {}),
  ...(row.user_id !== null ? { userId: row.user_id } : {}),
  ...(row.session_id !== null ? { sessionId: row.session_id } : {}),
  ...(row.device_id !== null ? { deviceId: row.device_id } : {}),
  ...(row.title_id !== null ? { titleId: row.title_id } : {}),
  ...(row.country !== null ? { country: row.country } : {}),
  ...(row.asn !== null ? { asn: Number(row.asn) } : {}),
  ...(row.detail !== null ? { detail: JSON.parse(row.detail) as DecisionEvent['detail'] } : {}),
});

const toParams = (e: DecisionEvent): unknown[] => [
  e.id,
  e.at,
  e.kind,
  e.decision,
  e.code ?? null,
  e.userId ?? null,
  e.sessionId ?? null,
  e.deviceId ?? null,
  e.titleId ?? null,
  e.ip,
  e.country ?? null,
  e.asn ?? null,
  e.count ?? 1,
  e.detail === undefined ? null : JSON.stringify(e.detail),
];

export function sqlEventStore(db: SqlDatabase): EventStore {
  return {
    async append(events) {
      for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
        const batch = events.slice(start, start + ROWS_PER_INSERT);
        const rows = batch.map((_, r) => `(${Array.from({ length: WIDTH }, (_, c) => `$${r * WIDTH + c + 1}`).join(', ')})`);
        await db.query(`INSERT INTO events (${COLUMNS}) VALUES ${rows.join(', ')} ON CONFLICT (id) DO NOTHING`, batch.flatMap(toParams));
      }
    },
    async query(filter: EventFilter) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: string, value: unknown) => {
        params.push(value);
        where.push(clause.replace('?', `$${params.length}`));
      };
      if (filter.userId !== undefined) add('user_id = ?', filter.userId);
      if (filter.sessionId !== undefined) add('session_id = ?', filter.sessionId);
      if (filter.kind !== undefined) add('kind = ?', filter.kind);
      if (filter.decision !== undefined) add('decision = ?', filter.decision);
      if (filter.since !== undefined) add('at >= ?', filter.since);
      if (filter.before !== undefined) add('id < ?', filter.before);
      if (filter.ids !== undefined) {
        const first = params.length + 1;
        params.push(...filter.ids);
        where.push(filter.ids.length === 0 ? 'FALSE' : `id IN (${filter.ids.map((_, i) => `$${first + i}`).join(', ')})`);
      }
      params.push(filter.limit);
      const rows = await db.query<EventRow>(
        `SELECT ${COLUMNS} FROM events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toEvent);
    },
    async perMinute(since) {
      // Integer division in both dialects: at is a BIGINT of Unix ms.
      const rows = await db.query<{ minute: number | string; starts: number | string; licenses: number | string; denials: number | string }>(
        `SELECT at / 60000 AS minute,
           SUM(CASE WHEN kind = 'playback_start' AND decision = 'grant' THEN count ELSE 0 END) AS starts,
           SUM(CASE WHEN kind IN ('key', 'license') AND decision = 'grant' THEN count ELSE 0 END) AS licenses,
           SUM(CASE WHEN decision = 'deny' THEN count ELSE 0 END) AS denials
         FROM events WHERE at >= $1 GROUP BY at / 60000 ORDER BY minute`,
        [since],
      );
      return rows.map((r): MinuteCounts => ({ minute: Number(r.minute) * 60_000, starts: Number(r.starts), licenses: Number(r.licenses), denials: Number(r.denials) }));
    },
    async prune(before) {
      // In bounded chunks: a month of events is too many rows for one statement's answer.
      let total = 0;
      for (;;) {
        const deleted = (
          await db.query('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < $1 LIMIT $2) RETURNING id', [before, PRUNE_CHUNK])
        ).length;
        total += deleted;
        if (deleted < PRUNE_CHUNK) return total;
      }
    },
  };
}
