/** UserStore over SQL. Emails are normalised on the way in (normalizeEmail), so lookups ignore case and Unicode spelling. */
import { normalizeEmail } from '../../../core/email.js';
import type { UserRecord, UserStore } from '../../../core/ports.js';
import type { SqlDatabase } from './database.js';

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  plan_id: string;
  created_at: number;
  disabled_at: number | null;
}

const COLUMNS = 'id, email, password_hash, plan_id, created_at, disabled_at';

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  planId: row.plan_id,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});

export function sqlUserStore(db: SqlDatabase): UserStore {
  async function findOne(where: string, value: string): Promise<UserRecord | undefined> {
    const [row] = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE ${where} = $1`, [value]);
    return row && toUser(row);
  }
  return {
    async create(user) {
      // ON CONFLICT DO NOTHING: a taken email is a verdict (false), not an exception.
      const rows = await db.query(
        `INSERT INTO users (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
        [user.id, normalizeEmail(user.email), user.passwordHash, user.planId, user.createdAt, user.disabledAt],
      );
      return rows.length === 1;
    },
    findByEmail: (email) => findOne('email', normalizeEmail(email)),
    findById: (id) => findOne('id', id),
    list: async (limit) => (await db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY email LIMIT $1`, [limit])).map(toUser),
    async update(id, changes) {
      // Only the fields given change; a few fixed statement shapes, so the driver caches them.
      const sets: string[] = [];
      const params: unknown[] = [id];
      if (changes.planId !== undefined) sets.push(`plan_id = $${params.push(changes.planId)}`);
      if (changes.disabledAt !== undefined) sets.push(`disabled_at = $${params.push(changes.disabledAt)}`);
      const sql = sets.length === 0 ? 'SELECT id FROM users WHERE id = $1' : `UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING id`;
      return (await db.query(sql, params)).length === 1;
    },
  };
}
