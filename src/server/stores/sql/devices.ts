/**
 * DeviceStore over SQL. Threat: a device limit outrun by parallel logins from new devices
 * (each counting the devices before any has added its own). Admission counts and inserts in
 * one transaction that holds a per-user lock: a PostgreSQL advisory lock on the user (so
 * instances sharing the database queue), SQLite's BEGIN IMMEDIATE write lock.
 */
import type { DeviceRecord, DeviceStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface DeviceRow {
  user_id: string;
  device_id: string;
  name: string | null;
  first_seen_at: number;
  last_seen_at: number;
}

const COLUMNS = 'user_id, device_id, name, first_seen_at, last_seen_at';

const toDevice = (row: DeviceRow): DeviceRecord => ({
  userId: row.user_id,
  deviceId: row.device_id,
  name: row.name,
  firstSeenAt: Number(row.first_seen_at),
  lastSeenAt: Number(row.last_seen_at),
});

async function listDevices(db: SqlDatabase, userId: string): Promise<DeviceRecord[]> {
  const rows = await db.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE user_id = $1 ORDER BY last_seen_at DESC, device_id`, [userId]);
  return rows.map(toDevice);
}

export function sqlDeviceStore(db: SqlDatabase): DeviceStore {
  return {
    admit: ({ userId, deviceId, name }, maxDevices, now) =>
      db.transaction(async (tx) => {
        if (tx.dialect === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(hashtext('tollgate.devices.' || $1::text))`, [userId]);
        const seen = await tx.query(
          'UPDATE devices SET last_seen_at = $3, name = COALESCE($4, name) WHERE user_id = $1 AND device_id = $2 RETURNING device_id',
          [userId, deviceId, now, name],
        );
        if (seen.length === 1) return { admitted: true } as const;
        if (maxDevices !== null) {
          const devices = await listDevices(tx, userId);
          if (devices.length >= maxDevices) return { admitted: false, devices } as const;
        }
        await tx.query(`INSERT INTO devices (${COLUMNS}) VALUES ($1, $2, $3, $4, $4)`, [userId, deviceId, name, now]);
        return { admitted: true } as const;
      }),
    list: (userId) => listDevices(db, userId),
    remove: async (userId, deviceId) =>
      (await db.query('DELETE FROM devices WHERE user_id = $1 AND device_id = $2 RETURNING device_id', [userId, deviceId])).length === 1,
  };
}
