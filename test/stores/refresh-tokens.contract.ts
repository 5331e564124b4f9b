import { beforeEach, describe, expect, it } from 'vitest';
import type { DurableStores, RefreshFamily, RotateOutcome } from '../../src/core/ports.js';
import { id, seedUser, useStores, type NewSqlTarget } from './harness.js';

const HOUR = 3_600_000;

export function refreshTokenStoreContract(newTarget: NewSqlTarget): void {
  describe('RefreshTokenStore', () => {
    const ctx = useStores(newTarget);
    let family: RefreshFamily;

    beforeEach(async () => {
      const u = await seedUser(ctx.stores);
      family = {
        id: id('fam'),
        userId: u.id,
        deviceId: 'device-1',
        mfa: false,
        createdAt: 1_000,
        expiresAt: 1_000 + HOUR,
        revokedAt: null,
        revokedReason: null,
      };
      await ctx.stores.refreshTokens.createFamily(family, 'h0');
    });

    it('finds a family by id and by any of its tokens', async () => {
      const store = ctx.stores.refreshTokens;
      expect(await store.getFamily(family.id)).toEqual(family);
      expect(await store.findFamilyByToken('h0')).toEqual(family);
      await store.rotate('h0', 'h1', 2_000, 0);
      expect(await store.findFamilyByToken('h1')).toEqual(family);
      expect(await store.findFamilyByToken('h0')).toEqual(family);
    });

    it('returns undefined / unknown for unknown families and tokens', async () => {
      const store = ctx.stores.refreshTokens;
      expect(await store.getFamily('nope')).toBeUndefined();
      expect(await store.findFamilyByToken('nope')).toBeUndefined();
      expect(await store.rotate('nope', 'h1', 2_000, 0)).toEqual({ status: 'unknown' });
      expect(await store.findFamilyByToken('h1')).toBeUndefined();
    });

    it('rotates along a chain of tokens without extending the family', async () => {
      const store = ctx.stores.refreshTokens;
      expect(await store.rotate('h0', 'h1', 2_000, 0)).toEqual({ status: 'rotated', family });
      expect(await store.rotate('h1', 'h2', 3_000, 0)).toEqual({ status: 'rotated', family });
      expect((await store.getFamily(family.id))?.expiresAt).toBe(family.expiresAt);
    });

    it('treats a used token as reuse: revokes the family, killing the newest token too', async () => {
      const store = ctx.stores.refreshTokens;
      await store.rotate('h0', 'h1', 2_000, 0);
      const reused = await store.rotate('h0', 'hx', 3_000, 0);
      const revoked = { ...family, revokedAt: 3_000, revokedReason: 'refresh_token_reused' };
      expect(reused).toEqual({ status: 'reused', family: revoked });
      expect(await store.getFamily(family.id)).toEqual(revoked);
      expect(await store.rotate('h1', 'h2', 4_000, 0)).toEqual({ status: 'revoked', family: revoked });
      expect(await store.findFamilyByToken('hx')).toBeUndefined();
    });

    it('reports a revoked family; revokeFamily is true only for the first revocation', async () => {
      const store = ctx.stores.refreshTokens;
      expect(await store.revokeFamily(family.id, 'logout', 2_000)).toBe(true);
      expect(await store.revokeFamily(family.id, 'again', 3_000)).toBe(false);
      expect(await store.revokeFamily('nope', 'logout', 3_000)).toBe(false);
      const revoked = { ...family, revokedAt: 2_000, revokedReason: 'logout' };
      expect(await store.rotate('h0', 'h1', 4_000, 0)).toEqual({ status: 'revoked', family: revoked });
      expect(await store.findFamilyByToken('h1')).toBeUndefined();
    });

    it('reports an expired family at and after expiresAt, without consuming the token', async () => {
      const store = ctx.stores.refreshTokens;
      expect(await store.rotate('h0', 'h1', family.expiresAt, 0)).toEqual({ status: 'expired', family });
      expect(await store.findFamilyByToken('h1')).toBeUndefined();
      expect((await store.rotate('h0', 'h1', family.expiresAt - 1, 0)).status).toBe('rotated');
    });

    it('prunes families expired or revoked before the cutoff with their tokens, and keeps live ones', async () => {
      const store = ctx.stores.refreshTokens;
      const u = await seedUser(ctx.stores);
      const other = (suffix: string, expiresAt: number): RefreshFamily => ({ ...family, id: id(`fam-${suffix}`), userId: u.id, expiresAt });
      const expired = other('expired', 5_000);
      const revoked = other('revoked', 1_000 + HOUR);
      const revokedLater = other('revoked-later', 1_000 + HOUR);
      await store.createFamily(expired, 'e0');
      await store.createFamily(revoked, 'r0');
      await store.createFamily(revokedLater, 'l0');
      await store.rotate('h0', 'h1', 2_000, 0); // the live family keeps its used token, for reuse detection
      await store.revokeFamily(revoked.id, 'logout', 3_000);
      await store.revokeFamily(revokedLater.id, 'logout', 9_000);
      expect(await store.prune(6_000)).toBe(2);
      expect(await store.getFamily(expired.id)).toBeUndefined();
      expect(await store.getFamily(revoked.id)).toBeUndefined();
      expect(await store.findFamilyByToken('e0')).toBeUndefined();
      expect(await store.rotate('r0', 'r1', 7_000, 0)).toEqual({ status: 'unknown' });
      expect((await store.getFamily(revokedLater.id))?.revokedAt).toBe(9_000);
      expect(await store.getFamily(family.id)).toEqual(family);
      expect((await store.rotate('h0', 'hx', 7_000, 0)).status).toBe('reused');
      expect(await store.prune(6_000)).toBe(0);
    });

    const race = (handles: DurableStores[]): Promise<RotateOutcome[]> =>
      Promise.all(handles.map((s, i) => s.refreshTokens.rotate('h0', `new-${i}`, 2_000, 0)));

    it('of two concurrent rotations of one token, one rotates and the other is reuse', async () => {
      const outcomes = await race([ctx.stores, ctx.stores]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['reused', 'rotated']);
      const winner = `new-${outcomes.findIndex((o) => o.status === 'rotated')}`;
      expect((await ctx.stores.refreshTokens.getFamily(family.id))?.revokedReason).toBe('refresh_token_reused');
      expect((await ctx.stores.refreshTokens.rotate(winner, 'later', 3_000, 0)).status).toBe('revoked');
    });

    it('does the same when the two come through separate handles (instances)', async () => {
      const outcomes = await race([ctx.stores, await ctx.another()]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['reused', 'rotated']);
    });

    it('lets exactly one of many concurrent rotations win', async () => {
      const [a, b, c] = [ctx.stores, await ctx.another(), await ctx.another()];
      const statuses = (await race([a, b, c, a, b, c])).map((o) => o.status);
      // Losers that arrive after the family was revoked see 'revoked' rather than 'reused'.
      expect(statuses.filter((s) => s === 'rotated')).toHaveLength(1);
      expect(statuses.filter((s) => s === 'reused').length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((s) => s !== 'rotated' && s !== 'reused' && s !== 'revoked')).toEqual([]);
      expect((await ctx.stores.refreshTokens.getFamily(family.id))?.revokedAt).toBe(2_000);
    });

    describe('with a reuse grace', () => {
      const GRACE = 30_000;
      const unusedTokens = async (): Promise<string[]> => {
        const db = await ctx.target.openDb();
        try {
          const rows = await db.query<{ hash: string }>('SELECT hash FROM refresh_tokens WHERE family_id = $1 AND used_at IS NULL', [family.id]);
          return rows.map((r) => r.hash);
        } finally {
          await db.close();
        }
      };

      it('gives a retry of the just-rotated token a new newest token and revokes nothing', async () => {
        const store = ctx.stores.refreshTokens;
        await store.rotate('h0', 'h1', 2_000, GRACE);
        expect(await store.rotate('h0', 'h1-retry', 2_000 + GRACE, GRACE)).toEqual({ status: 'rotated', family });
        expect(await unusedTokens()).toEqual(['h1-retry']);
        expect(await store.rotate('h1-retry', 'h2', 40_000, GRACE)).toEqual({ status: 'rotated', family });
        expect((await store.getFamily(family.id))?.revokedAt).toBeNull();
      });

      it('lets the token the retry replaced count as reused: two parties going on still revoke', async () => {
        const store = ctx.stores.refreshTokens;
        await store.rotate('h0', 'h1', 2_000, GRACE);
        await store.rotate('h0', 'h1-retry', 3_000, GRACE);
        expect((await store.rotate('h1', 'h2', 4_000, GRACE)).status).toBe('reused');
        expect((await store.rotate('h1-retry', 'h2', 5_000, GRACE)).status).toBe('revoked');
      });

      it('measures the grace from the first use, so retries cannot stretch it', async () => {
        const store = ctx.stores.refreshTokens;
        await store.rotate('h0', 'h1', 2_000, GRACE);
        await store.rotate('h0', 'h1-a', 2_000 + GRACE - 1, GRACE);
        expect((await store.rotate('h0', 'h1-b', 2_000 + GRACE + 1, GRACE)).status).toBe('reused');
      });

      it('revokes for the parent of a used token (a grandparent of the newest)', async () => {
        const store = ctx.stores.refreshTokens;
        await store.rotate('h0', 'h1', 2_000, GRACE);
        await store.rotate('h1', 'h2', 3_000, GRACE);
        expect((await store.rotate('h0', 'hx', 4_000, GRACE)).status).toBe('reused');
        expect((await store.rotate('h2', 'h3', 5_000, GRACE)).status).toBe('revoked');
      });

      it('leaves one live token after many concurrent retries through separate handles', async () => {
        await ctx.stores.refreshTokens.rotate('h0', 'h1', 2_000, GRACE);
        const [a, b, c] = [ctx.stores, await ctx.another(), await ctx.another()];
        const outcomes = await Promise.all([a, b, c, a].map((s, i) => s.refreshTokens.rotate('h0', `retry-${i}`, 3_000, GRACE)));
        expect(outcomes.map((o) => o.status)).toEqual(['rotated', 'rotated', 'rotated', 'rotated']);
        const live = await unusedTokens();
        expect(live).toHaveLength(1);
        expect((await ctx.stores.refreshTokens.rotate(live[0]!, 'next', 4_000, GRACE)).status).toBe('rotated');
      });

      it('lets both of two concurrent first uses of one token through, one live token after', async () => {
        const outcomes = await Promise.all([ctx.stores, await ctx.another()].map((s, i) => s.refreshTokens.rotate('h0', `new-${i}`, 2_000, GRACE)));
        expect(outcomes.map((o) => o.status)).toEqual(['rotated', 'rotated']);
        expect(await unusedTokens()).toHaveLength(1);
      });
    });

    it('writes nothing when a family cannot be created whole', async () => {
      const other = { ...family, id: id('fam') };
      // Its first token hash is taken: the family row must roll back with it.
      await expect(ctx.stores.refreshTokens.createFamily(other, 'h0')).rejects.toThrow();
      expect(await ctx.stores.refreshTokens.getFamily(other.id)).toBeUndefined();
      expect(await ctx.stores.refreshTokens.findFamilyByToken('h0')).toEqual(family);
    });

    it("revokes every unexpired family of a user's device, answering them again on a retry", async () => {
      const store = ctx.stores.refreshTokens;
      const sibling = { ...family, id: id('fam'), mfa: true };
      const elsewhere = { ...family, id: id('fam'), deviceId: 'device-2' };
      const ended = { ...family, id: id('fam'), expiresAt: 1_500 };
      await store.createFamily(sibling, 'hs');
      await store.createFamily(elsewhere, 'he');
      await store.createFamily(ended, 'hx');
      expect((await store.revokeDevice(family.userId, 'device-1', 'device_removed', 2_000)).sort()).toEqual([family.id, sibling.id].sort());
      expect(await store.getFamily(sibling.id)).toEqual({ ...sibling, revokedAt: 2_000, revokedReason: 'device_removed' });
      expect((await store.getFamily(elsewhere.id))?.revokedAt).toBeNull();
      expect((await store.revokeDevice(family.userId, 'device-1', 'device_removed', 3_000)).sort()).toEqual([family.id, sibling.id].sort());
      expect((await store.getFamily(family.id))?.revokedAt).toBe(2_000);
      expect(await store.revokeDevice('someone-else', 'device-1', 'device_removed', 3_000)).toEqual([]);
    });
  });
}
