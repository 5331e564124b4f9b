import { describe, expect, it } from 'vitest';
import type { KeyUse, SigningKeyRecord } from '../../src/core/ports.js';
import { useStores, type NewSqlTarget } from './harness.js';

const key = (kid: string, use: KeyUse, createdAt: number): SigningKeyRecord => ({
  kid,
  use,
  alg: use === 'access' ? 'EdDSA' : 'HS256',
  publicJwk: use === 'access' ? { kty: 'OKP', crv: 'Ed25519', x: `x-${kid}` } : null,
  sealed: `sealed-${kid}`,
  createdAt,
  retiredAt: null,
});

export function signingKeyStoreContract(newTarget: NewSqlTarget): void {
  describe('SigningKeyStore', () => {
    const ctx = useStores(newTarget);

    it('stores the first key as current, with its public JWK (or null)', async () => {
      const a = key('a1', 'access', 100);
      const p = key('p1', 'playback', 100);
      await ctx.stores.signingKeys.rotate(a, 100);
      await ctx.stores.signingKeys.rotate(p, 100);
      expect(await ctx.stores.signingKeys.list('access')).toEqual([a]);
      expect(await ctx.stores.signingKeys.list('playback')).toEqual([p]);
    });

    it('retires the previous key of the same use only, and lists newest first', async () => {
      const keys = ctx.stores.signingKeys;
      await keys.rotate(key('p1', 'playback', 50), 50);
      await keys.rotate(key('a1', 'access', 100), 100);
      await keys.rotate(key('a2', 'access', 200), 200);
      await keys.rotate(key('a3', 'access', 300), 300);
      const list = await keys.list('access');
      expect(list.map((k) => [k.kid, k.retiredAt])).toEqual([
        ['a3', null],
        ['a2', 300],
        ['a1', 200],
      ]);
      expect((await keys.list('playback')).map((k) => k.retiredAt)).toEqual([null]);
    });

    it('lists the current key first when two keys share a creation time', async () => {
      await ctx.stores.signingKeys.rotate(key('k2', 'access', 100), 100);
      await ctx.stores.signingKeys.rotate(key('k1', 'access', 100), 100);
      expect((await ctx.stores.signingKeys.list('access')).map((k) => k.kid)).toEqual(['k1', 'k2']);
    });

    it('returns an empty list for a use without keys', async () => {
      expect(await ctx.stores.signingKeys.list('playback')).toEqual([]);
    });

    it('prunes keys retired before the cutoff, never the current key or another use', async () => {
      const keys = ctx.stores.signingKeys;
      await keys.rotate(key('p1', 'playback', 0), 0);
      await keys.rotate(key('p2', 'playback', 10), 10);
      await keys.rotate(key('a1', 'access', 100), 100);
      await keys.rotate(key('a2', 'access', 200), 200); // a1 retired at 200
      await keys.rotate(key('a3', 'access', 300), 300); // a2 retired at 300
      expect(await keys.prune('access', 300)).toBe(1);
      expect((await keys.list('access')).map((k) => k.kid)).toEqual(['a3', 'a2']);
      expect(await keys.prune('access', 10_000)).toBe(1);
      expect((await keys.list('access')).map((k) => k.kid)).toEqual(['a3']);
      expect(await keys.prune('access', 10_000)).toBe(0);
      expect((await keys.list('playback')).map((k) => k.kid)).toEqual(['p2', 'p1']);
    });

    it('stores a next key ahead of its signing start: the current key is retired at that start, and not pruned before it', async () => {
      const keys = ctx.stores.signingKeys;
      await keys.rotate(key('a1', 'access', 100), 100);
      await keys.rotate(key('a2', 'access', 1_000), 1_000); // rotated at 200, signs from 1_000
      expect((await keys.list('access')).map((k) => [k.kid, k.createdAt, k.retiredAt])).toEqual([
        ['a2', 1_000, null],
        ['a1', 100, 1_000],
      ]);
      expect(await keys.prune('access', 500)).toBe(0);
      expect((await keys.list('access')).map((k) => k.kid)).toEqual(['a2', 'a1']);
    });

    it('leaves the previous key current when the new key cannot be stored', async () => {
      const keys = ctx.stores.signingKeys;
      await keys.rotate(key('a1', 'access', 100), 100);
      // Same kid again: the insert fails after the retire, so the whole rotation rolls back.
      await expect(keys.rotate(key('a1', 'access', 200), 200)).rejects.toThrow();
      expect((await keys.list('access')).map((k) => [k.kid, k.retiredAt])).toEqual([['a1', null]]);
    });
  });
}
