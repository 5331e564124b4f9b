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
}

const COLUMNS = 'id, email, password_hash, plan_id, created_at';

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  planId: row.plan_id,
  createdAt: row.created_at,
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
        `INSERT INTO users (${COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
        [user.id, normalizeEmail(user.email), user.passwordHash, user.planId, user.createdAt],
      );
      return rows.length === 1;
    },
    findByEmail: (email) => findOne('email', normalizeEmail(email)),
    findById: (id) => findOne('id', id),
  };
}
