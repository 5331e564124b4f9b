/** The watchtower's store over SQL: alerts (alerts.ts), blocks, MFA step-ups, sensitive titles. */
import type { BlockRecord, WatchtowerStore } from '../../../core/ports.js';
import { sqlAlertStore } from './alerts.js';
import type { SqlDatabase } from './database.js';

interface BlockRow {
  id: string;
  network: string;
  reason: string;
  alert_id: string | null;
  created_at: number;
  expires_at: number;
  lifted_at: number | null;
}

const BLOCK_COLUMNS = 'id, network, reason, alert_id, created_at, expires_at, lifted_at';

const toBlock = (r: BlockRow): BlockRecord => ({
  id: r.id,
  network: r.network,
  reason: r.reason,
  alertId: r.alert_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  liftedAt: r.lifted_at,
});

export function sqlWatchtowerStore(db: SqlDatabase): WatchtowerStore {
  return {
    ...sqlAlertStore(db),
    async addBlock(b) {
      await db.query(`INSERT INTO blocks (${BLOCK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [b.id, b.network, b.reason, b.alertId, b.createdAt, b.expiresAt, b.liftedAt]);
    },
    activeBlocks: async (now) =>
      (await db.query<BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE lifted_at IS NULL AND expires_at > $1 ORDER BY created_at, id`, [now])).map(toBlock),
    liftBlock: async (id, now) => (await db.query('UPDATE blocks SET lifted_at = $2 WHERE id = $1 AND lifted_at IS NULL AND expires_at > $2 RETURNING id', [id, now])).length === 1,
    async requireMfa(userId, alertId, now) {
      await db.query('INSERT INTO mfa_step_ups (user_id, alert_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING', [userId, alertId, now]);
    },
    mfaRequired: async (userId) => (await db.query('SELECT 1 AS one FROM mfa_step_ups WHERE user_id = $1', [userId])).length === 1,
    clearMfaRequirement: async (userId) => (await db.query('DELETE FROM mfa_step_ups WHERE user_id = $1 RETURNING user_id', [userId])).length === 1,
    setSensitive: async (titleId, sensitive) => (await db.query('UPDATE titles SET sensitive = $2 WHERE id = $1 RETURNING id', [titleId, sensitive ? 1 : 0])).length === 1,
    sensitiveTitles: async () => (await db.query<{ id: string }>('SELECT id FROM titles WHERE sensitive = 1 ORDER BY id')).map((r) => r.id),
  };
}
