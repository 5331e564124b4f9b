import { describe, expect, it } from 'vitest';
import { NO_ACCESS_RULES } from '../../src/core/access-rules.js';
import type { ContentKeyRecord, TitleRecord } from '../../src/core/ports.js';
import { id, useStores, type NewSqlTarget } from './harness.js';

const title = (overrides: Partial<TitleRecord> = {}): TitleRecord => ({
  id: id('title'),
  name: 'Big Buck Bunny',
  protocols: ['hls', 'dash'],
  durationSec: 596,
  access: NO_ACCESS_RULES,
  createdAt: 1_000,
  ...overrides,
});

const key = (titleId: string, label: string): ContentKeyRecord => ({
  kid: Buffer.from(id('k').padEnd(16, '0').slice(0, 16)).toString('hex'),
  titleId,
  label,
  sealed: `sealed-${label}`,
  createdAt: 1_000,
});

export function titleStoreContract(newTarget: NewSqlTarget): void {
  describe('TitleStore', () => {
    const ctx = useStores(newTarget);

    it('creates a title with its keys and reads both back', async () => {
      const t = title();
      const keys = [key(t.id, 'audio'), key(t.id, 'sd')];
      expect(await ctx.stores.titles.create(t, keys)).toBe(true);
      expect(await ctx.stores.titles.get(t.id)).toEqual(t);
      expect(await ctx.stores.titles.contentKeys(t.id)).toEqual(keys);
      expect(await ctx.stores.titles.contentKey(keys[1]!.kid)).toEqual(keys[1]);
      expect(await ctx.stores.titles.contentKey('00'.repeat(16))).toBeUndefined();
    });

    it('refuses a taken id and keeps the first title and its keys', async () => {
      const t = title({ name: 'first' });
      const first = key(t.id, 'hls');
      await ctx.stores.titles.create(t, [first]);
      expect(await ctx.stores.titles.create({ ...t, name: 'second' }, [key(t.id, 'hls')])).toBe(false);
      expect((await ctx.stores.titles.get(t.id))?.name).toBe('first');
      expect(await ctx.stores.titles.contentKeys(t.id)).toEqual([first]);
    });

    it('registers nothing when a key cannot be stored', async () => {
      const t = title();
      const k = key(t.id, 'hls');
      await expect(ctx.stores.titles.create(t, [k, k])).rejects.toThrow();
      expect(await ctx.stores.titles.get(t.id)).toBeUndefined();
      expect(await ctx.stores.titles.contentKeys(t.id)).toEqual([]);
    });

    it('returns undefined for an unknown title', async () => {
      expect(await ctx.stores.titles.get('nope')).toBeUndefined();
    });

    it('lists titles oldest first, ties by id', async () => {
      await ctx.stores.titles.create(title({ id: 'z', createdAt: 1 }), []);
      await ctx.stores.titles.create(title({ id: 'b', createdAt: 2 }), []);
      await ctx.stores.titles.create(title({ id: 'a', createdAt: 2, protocols: [] }), []);
      const list = await ctx.stores.titles.list();
      expect(list.map((t) => t.id)).toEqual(['z', 'a', 'b']);
      expect(list[1]).toMatchObject({ protocols: [] });
    });

    it('replaces a title and its whole key set at once, only when it exists', async () => {
      const t = title({ name: 'cut 1' });
      const [old1, old2] = [key(t.id, 'sd'), key(t.id, 'hd')];
      await ctx.stores.titles.create(t, [old1, old2]);
      const next = { ...t, name: 'cut 2', protocols: ['dash'], durationSec: 60, createdAt: 2_000 };
      const fresh = key(t.id, 'sd');
      expect(await ctx.stores.titles.replace(next, [fresh])).toBe(true);
      expect(await ctx.stores.titles.get(t.id)).toEqual(next);
      expect(await ctx.stores.titles.contentKeys(t.id)).toEqual([fresh]);
      expect(await ctx.stores.titles.contentKey(old1.kid)).toBeUndefined();
      expect(await ctx.stores.titles.replace(title({ id: 'nope' }), [key('nope', 'sd')])).toBe(false);
      expect(await ctx.stores.titles.get('nope')).toBeUndefined();
    });

    it('stores access rules, sets them alone, and keeps them when the title is replaced', async () => {
      const access = { countries: { allow: ['NL'] }, allowedOrigins: ['https://a.example'] };
      const t = title({ access });
      await ctx.stores.titles.create(t, []);
      expect(await ctx.stores.titles.get(t.id)).toEqual(t);
      const changed = { countries: { block: ['US', 'CA'] }, allowedOrigins: [] };
      expect(await ctx.stores.titles.setAccess(t.id, changed)).toBe(true);
      expect(await ctx.stores.titles.setAccess('nope', changed)).toBe(false);
      expect((await ctx.stores.titles.list()).find((x) => x.id === t.id)?.access).toEqual(changed);
      expect(await ctx.stores.titles.replace({ ...t, name: 'cut 2', access: NO_ACCESS_RULES }, [])).toBe(true);
      expect(await ctx.stores.titles.get(t.id)).toEqual({ ...t, name: 'cut 2', access: changed });
    });

    it('keeps the old title and keys when the new keys cannot be stored', async () => {
      const t = title({ name: 'kept' });
      const old = key(t.id, 'hls');
      await ctx.stores.titles.create(t, [old]);
      const k = key(t.id, 'hls');
      await expect(ctx.stores.titles.replace({ ...t, name: 'lost' }, [k, k])).rejects.toThrow();
      expect((await ctx.stores.titles.get(t.id))?.name).toBe('kept');
      expect(await ctx.stores.titles.contentKeys(t.id)).toEqual([old]);
    });

    it('removes a title with its keys; removing an unknown one is a no-op', async () => {
      const t = title();
      const k = key(t.id, 'hls');
      await ctx.stores.titles.create(t, [k]);
      await ctx.stores.titles.remove(t.id);
      await ctx.stores.titles.remove('nope');
      expect(await ctx.stores.titles.get(t.id)).toBeUndefined();
      expect(await ctx.stores.titles.contentKey(k.kid)).toBeUndefined();
      expect(await ctx.stores.titles.create(t, [k])).toBe(true);
    });
  });
}
