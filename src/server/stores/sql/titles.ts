/**
 * TitleStore over SQL: titles and their content keys, registered together in one transaction
 * so a failed registration leaves neither. Protocols are a JSON array in TEXT.
 */
import type { ContentKeyRecord, TitleRecord, TitleStore } from '../../../core/ports.js';
import { ACCESS_COLUMNS, accessFromRow, type AccessRow, accessValues } from './access-columns.js';
import type { SqlDatabase } from './database.js';

interface TitleRow extends AccessRow {
  id: string;
  name: string;
  protocols: string;
  duration_sec: number;
  created_at: number;
}

interface KeyRow {
  kid: string;
  title_id: string;
  label: string;
  sealed: string;
  created_at: number;
}

const COLUMNS = `id, name, protocols, duration_sec, ${ACCESS_COLUMNS}, created_at`;
const KEY_COLUMNS = 'kid, title_id, label, sealed, created_at';

const toTitle = (row: TitleRow): TitleRecord => ({
  id: row.id,
  name: row.name,
  protocols: JSON.parse(row.protocols) as string[],
  durationSec: row.duration_sec,
  access: accessFromRow(row),
  createdAt: row.created_at,
});

const toKey = (row: KeyRow): ContentKeyRecord => ({
  kid: row.kid,
  titleId: row.title_id,
  label: row.label,
  sealed: row.sealed,
  createdAt: row.created_at,
});

async function insertKeys(tx: SqlDatabase, titleId: string, keys: readonly ContentKeyRecord[]): Promise<void> {
  for (const key of keys) {
    await tx.query(`INSERT INTO content_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [key.kid, titleId, key.label, key.sealed, key.createdAt]);
  }
}

export function sqlTitleStore(db: SqlDatabase): TitleStore {
  return {
    create: (title, keys) =>
      db.transaction(async (tx) => {
        const rows = await tx.query(
          `INSERT INTO titles (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
          [title.id, title.name, JSON.stringify(title.protocols), title.durationSec, ...accessValues(title.access), title.createdAt],
        );
        if (rows.length !== 1) return false;
        await insertKeys(tx, title.id, keys);
        return true;
      }),
    // A new version of the title is still under the same rights: its access rules stay.
    replace: (title, keys) =>
      db.transaction(async (tx) => {
        const rows = await tx.query(
          'UPDATE titles SET name = $2, protocols = $3, duration_sec = $4, created_at = $5 WHERE id = $1 RETURNING id',
          [title.id, title.name, JSON.stringify(title.protocols), title.durationSec, title.createdAt],
        );
        if (rows.length !== 1) return false;
        await tx.query('DELETE FROM content_keys WHERE title_id = $1', [title.id]);
        await insertKeys(tx, title.id, keys);
        return true;
      }),
    async setAccess(id, access) {
      const rows = await db.query('UPDATE titles SET countries = $2, allowed_origins = $3 WHERE id = $1 RETURNING id', [id, ...accessValues(access)]);
      return rows.length === 1;
    },
    async get(id) {
      const [row] = await db.query<TitleRow>(`SELECT ${COLUMNS} FROM titles WHERE id = $1`, [id]);
      return row && toTitle(row);
    },
    list: async () =>
      (await db.query<TitleRow>(`SELECT ${COLUMNS} FROM titles ORDER BY created_at, id`)).map(toTitle),
    async remove(id) {
      await db.transaction(async (tx) => {
        await tx.query('DELETE FROM content_keys WHERE title_id = $1', [id]);
        await tx.query('DELETE FROM titles WHERE id = $1', [id]);
      });
    },
    async contentKey(kid) {
      const [row] = await db.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM content_keys WHERE kid = $1`, [kid]);
      return row && toKey(row);
    },
    contentKeys: async (titleId) =>
      (await db.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM content_keys WHERE title_id = $1 ORDER BY label, kid`, [titleId])).map(
        toKey,
      ),
  };
}
