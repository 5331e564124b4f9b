/** TitleStore over SQL. Protocols and key ids are JSON arrays in TEXT columns. */
import type { TitleRecord, TitleStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface TitleRow {
  id: string;
  name: string;
  protocols: string;
  key_ids: string;
  created_at: number;
}

const COLUMNS = 'id, name, protocols, key_ids, created_at';

const toTitle = (row: TitleRow): TitleRecord => ({
  id: row.id,
  name: row.name,
  protocols: JSON.parse(row.protocols) as string[],
  keyIds: JSON.parse(row.key_ids) as string[],
  createdAt: row.created_at,
});

export function sqlTitleStore(db: SqlDatabase): TitleStore {
  return {
    async create(title) {
      const rows = await db.query(
        `INSERT INTO titles (${COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
        [title.id, title.name, JSON.stringify(title.protocols), JSON.stringify(title.keyIds), title.createdAt],
      );
      return rows.length === 1;
    },
    async get(id) {
      const [row] = await db.query<TitleRow>(`SELECT ${COLUMNS} FROM titles WHERE id = $1`, [id]);
      return row && toTitle(row);
    },
    list: async () =>
      (await db.query<TitleRow>(`SELECT ${COLUMNS} FROM titles ORDER BY created_at, id`)).map(toTitle),
    async remove(id) {
      await db.query('DELETE FROM titles WHERE id = $1', [id]);
    },
  };
}
