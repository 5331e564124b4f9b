/** PlanStore over SQL. `titles` is a JSON array of title ids, or the bare text '*' for all. */
import type { PlanRecord, PlanStore, StreamCountBy, StreamLimitMode } from '../../../core/ports.js';
import { ACCESS_COLUMNS, accessFromRow, type AccessRow, accessValues } from './access-columns.js';
import type { SqlDatabase } from './database.js';

interface PlanRow extends AccessRow {
  id: string;
  titles: string;
  max_streams: number | null;
  stream_limit_mode: StreamLimitMode;
  count_by: StreamCountBy;
  max_devices: number | null;
  require_mfa: number;
  created_at: number;
  updated_at: number;
}

const COLUMNS = `id, titles, max_streams, stream_limit_mode, count_by, max_devices, require_mfa, ${ACCESS_COLUMNS}, created_at, updated_at`;

const toPlan = (row: PlanRow): PlanRecord => ({
  id: row.id,
  titles: row.titles === '*' ? '*' : (JSON.parse(row.titles) as string[]),
  maxStreams: row.max_streams,
  streamLimitMode: row.stream_limit_mode,
  countBy: row.count_by,
  maxDevices: row.max_devices,
  requireMfa: Number(row.require_mfa) === 1,
  access: accessFromRow(row),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function sqlPlanStore(db: SqlDatabase): PlanStore {
  return {
    async upsert(plan) {
      // An update keeps the original created_at: the plan is the same plan, edited.
      const [row] = await db.query<PlanRow>(
        `INSERT INTO plans (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET titles = excluded.titles,
           max_streams = excluded.max_streams, stream_limit_mode = excluded.stream_limit_mode,
           count_by = excluded.count_by, max_devices = excluded.max_devices,
           require_mfa = excluded.require_mfa, countries = excluded.countries,
           allowed_origins = excluded.allowed_origins, updated_at = excluded.updated_at
         RETURNING ${COLUMNS}`,
        [
          plan.id,
          plan.titles === '*' ? '*' : JSON.stringify(plan.titles),
          plan.maxStreams,
          plan.streamLimitMode,
          plan.countBy,
          plan.maxDevices,
          plan.requireMfa ? 1 : 0,
          ...accessValues(plan.access),
          plan.createdAt,
          plan.updatedAt,
        ],
      );
      if (!row) throw new Error(`plan upsert of ${plan.id} returned no row`);
      return toPlan(row);
    },
    async get(id) {
      const [row] = await db.query<PlanRow>(`SELECT ${COLUMNS} FROM plans WHERE id = $1`, [id]);
      return row && toPlan(row);
    },
    list: async () => (await db.query<PlanRow>(`SELECT ${COLUMNS} FROM plans ORDER BY id`)).map(toPlan),
  };
}
