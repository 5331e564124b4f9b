/** The SqlDatabase seam itself: placeholders, transactions and migrations, on every driver. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../src/server/stores/sql/database.js';
import { MIGRATIONS, migrate } from '../../src/server/stores/sql/migrations.js';
import { plan, user, type NewSqlTarget, type SqlTarget } from './harness.js';

const LATEST = MIGRATIONS.map((m) => m.version);
const planIds = async (db: SqlDatabase) => (await db.query<{ id: string }>('SELECT id FROM plans ORDER BY id')).map((r) => r.id);
const insertPlan = (db: SqlDatabase, planId: string) =>
  db.query("INSERT INTO plans (id, titles, max_streams, created_at, updated_at) VALUES ($1, '*', NULL, 1, 1)", [planId]);

export function sqlDatabaseContract(newTarget: NewSqlTarget): void {
  describe('SqlDatabase', () => {
    let target: SqlTarget;
    const open: SqlDatabase[] = [];
    const openDb = async () => {
      const db = await target.openDb();
      open.push(db);
      return db;
    };
    beforeEach(async () => {
      target = await newTarget();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((db) => db.close()));
    });

    it('binds $n placeholders by number, reused and out of order, not inside literals', async () => {
      const db = await openDb();
      const rows = await db.query<Record<string, unknown>>(
        "SELECT CAST($2 AS TEXT) AS b, CAST($1 AS TEXT) AS a, CAST($2 AS TEXT) AS b2, '$1 it''s' AS lit",
        ['one', 'two'],
      );
      expect(rows).toEqual([{ b: 'two', a: 'one', b2: 'two', lit: "$1 it's" }]);
    });

    it('returns BIGINT millisecond timestamps and counts as numbers', async () => {
      const db = await openDb();
      await migrate(db);
      await insertPlan(db, 'p');
      await db.query('UPDATE plans SET created_at = $1 WHERE id = $2', [1_735_689_600_123, 'p']);
      const [row] = await db.query<{ created_at: unknown; n: unknown }>(
        'SELECT created_at, (SELECT COUNT(*) FROM plans) AS n FROM plans',
      );
      expect(row).toEqual({ created_at: 1_735_689_600_123, n: 1 });
    });

    it('commits a transaction and returns its result', async () => {
      const db = await openDb();
      await migrate(db);
      const result = await db.transaction(async (tx) => {
        await insertPlan(tx, 'a');
        await tx.transaction((inner) => insertPlan(inner, 'b')); // nested: joins the outer one
        return 42;
      });
      expect(result).toBe(42);
      expect(await planIds(db)).toEqual(['a', 'b']);
    });

    it('leaves nothing written when a transaction throws', async () => {
      const db = await openDb();
      await migrate(db);
      const failure = db.transaction(async (tx) => {
        await insertPlan(tx, 'a');
        throw new Error('boom');
      });
      await expect(failure).rejects.toThrow('boom');
      const violation = db.transaction(async (tx) => {
        await insertPlan(tx, 'b');
        await tx.query(
          'INSERT INTO users (id, email, password_hash, plan_id, created_at) VALUES ($1, $2, $3, $4, $5)',
          ['u', 'u@example.com', 'h', 'no-such-plan', 1],
        );
      });
      await expect(violation).rejects.toThrow();
      expect(await planIds(db)).toEqual([]);
    });

    it('keeps statements issued outside a transaction out of it', async () => {
      const db = await openDb();
      await migrate(db);
      let inside!: () => void;
      const entered = new Promise<void>((resolve) => (inside = resolve));
      const failing = db.transaction(async (tx) => {
        await insertPlan(tx, 'in-tx');
        inside();
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('rollback');
      });
      await entered;
      // Issued while the transaction is open; it must survive that transaction's rollback.
      const outside = insertPlan(db, 'outside');
      await expect(failing).rejects.toThrow('rollback');
      await outside;
      expect(await planIds(db)).toEqual(['outside']);
    });

    it('applies every migration once; reopening applies none and keeps the data', async () => {
      const db = await openDb();
      expect(await migrate(db)).toEqual(LATEST);
      expect(await migrate(db)).toEqual([]);
      const stores = await target.openStores();
      const p = await stores.plans.upsert(plan());
      const u = user(p.id);
      await stores.users.create(u);
      await stores.close();
      const reopened = await target.openStores();
      expect(await reopened.users.findById(u.id)).toEqual(u);
      await reopened.close();
      const versions = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.map((r) => r.version)).toEqual(LATEST);
    });

    it('is safe when two handles migrate a new database at once', async () => {
      const [a, b] = [await openDb(), await openDb()];
      const applied = await Promise.all([migrate(a), migrate(b)]);
      expect(applied.map((v) => v.length).sort()).toEqual([0, LATEST.length]);
      expect(await planIds(a)).toEqual([]);
    });

    it('refuses to run on a schema newer than this build', async () => {
      const db = await openDb();
      await migrate(db);
      await db.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [9_999, 1]);
      await expect(migrate(db)).rejects.toThrow(/newer/);
      await expect(target.openStores()).rejects.toThrow(/newer/);
    });

    it('answers ping and fails loudly once closed', async () => {
      const stores = await target.openStores();
      await expect(stores.ping()).resolves.toBeUndefined();
      await stores.close();
      await expect(stores.ping()).rejects.toThrow();
    });
  });
}
