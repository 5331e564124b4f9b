import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../../src/core/events.js';
import { useStores, type NewSqlTarget } from './harness.js';

const event = (n: number, overrides: Partial<DecisionEvent> = {}): DecisionEvent => ({
  id: `e${String(n).padStart(6, '0')}`,
  at: 1_000 * n,
  kind: 'manifest',
  decision: 'grant',
  ip: '203.0.113.7',
  count: 1,
  ...overrides,
});

export function eventStoreContract(newTarget: NewSqlTarget): void {
  describe('EventStore', () => {
    const ctx = useStores(newTarget);

    it('stores every field and reads events back newest first', async () => {
      const full = event(2, {
        kind: 'segment',
        code: 'stream_limit_reached',
        decision: 'deny',
        userId: 'u1',
        sessionId: 's1',
        deviceId: 'tv',
        titleId: 't1',
        country: 'FR',
        asn: 4_200_000_000,
        count: 12,
        detail: { bytes: 123_456, renditions: 2, live: true },
      });
      await ctx.stores.events.append([event(1), full, event(3)]);
      const read = await ctx.stores.events.query({ limit: 10 });
      expect(read.map((e) => e.id)).toEqual(['e000003', 'e000002', 'e000001']);
      expect(read[1]).toEqual(full);
      expect(read[0]).toEqual(event(3));
    });

    it('filters by user, session, kind, decision and time, pages with before, and limits', async () => {
      await ctx.stores.events.append([
        event(1, { userId: 'u1', sessionId: 's1' }),
        event(2, { userId: 'u1', kind: 'login' }),
        event(3, { userId: 'u2', decision: 'deny', code: 'invalid_token' }),
        event(4, { userId: 'u1', sessionId: 's1', kind: 'key' }),
      ]);
      const ids = async (filter: Parameters<typeof ctx.stores.events.query>[0]) => (await ctx.stores.events.query(filter)).map((e) => e.id);
      expect(await ids({ userId: 'u1', limit: 10 })).toEqual(['e000004', 'e000002', 'e000001']);
      expect(await ids({ sessionId: 's1', limit: 10 })).toEqual(['e000004', 'e000001']);
      expect(await ids({ kind: 'login', limit: 10 })).toEqual(['e000002']);
      expect(await ids({ decision: 'deny', limit: 10 })).toEqual(['e000003']);
      expect(await ids({ since: 3_000, limit: 10 })).toEqual(['e000004', 'e000003']);
      expect(await ids({ userId: 'u1', before: 'e000004', limit: 10 })).toEqual(['e000002', 'e000001']);
      expect(await ids({ limit: 2 })).toEqual(['e000004', 'e000003']);
      expect(await ids({ userId: "u1' OR '1'='1", limit: 10 })).toEqual([]);
    });

    it('reads the events an alert names by id, and none for an empty list', async () => {
      const store = ctx.stores.events;
      await store.append([event(1), event(2), event(3), event(4)]);
      expect((await store.query({ ids: ['e000003', 'e000001', 'e999999'], limit: 10 })).map((e) => e.id)).toEqual(['e000003', 'e000001']);
      expect(await store.query({ ids: [], limit: 10 })).toEqual([]);
    });

    it('counts starts, keys and licenses granted, and denials, per minute from a time', async () => {
      const store = ctx.stores.events;
      const minute = 60_000;
      await store.append([
        event(1, { at: 5 * minute + 1, kind: 'playback_start' }),
        event(2, { at: 5 * minute + 2, kind: 'playback_start', decision: 'deny', code: 'stream_limit_reached' }),
        event(3, { at: 5 * minute + 3, kind: 'license' }),
        event(4, { at: 5 * minute + 4, kind: 'key' }),
        event(5, { at: 7 * minute, kind: 'segment', decision: 'deny', count: 40 }),
        event(6, { at: 7 * minute + 1, kind: 'segment', count: 100 }),
        event(7, { at: 3 * minute, kind: 'playback_start' }),
      ]);
      expect(await store.perMinute(4 * minute)).toEqual([
        { minute: 5 * minute, starts: 1, licenses: 2, denials: 1 },
        { minute: 7 * minute, starts: 0, licenses: 0, denials: 40 },
      ]);
    });

    it('ignores a repeated id and appends large batches', async () => {
      await ctx.stores.events.append([event(1)]);
      await ctx.stores.events.append([event(1, { kind: 'key' }), ...Array.from({ length: 1_200 }, (_, i) => event(i + 2))]);
      expect((await ctx.stores.events.query({ limit: 5_000 })).length).toBe(1_201);
      expect((await ctx.stores.events.query({ limit: 5_000 })).at(-1)?.kind).toBe('manifest');
    });

    it('prunes events recorded before the cutoff, and only those', async () => {
      await ctx.stores.events.append(Array.from({ length: 12 }, (_, i) => event(i + 1)));
      expect(await ctx.stores.events.prune(5_000)).toBe(4);
      expect(await ctx.stores.events.prune(5_000)).toBe(0);
      expect((await ctx.stores.events.query({ limit: 100 })).map((e) => e.at).sort((a, b) => a - b)[0]).toBe(5_000);
    });
  });
}
