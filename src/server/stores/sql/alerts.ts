/**
 * Alerts over SQL. Deduplication holds across instances: a partial unique index allows one
 * open alert per detector and subject, the open one is read FOR UPDATE on PostgreSQL (SQLite
 * writes one transaction at a time), and an insert that loses a race to another instance's is
 * retried once, then finds that alert open and adds to it.
 */
import { ALERT_EVIDENCE_LIMIT, type AlertAction, type AlertRecord, type NewAlert, type WatchtowerStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface AlertRow {
  id: string;
  detector: string;
  subject: string;
  severity: AlertRecord['severity'];
  summary: string;
  user_id: string | null;
  session_id: string | null;
  ip: string | null;
  evidence: string;
  actions_taken: string;
  status: AlertRecord['status'];
  dry_run: number | boolean;
  hits: number;
  created_at: number;
  last_at: number;
  resolved_at: number | null;
}

const COLUMNS = 'id, detector, subject, severity, summary, user_id, session_id, ip, evidence, actions_taken, status, dry_run, hits, created_at, last_at, resolved_at';

const toAlert = (r: AlertRow): AlertRecord => ({
  id: r.id,
  detector: r.detector,
  subject: r.subject,
  severity: r.severity,
  summary: r.summary,
  userId: r.user_id,
  sessionId: r.session_id,
  ip: r.ip,
  evidence: JSON.parse(r.evidence) as string[],
  actionsTaken: JSON.parse(r.actions_taken) as AlertAction[],
  status: r.status,
  dryRun: r.dry_run === 1 || r.dry_run === true,
  hits: r.hits,
  createdAt: r.created_at,
  lastAt: r.last_at,
  resolvedAt: r.resolved_at,
});

type AlertMethods = Pick<WatchtowerStore, 'raiseAlert' | 'addActions' | 'listAlerts' | 'resolveAlert'>;

export function sqlAlertStore(db: SqlDatabase): AlertMethods {
  const raiseOnce = (a: NewAlert, sinceAt: number, now: number) =>
    db.transaction(async (tx) => {
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
      const [open] = await tx.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts WHERE detector = $1 AND subject = $2 AND status = 'open'${lock}`, [a.detector, a.subject]);
      if (open !== undefined && open.last_at >= sinceAt) {
        const evidence = [...new Set([...(JSON.parse(open.evidence) as string[]), ...a.evidence])].slice(-ALERT_EVIDENCE_LIMIT);
        const [row] = await tx.query<AlertRow>(
          `UPDATE alerts SET evidence = $2, summary = $3, hits = hits + 1, last_at = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
          [open.id, JSON.stringify(evidence), a.summary, now],
        );
        return { alert: toAlert(row!), opened: false };
      }
      if (open !== undefined) await tx.query(`UPDATE alerts SET status = 'resolved', resolved_at = $2 WHERE id = $1`, [open.id, now]);
      const [row] = await tx.query<AlertRow>(
        `INSERT INTO alerts (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '[]', 'open', $10, 1, $11, $11, NULL) RETURNING ${COLUMNS}`,
        [a.id, a.detector, a.subject, a.severity, a.summary, a.userId, a.sessionId, a.ip, JSON.stringify(a.evidence.slice(-ALERT_EVIDENCE_LIMIT)), a.dryRun ? 1 : 0, now],
      );
      return { alert: toAlert(row!), opened: true };
    });
  return {
    async raiseAlert(a, sinceAt, now) {
      try {
        return await raiseOnce(a, sinceAt, now);
      } catch (error) {
        // Another instance opened the same alert between our read and insert: add to it.
        if (!/unique|duplicate/i.test((error as Error).message)) throw error;
        return raiseOnce(a, sinceAt, now);
      }
    },
    addActions: (id, actions) =>
      db.transaction(async (tx) => {
        const [row] = await tx.query<{ actions_taken: string }>('SELECT actions_taken FROM alerts WHERE id = $1', [id]);
        if (row === undefined) return;
        await tx.query('UPDATE alerts SET actions_taken = $2 WHERE id = $1', [id, JSON.stringify([...(JSON.parse(row.actions_taken) as AlertAction[]), ...actions])]);
      }),
    async listAlerts(filter, limit) {
      const rows =
        filter.status === undefined
          ? await db.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts ORDER BY last_at DESC, id LIMIT $1`, [limit])
          : await db.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts WHERE status = $1 ORDER BY last_at DESC, id LIMIT $2`, [filter.status, limit]);
      return rows.map(toAlert);
    },
    async resolveAlert(id, now) {
      await db.query(`UPDATE alerts SET status = 'resolved', resolved_at = $2 WHERE id = $1 AND status = 'open'`, [id, now]);
      const [row] = await db.query<AlertRow>(`SELECT ${COLUMNS} FROM alerts WHERE id = $1`, [id]);
      return row && toAlert(row);
    },
  };
}
