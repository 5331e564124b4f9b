import { describe, expect, it } from 'vitest';
import type { TitleRecord } from '../../src/core/ports.js';
import { id, useStores, type NewSqlTarget } from './harness.js';

const title = (overrides: Partial<TitleRecord> = {}): TitleRecord => ({
  id: id('title'),
  name: 'Big Buck Bunny',
  protocols: ['hls', 'dash'],
  keyIds: ['00112233445566778899aabbccddeeff'],
  createdAt: 1_000,
  ...overrides,
});

export function titleStoreContract(newTarget: NewSqlTarget): void {
  describe('TitleStore', () => {
    const ctx = useStores(newTarget);

    it('creates a title and reads it back', async () => {
      const t = title();
      expect(await ctx.stores.titles.create(t)).toBe(true);
      expect(await ctx.stores.titles.get(t.id)).toEqual(t);
    });

    it('refuses a taken id and keeps the first title', async () => {
      const t = title({ name: 'first' });
      await ctx.stores.titles.create(t);
      expect(await ctx.stores.titles.create({ ...t, name: 'second' })).toBe(false);
      expect((await ctx.stores.titles.get(t.id))?.name).toBe('first');
    });

    it('returns undefined for an unknown title', async () => {
      expect(await ctx.stores.titles.get('nope')).toBeUndefined();
    });

    it('lists titles oldest first, ties by id', async () => {
      await ctx.stores.titles.create(title({ id: 'z', createdAt: 1 }));
      await ctx.stores.titles.create(title({ id: 'b', createdAt: 2 }));
      await ctx.stores.titles.create(title({ id: 'a', createdAt: 2, protocols: [], keyIds: [] }));
      const list = await ctx.stores.titles.list();
      expect(list.map((t) => t.id)).toEqual(['z', 'a', 'b']);
      expect(list[1]).toMatchObject({ protocols: [], keyIds: [] });
    });

    it('removes a title; removing an unknown one is a no-op', async () => {
      const t = title();
      await ctx.stores.titles.create(t);
      await ctx.stores.titles.remove(t.id);
      await ctx.stores.titles.remove('nope');
      expect(await ctx.stores.titles.get(t.id)).toBeUndefined();
      expect(await ctx.stores.titles.create(t)).toBe(true);
    });
  });
}
