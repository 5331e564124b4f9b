/**
 * HotState contract. Redis measures TTLs on its own clock, so these tests pass the real time
 * and really wait (tens of milliseconds) where expiry matters.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HotState } from '../../src/core/ports.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const key = (name: string) => `${name}:${randomUUID()}`;
/** Issued well within the current epoch (a fresh Redis epoch starts at its next second). */
const issued = () => Date.now() + 10_000;

export function hotStateContract(open: () => Promise<HotState>): void {
  describe('HotState', () => {
    let hot: HotState;
    beforeAll(async () => {
      hot = await open();
    });
    afterAll(() => hot.close());

    it('counts hits within a window and reports when it resets', async () => {
      const k = key('hits');
      const first = await hot.hit(k, 60_000, Date.now());
      expect(first.count).toBe(1);
      expect(first.resetInMs).toBeGreaterThan(59_000);
      expect(first.resetInMs).toBeLessThanOrEqual(60_000);
      expect((await hot.hit(k, 60_000, Date.now())).count).toBe(2);
      const third = await hot.hit(k, 60_000, Date.now());
      expect(third.count).toBe(3);
      expect(third.resetInMs).toBeLessThanOrEqual(first.resetInMs);
    });

    it('starts a new window once the old one has passed', async () => {
      const k = key('window');
      await hot.hit(k, 60, Date.now());
      await hot.hit(k, 60, Date.now());
      await sleep(100);
      expect((await hot.hit(k, 60, Date.now())).count).toBe(1);
    });

    it('reserves hits up to a limit, counting nothing once it is reached', async () => {
      const k = key('reserve');
      await hot.hit(k, 60_000, Date.now());
      expect(await hot.reserve(k, 3, 60_000, Date.now())).toMatchObject({ taken: true, count: 2 });
      const third = await hot.reserve(k, 3, 60_000, Date.now());
      expect(third).toMatchObject({ taken: true, count: 3 });
      expect(third.resetInMs).toBeGreaterThan(59_000);
      const refused = await hot.reserve(k, 3, 60_000, Date.now());
      expect(refused).toMatchObject({ taken: false, count: 3 });
      expect(refused.resetInMs).toBeGreaterThan(59_000);
      expect(refused.resetInMs).toBeLessThanOrEqual(60_000);
      expect((await hot.hit(k, 60_000, Date.now())).count).toBe(4);
    });

    it('reserves exactly the limit of many concurrent reservations', async () => {
      const k = key('reserve-race');
      const results = await Promise.all(Array.from({ length: 25 }, () => hot.reserve(k, 10, 60_000, Date.now())));
      expect(results.filter((r) => r.taken)).toHaveLength(10);
      expect((await hot.hit(k, 60_000, Date.now())).count).toBe(11);
    });

    it('releases one reservation at a time, never below zero, keeping the window', async () => {
      const k = key('release');
      await hot.reserve(k, 2, 60_000, Date.now());
      await hot.reserve(k, 2, 60_000, Date.now());
      expect((await hot.reserve(k, 2, 60_000, Date.now())).taken).toBe(false);
      await hot.release(k, Date.now());
      const again = await hot.reserve(k, 2, 60_000, Date.now());
      expect(again).toMatchObject({ taken: true, count: 2 });
      expect(again.resetInMs).toBeGreaterThan(59_000);
      await hot.release(k, Date.now());
      await hot.release(k, Date.now());
      await hot.release(k, Date.now());
      await hot.release(key('never-hit'), Date.now());
      expect((await hot.hit(k, 60_000, Date.now())).count).toBe(1);
    });

    it('starts a new reservation window once the old one has passed', async () => {
      const k = key('reserve-window');
      await hot.reserve(k, 1, 60, Date.now());
      expect((await hot.reserve(k, 1, 60, Date.now())).taken).toBe(false);
      await sleep(100);
      expect(await hot.reserve(k, 1, 60, Date.now())).toMatchObject({ taken: true, count: 1 });
    });

    it('clears a counter, and counters of different keys are independent', async () => {
      const [a, b] = [key('a'), key('b')];
      await hot.hit(a, 60_000, Date.now());
      await hot.hit(a, 60_000, Date.now());
      expect((await hot.hit(b, 60_000, Date.now())).count).toBe(1);
      await hot.clear(a);
      await hot.clear(key('never-hit'));
      expect((await hot.hit(a, 60_000, Date.now())).count).toBe(1);
    });

    it('counts every one of many concurrent hits', async () => {
      const k = key('concurrent-hits');
      const results = await Promise.all(Array.from({ length: 25 }, () => hot.hit(k, 60_000, Date.now())));
      expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    });

    it('marks a key until its TTL passes', async () => {
      const [k, other] = [key('mark'), key('unmarked')];
      await hot.mark(k, 80, Date.now());
      expect(await hot.isMarked(k, Date.now())).toBe(true);
      expect(await hot.isMarked(other, Date.now())).toBe(false);
      await sleep(130);
      expect(await hot.isMarked(k, Date.now())).toBe(false);
    });

    it('consumes a one-time id once, and again only after its TTL', async () => {
      const k = key('once');
      expect(await hot.consumeOnce(k, 80, Date.now(), issued())).toBe('first');
      expect(await hot.consumeOnce(k, 80, Date.now(), issued())).toBe('used');
      expect(await hot.consumeOnce(key('other'), 80, Date.now(), issued())).toBe('first');
      await sleep(130);
      expect(await hot.consumeOnce(k, 80, Date.now(), issued())).toBe('first');
    });

    it('answers unknown, never first, for a one-time id issued before the hot state began', async () => {
      const k = key('before-epoch');
      expect(await hot.consumeOnce(k, 60_000, Date.now(), Date.now() - 3_600_000)).toBe('unknown');
      expect(await hot.consumeOnce(k, 60_000, Date.now(), issued())).toBe('first');
    });

    it('consumes a one-time id exactly once under concurrency', async () => {
      const k = key('once-race');
      const results = await Promise.all(Array.from({ length: 25 }, () => hot.consumeOnce(k, 60_000, Date.now(), issued())));
      expect(results.filter((r) => r === 'first')).toHaveLength(1);
    });

    it('keeps counters, marks and one-time ids of the same key apart', async () => {
      const k = key('kinds');
      await hot.mark(k, 60_000, Date.now());
      expect(await hot.consumeOnce(k, 60_000, Date.now(), issued())).toBe('first');
      expect((await hot.hit(k, 60_000, Date.now())).count).toBe(1);
      await hot.clear(k);
      expect(await hot.isMarked(k, Date.now())).toBe(true);
      expect(await hot.consumeOnce(k, 60_000, Date.now(), issued())).toBe('used');
    });

    it('answers ping', async () => {
      await expect(hot.ping()).resolves.toBeUndefined();
    });
  });
}
