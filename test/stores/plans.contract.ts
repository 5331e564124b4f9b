import { describe, expect, it } from 'vitest';
import { plan, useStores, type NewSqlTarget } from './harness.js';

export function planStoreContract(newTarget: NewSqlTarget): void {
  describe('PlanStore', () => {
    const ctx = useStores(newTarget);

    it('inserts a plan and reads it back', async () => {
      const p = plan({ titles: ['a', 'b'], maxStreams: 3 });
      expect(await ctx.stores.plans.upsert(p)).toEqual(p);
      expect(await ctx.stores.plans.get(p.id)).toEqual(p);
    });

    it('updates titles, limit, limit mode, count and updatedAt on upsert, keeping createdAt', async () => {
      const p = await ctx.stores.plans.upsert(plan({ createdAt: 1_000, updatedAt: 1_000 }));
      const edited = { ...p, titles: ['c'], maxStreams: null, streamLimitMode: 'evict_oldest' as const, countBy: 'device' as const, createdAt: 9_999, updatedAt: 5_000 };
      const expected = { ...edited, createdAt: 1_000 };
      expect(await ctx.stores.plans.upsert(edited)).toEqual(expected);
      expect(await ctx.stores.plans.get(p.id)).toEqual(expected);
      expect(await ctx.stores.plans.list()).toEqual([expected]);
    });

    it("keeps '*' (every title) distinct from a list, and null (unlimited) streams", async () => {
      const all = plan({ titles: '*', maxStreams: null });
      await ctx.stores.plans.upsert(all);
      expect(await ctx.stores.plans.get(all.id)).toEqual(all);
      const star = plan({ titles: ['*'] });
      await ctx.stores.plans.upsert(star);
      expect((await ctx.stores.plans.get(star.id))?.titles).toEqual(['*']);
      const none = plan({ titles: [] });
      await ctx.stores.plans.upsert(none);
      expect((await ctx.stores.plans.get(none.id))?.titles).toEqual([]);
    });

    it('stores country lists and browser origins, and replaces them on upsert', async () => {
      const access = { countries: { allow: ['DE', 'FR'], block: ['GB'] }, allowedOrigins: ['https://player.example.com', 'http://localhost:8080'] };
      const p = plan({ access });
      expect(await ctx.stores.plans.upsert(p)).toEqual(p);
      expect((await ctx.stores.plans.get(p.id))?.access).toEqual(access);
      const only = { countries: { block: ['US'] }, allowedOrigins: [] };
      expect((await ctx.stores.plans.upsert({ ...p, access: only, updatedAt: 2_000 })).access).toEqual(only);
      expect((await ctx.stores.plans.list())[0]?.access).toEqual(only);
    });

    it('returns undefined for an unknown plan and lists plans by id', async () => {
      expect(await ctx.stores.plans.get('nope')).toBeUndefined();
      expect(await ctx.stores.plans.list()).toEqual([]);
      for (const planId of ['b', 'c', 'a']) await ctx.stores.plans.upsert(plan({ id: planId }));
      expect((await ctx.stores.plans.list()).map((p) => p.id)).toEqual(['a', 'b', 'c']);
    });
  });
}
