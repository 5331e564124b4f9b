import { describe, expect, it } from 'vitest';
import type { PlaybackSessionRecord } from '../../src/core/ports.js';
import { id, seedUser, useStores, type NewSqlTarget } from './harness.js';

export function playbackSessionStoreContract(newTarget: NewSqlTarget): void {
  describe('PlaybackSessionStore', () => {
    const ctx = useStores(newTarget);

    async function session(): Promise<PlaybackSessionRecord> {
      const u = await seedUser(ctx.stores);
      return {
        id: id('ps'),
        userId: u.id,
        familyId: id('fam'),
        titleId: 't1',
        protocol: 'hls',
        createdAt: 1_000,
        expiresAt: 9_000,
        endedAt: null,
        endedReason: null,
      };
    }

    it('creates a session and reads it back', async () => {
      const s = await session();
      await ctx.stores.playbackSessions.create(s);
      expect(await ctx.stores.playbackSessions.get(s.id)).toEqual(s);
      expect(await ctx.stores.playbackSessions.get('nope')).toBeUndefined();
    });

    it('ends a session once', async () => {
      const s = await session();
      await ctx.stores.playbackSessions.create(s);
      expect(await ctx.stores.playbackSessions.end(s.id, 'stopped', 2_000)).toBe(true);
      expect(await ctx.stores.playbackSessions.end(s.id, 'again', 3_000)).toBe(false);
      expect(await ctx.stores.playbackSessions.end('nope', 'x', 3_000)).toBe(false);
      expect(await ctx.stores.playbackSessions.get(s.id)).toMatchObject({ endedAt: 2_000, endedReason: 'stopped' });
    });

    it('prunes sessions ended or expired before the cutoff, and keeps the others', async () => {
      const store = ctx.stores.playbackSessions;
      const ended = await session();
      const expired = { ...(await session()), expiresAt: 4_000 };
      const endedLater = await session();
      const live = await session();
      for (const s of [ended, expired, endedLater, live]) await store.create(s);
      await store.end(ended.id, 'stopped', 2_000);
      await store.end(endedLater.id, 'stopped', 6_000);
      expect(await store.prune(5_000)).toBe(2);
      expect(await store.get(ended.id)).toBeUndefined();
      expect(await store.get(expired.id)).toBeUndefined();
      expect(await store.get(endedLater.id)).toMatchObject({ endedAt: 6_000 });
      expect(await store.get(live.id)).toEqual(live);
      expect(await store.prune(5_000)).toBe(0);
    });

    it("ends every live session of a title, and only that title's", async () => {
      const titleId = id('title');
      const [a, b, ended, other] = await Promise.all([session(), session(), session(), session()]);
      for (const s of [a, b, ended]) await ctx.stores.playbackSessions.create({ ...s, titleId });
      await ctx.stores.playbackSessions.create(other);
      await ctx.stores.playbackSessions.end(ended.id, 'stopped', 1_500);
      const gone = await ctx.stores.playbackSessions.endForTitle(titleId, 'title_removed', 2_000);
      expect(gone.map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
      expect(gone[0]).toMatchObject({ titleId, endedAt: 2_000, endedReason: 'title_removed' });
      expect(await ctx.stores.playbackSessions.get(ended.id)).toMatchObject({ endedAt: 1_500, endedReason: 'stopped' });
      expect(await ctx.stores.playbackSessions.get(other.id)).toMatchObject({ endedAt: null });
      expect(await ctx.stores.playbackSessions.endForTitle(titleId, 'again', 3_000)).toEqual([]);
    });
  });
}
