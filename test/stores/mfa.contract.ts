import { describe, expect, it } from 'vitest';
import { seedUser, useStores, type NewSqlTarget } from './harness.js';

export function mfaStoreContract(newTarget: NewSqlTarget): void {
  describe('MfaStore', () => {
    const ctx = useStores(newTarget);

    it('begins, restarts while pending, confirms once, and refuses to begin over a confirmed factor', async () => {
      const u = await seedUser(ctx.stores);
      const store = ctx.stores.mfa;
      expect(await store.get(u.id)).toBeUndefined();
      expect(await store.begin(u.id, 'sealed-1', 1_000)).toBe(true);
      expect(await store.begin(u.id, 'sealed-2', 1_000)).toBe(true);
      expect(await store.confirm(u.id, 'sealed-1', 100, ['h1', 'h2'], 2_000)).toBe(false); // not the secret waiting
      expect(await store.confirm(u.id, 'sealed-2', 100, ['h1', 'h2'], 2_000)).toBe(true);
      expect(await store.confirm(u.id, 'sealed-2', 101, ['h3'], 3_000)).toBe(false);
      expect(await store.get(u.id)).toEqual({ userId: u.id, sealedSecret: 'sealed-2', confirmedAt: 2_000, lastStep: 100, pendingSecret: null });
      expect(await store.begin(u.id, 'sealed-3', 4_000)).toBe(false);
      expect((await store.get(u.id))?.sealedSecret).toBe('sealed-2');
    });

    it('accepts only steps newer than the last accepted one, one of a parallel race', async () => {
      const u = await seedUser(ctx.stores);
      const store = ctx.stores.mfa;
      expect(await store.useStep(u.id, 5)).toBe(false); // not enrolled
      await store.begin(u.id, 'sealed', 1_000);
      await store.confirm(u.id, 'sealed', 100, [], 1_000);
      expect(await store.useStep(u.id, 100)).toBe(false);
      const other = await ctx.another();
      const race = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : ctx.stores).mfa.useStep(u.id, 101)));
      expect(race.filter(Boolean)).toHaveLength(1);
      expect(await store.useStep(u.id, 99)).toBe(false);
      expect(await store.useStep(u.id, 102)).toBe(true);
    });

    it('replaces a confirmed factor only through a pending secret, confirmed once, the old one in force until then', async () => {
      const u = await seedUser(ctx.stores);
      const store = ctx.stores.mfa;
      expect(await store.beginReplacement(u.id, 'sealed-new')).toBe(false); // nothing to replace
      await store.begin(u.id, 'sealed-old', 1_000);
      expect(await store.beginReplacement(u.id, 'sealed-new')).toBe(false); // pending, not confirmed
      await store.confirm(u.id, 'sealed-old', 100, ['old'], 1_000);
      expect(await store.beginReplacement(u.id, 'sealed-new')).toBe(true);
      expect(await store.get(u.id)).toMatchObject({ sealedSecret: 'sealed-old', confirmedAt: 1_000, pendingSecret: 'sealed-new' });
      expect(await store.useStep(u.id, 101)).toBe(true); // the old factor still works
      const other = await ctx.another();
      // The replacement's first code may be of a step the old secret already used.
      const race = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? other : ctx.stores).mfa.confirm(u.id, 'sealed-new', 101, ['new'], 2_000)));
      expect(race.filter(Boolean)).toHaveLength(1);
      expect(await store.get(u.id)).toEqual({ userId: u.id, sealedSecret: 'sealed-new', confirmedAt: 2_000, lastStep: 101, pendingSecret: null });
      expect(await store.useRecoveryCode(u.id, 'old', 3_000)).toBe(false);
      expect(await store.useRecoveryCode(u.id, 'new', 3_000)).toBe(true);
      expect(await store.confirm(u.id, 'sealed-other', 102, [], 3_000)).toBe(false);
    });

    it('removes a factor with its recovery codes, once', async () => {
      const u = await seedUser(ctx.stores);
      const store = ctx.stores.mfa;
      expect(await store.remove(u.id)).toBe(false);
      await store.begin(u.id, 'sealed', 1_000);
      await store.confirm(u.id, 'sealed', 100, ['h1'], 1_000);
      expect(await store.remove(u.id)).toBe(true);
      expect(await store.get(u.id)).toBeUndefined();
      expect(await store.useRecoveryCode(u.id, 'h1', 2_000)).toBe(false);
      expect(await store.remove(u.id)).toBe(false);
      expect(await store.begin(u.id, 'sealed-2', 3_000)).toBe(true); // enrols afresh
    });

    it('spends each recovery code once, per user', async () => {
      const [u, v] = [await seedUser(ctx.stores), await seedUser(ctx.stores)];
      const store = ctx.stores.mfa;
      await store.begin(u.id, 'sealed', 1_000);
      await store.confirm(u.id, 'sealed', 1, ['h1', 'h2'], 1_000);
      expect(await store.useRecoveryCode(v.id, 'h1', 2_000)).toBe(false);
      expect(await store.useRecoveryCode(u.id, 'h1', 2_000)).toBe(true);
      expect(await store.useRecoveryCode(u.id, 'h1', 3_000)).toBe(false);
      expect(await store.useRecoveryCode(u.id, 'h3', 3_000)).toBe(false);
      expect(await store.useRecoveryCode(u.id, 'h2', 3_000)).toBe(true);
    });
  });
}
