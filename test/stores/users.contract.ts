import { describe, expect, it } from 'vitest';
import { plan, useStores, user, type NewSqlTarget } from './harness.js';

export function userStoreContract(newTarget: NewSqlTarget): void {
  describe('UserStore', () => {
    const ctx = useStores(newTarget);

    it('creates a user, found by id and by email in any case', async () => {
      const p = await ctx.stores.plans.upsert(plan());
      const u = user(p.id, { email: 'Alice.Smith@Example.COM' });
      expect(await ctx.stores.users.create(u)).toBe(true);
      const stored = { ...u, email: 'alice.smith@example.com' };
      expect(await ctx.stores.users.findById(u.id)).toEqual(stored);
      expect(await ctx.stores.users.findByEmail('ALICE.smith@example.com')).toEqual(stored);
    });

    it('refuses a taken email, whatever its case, and keeps the first user', async () => {
      const p = await ctx.stores.plans.upsert(plan());
      const first = user(p.id, { email: 'bob@example.com' });
      expect(await ctx.stores.users.create(first)).toBe(true);
      expect(await ctx.stores.users.create(user(p.id, { email: 'BOB@example.com' }))).toBe(false);
      expect((await ctx.stores.users.findByEmail('bob@example.com'))?.id).toBe(first.id);
    });

    it('stores one Unicode spelling (NFC): an NFD spelling finds it and cannot take it again', async () => {
      const p = await ctx.stores.plans.upsert(plan());
      const first = user(p.id, { email: 'Jose\u0301@example.com' });
      expect(await ctx.stores.users.create(first)).toBe(true);
      expect((await ctx.stores.users.findByEmail('jos\u00e9@example.com'))?.email).toBe('jos\u00e9@example.com');
      expect(await ctx.stores.users.create(user(p.id, { email: 'jos\u00e9@example.com' }))).toBe(false);
    });

    it('refuses a taken id', async () => {
      const p = await ctx.stores.plans.upsert(plan());
      const first = user(p.id);
      await ctx.stores.users.create(first);
      expect(await ctx.stores.users.create(user(p.id, { id: first.id }))).toBe(false);
    });

    it('returns undefined for unknown ids and emails', async () => {
      expect(await ctx.stores.users.findById('nobody')).toBeUndefined();
      expect(await ctx.stores.users.findByEmail('nobody@example.com')).toBeUndefined();
    });

    it('rejects a user whose plan does not exist (plan_id references plans)', async () => {
      await expect(ctx.stores.users.create(user('no-such-plan'))).rejects.toThrow();
    });
  });
}
