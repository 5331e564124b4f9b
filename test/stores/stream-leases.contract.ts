/**
 * StreamLeases contract (HotState.leases). Redis keeps leases on its own clock, so these tests
 * pass the real time and really wait (a few hundred milliseconds) where lapsing matters.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdmitRequest, HotState } from '../../src/core/ports.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MINUTE = 60_000;

export function streamLeasesContract(open: () => Promise<HotState>): void {
  describe('StreamLeases', () => {
    let hot: HotState;
    beforeAll(async () => {
      hot = await open();
    });
    afterAll(() => hot.close());

    const account = () => `acct-${randomUUID()}`;
    const request = (acct: string, streamId: string, overrides: Partial<AdmitRequest> = {}): AdmitRequest => ({
      account: acct,
      streamId,
      deviceKey: `dev-${streamId}`,
      limit: 2,
      mode: 'refuse',
      countBy: 'session',
      leaseMs: MINUTE,
      ...overrides,
    });
    const admit = (r: AdmitRequest) => hot.leases.admit(r, Date.now());
    const ids = async (acct: string) => (await hot.leases.list(acct, Date.now())).map((l) => l.streamId);

    it('admits up to the limit and refuses the next one, listing the active streams oldest first', async () => {
      const acct = account();
      expect(await admit(request(acct, 's1'))).toEqual({ admitted: true, evicted: [] });
      await sleep(5);
      expect(await admit(request(acct, 's2'))).toEqual({ admitted: true, evicted: [] });
      const refused = await admit(request(acct, 's3'));
      expect(refused.admitted).toBe(false);
      if (refused.admitted) return;
      expect(refused.active.map((l) => l.streamId)).toEqual(['s1', 's2']);
      const [first] = refused.active;
      expect(first).toMatchObject({ deviceKey: 'dev-s1' });
      expect(first!.expiresAt - first!.lastSeenAt).toBe(MINUTE);
      expect(first!.lastSeenAt).toBeGreaterThanOrEqual(first!.startedAt);
      expect(await ids(acct)).toEqual(['s1', 's2']);
    });

    it('admits a stream it already holds again without counting it twice', async () => {
      const acct = account();
      await admit(request(acct, 's1', { limit: 1 }));
      expect(await admit(request(acct, 's1', { limit: 1 }))).toEqual({ admitted: true, evicted: [] });
      expect(await ids(acct)).toEqual(['s1']);
    });

    it('admits without limit, still holding a lease for each stream', async () => {
      const acct = account();
      for (let i = 0; i < 5; i++) expect((await admit(request(acct, `s${i}`, { limit: null }))).admitted).toBe(true);
      expect(await ids(acct)).toHaveLength(5);
    });

    it('evicts the oldest stream to admit a new one in evict_oldest mode', async () => {
      const acct = account();
      await admit(request(acct, 's1', { mode: 'evict_oldest' }));
      await sleep(5);
      await admit(request(acct, 's2', { mode: 'evict_oldest' }));
      await sleep(5);
      expect(await admit(request(acct, 's3', { mode: 'evict_oldest' }))).toEqual({ admitted: true, evicted: ['s1'] });
      expect(await ids(acct)).toEqual(['s2', 's3']);
      expect(await hot.leases.renew(acct, 's1', MINUTE, Date.now())).toBe(false);
      expect(await hot.leases.renew(acct, 's2', MINUTE, Date.now())).toBe(true);
    });

    it('counts the streams of one device once, and evicts a whole device', async () => {
      const acct = account();
      const on = (id: string, device: string, mode: AdmitRequest['mode'] = 'refuse') => admit(request(acct, id, { deviceKey: device, countBy: 'device', mode }));
      expect((await on('a1', 'tv')).admitted).toBe(true);
      await sleep(5);
      expect((await on('a2', 'tv')).admitted).toBe(true);
      await sleep(5);
      expect((await on('b1', 'phone')).admitted).toBe(true);
      expect((await on('b2', 'phone')).admitted).toBe(true);
      expect((await on('c1', 'laptop')).admitted).toBe(false);
      expect(await on('c1', 'laptop', 'evict_oldest')).toEqual({ admitted: true, evicted: ['a1', 'a2'] });
      expect(await ids(acct)).toEqual(['b1', 'b2', 'c1']);
    });

    it('frees a released slot', async () => {
      const acct = account();
      await admit(request(acct, 's1', { limit: 1 }));
      await hot.leases.release(acct, 's1', Date.now());
      expect(await hot.leases.renew(acct, 's1', MINUTE, Date.now())).toBe(false);
      expect((await admit(request(acct, 's2', { limit: 1 }))).admitted).toBe(true);
    });

    it('lets a lease that is not renewed lapse, freeing its slot; renewing keeps it', async () => {
      const acct = account();
      await admit(request(acct, 'kept', { leaseMs: 300 }));
      await admit(request(acct, 'lapsing', { leaseMs: 300 }));
      await sleep(150);
      const seenBefore = (await hot.leases.list(acct, Date.now())).find((l) => l.streamId === 'kept')!.lastSeenAt;
      expect(await hot.leases.renew(acct, 'kept', 300, Date.now())).toBe(true);
      await sleep(200);
      expect(await ids(acct)).toEqual(['kept']);
      expect((await hot.leases.list(acct, Date.now()))[0]!.lastSeenAt).toBeGreaterThan(seenBefore);
      expect(await hot.leases.renew(acct, 'lapsing', 300, Date.now())).toBe(false);
      expect((await admit(request(acct, 'new'))).admitted).toBe(true);
    });

    it('admits exactly the limit of many concurrent starts, in both modes', async () => {
      for (const mode of ['refuse', 'evict_oldest'] as const) {
        const acct = account();
        const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => admit(request(acct, `s${i}`, { limit: 3, mode }))));
        if (mode === 'refuse') expect(outcomes.filter((o) => o.admitted)).toHaveLength(3);
        else expect(outcomes.flatMap((o) => (o.admitted ? o.evicted : []))).toHaveLength(47);
        expect(await ids(acct)).toHaveLength(3);
      }
    });
  });
}
