/**
 * The store operations behind the operator's tools and rentals (issue 9): changing and listing
 * users, revoking and ending everything of one user, listing live streams, and rentals whose
 * first start is recorded once.
 */
import { describe, expect, it } from 'vitest';
import type { DurableStores, PlaybackSessionRecord, RefreshFamily, UserRecord } from '../../src/core/ports.js';
import { id, plan, seedUser, useStores, type NewSqlTarget } from './harness.js';

function family(userId: string, overrides: Partial<RefreshFamily> = {}): RefreshFamily {
  return { id: id('fam'), userId, deviceId: null, mfa: false, createdAt: 1_000, expiresAt: 90_000, revokedAt: null, revokedReason: null, ...overrides };
}

function session(u: UserRecord, familyId: string, overrides: Partial<PlaybackSessionRecord> = {}): PlaybackSessionRecord {
  return { id: id('ps'), userId: u.id, familyId, titleId: 't1', protocol: 'hls', createdAt: 1_000, expiresAt: 9_000, endedAt: null, endedReason: null, ...overrides };
}

async function loggedIn(stores: DurableStores, u: UserRecord, overrides: Partial<RefreshFamily> = {}): Promise<RefreshFamily> {
  const f = family(u.id, overrides);
  await stores.refreshTokens.createFamily(f, id('hash'));
  return f;
}

export function operatorStoreContract(newTarget: NewSqlTarget): void {
  describe('UserStore, operator side', () => {
    const ctx = useStores(newTarget);

    it('changes the plan and the disabled time, each only when given', async () => {
      const u = await seedUser(ctx.stores);
      const other = await ctx.stores.plans.upsert(plan());
      expect(await ctx.stores.users.update(u.id, { disabledAt: 5_000 })).toBe(true);
      expect(await ctx.stores.users.update(u.id, { planId: other.id })).toBe(true);
      expect(await ctx.stores.users.findById(u.id)).toMatchObject({ planId: other.id, disabledAt: 5_000 });
      expect(await ctx.stores.users.update(u.id, { disabledAt: null })).toBe(true);
      expect((await ctx.stores.users.findById(u.id))?.disabledAt).toBeNull();
      expect(await ctx.stores.users.update('nobody', { disabledAt: 1 })).toBe(false);
      expect(await ctx.stores.users.update('nobody', {})).toBe(false);
    });

    it('lists users by email, up to the limit', async () => {
      const a = await seedUser(ctx.stores);
      const b = await seedUser(ctx.stores);
      const sorted = [a, b].sort((x, y) => x.email.localeCompare(y.email));
      expect((await ctx.stores.users.list(10)).map((u) => u.id)).toEqual(sorted.map((u) => u.id));
      expect(await ctx.stores.users.list(1)).toHaveLength(1);
    });
  });

  describe('revoking and ending everything of one user', () => {
    const ctx = useStores(newTarget);

    it('revokes only the live families of that user, and returns every unexpired revoked one, again on a retry', async () => {
      const u = await seedUser(ctx.stores);
      const bystander = await seedUser(ctx.stores);
      const live = await loggedIn(ctx.stores, u);
      const revokedBefore = await loggedIn(ctx.stores, u, { createdAt: 1_500, revokedAt: 1_500, revokedReason: 'logout' });
      await loggedIn(ctx.stores, u, { expiresAt: 1_800 });
      const theirs = await loggedIn(ctx.stores, bystander);
      const revoked = await ctx.stores.refreshTokens.revokeForUser(u.id, 'revoked_by_operator', 2_000);
      expect(revoked.map((f) => f.id)).toEqual([live.id, revokedBefore.id]);
      expect(await ctx.stores.refreshTokens.getFamily(live.id)).toMatchObject({ revokedAt: 2_000, revokedReason: 'revoked_by_operator' });
      expect((await ctx.stores.refreshTokens.getFamily(revokedBefore.id))?.revokedReason).toBe('logout');
      expect((await ctx.stores.refreshTokens.getFamily(theirs.id))?.revokedAt).toBeNull();
      const retried = await ctx.stores.refreshTokens.revokeForUser(u.id, 'again', 3_000);
      expect(retried.map((f) => [f.id, f.revokedAt])).toEqual([[live.id, 2_000], [revokedBefore.id, 1_500]]);
    });

    it('ends only the live sessions of that user, once', async () => {
      const u = await seedUser(ctx.stores);
      const bystander = await seedUser(ctx.stores);
      const f = await loggedIn(ctx.stores, u);
      const live = session(u, f.id);
      const ended = session(u, f.id, { endedAt: 500, endedReason: 'stopped' });
      const theirs = session(bystander, (await loggedIn(ctx.stores, bystander)).id);
      for (const s of [live, ended, theirs]) await ctx.stores.playbackSessions.create(s);
      expect((await ctx.stores.playbackSessions.endForUser(u.id, 'user_disabled', 2_000)).map((s) => s.id)).toEqual([live.id]);
      expect((await ctx.stores.playbackSessions.get(ended.id))?.endedReason).toBe('stopped');
      expect((await ctx.stores.playbackSessions.get(theirs.id))?.endedAt).toBeNull();
    });

    it('lists live streams only (not ended, not expired, login live), filtered, oldest first, with the device', async () => {
      const u = await seedUser(ctx.stores);
      const other = await seedUser(ctx.stores);
      const f = await loggedIn(ctx.stores, u, { deviceId: 'tv-1' });
      const revokedLogin = await loggedIn(ctx.stores, u, { revokedAt: 500, revokedReason: 'logout' });
      const second = session(u, f.id, { createdAt: 1_500, titleId: 't2' });
      const first = session(u, f.id);
      const theirs = session(other, (await loggedIn(ctx.stores, other)).id);
      const dead = [
        session(u, f.id, { endedAt: 600, endedReason: 'stopped' }),
        session(u, f.id, { expiresAt: 1_900 }),
        session(u, revokedLogin.id),
      ];
      for (const s of [second, first, theirs, ...dead]) await ctx.stores.playbackSessions.create(s);
      const list = ctx.stores.playbackSessions;
      expect((await list.listActive({}, 2_000, 10)).map((s) => s.id).sort()).toEqual([first.id, second.id, theirs.id].sort());
      const mine = await list.listActive({ userId: u.id }, 2_000, 10);
      expect(mine.map((s) => s.id)).toEqual([first.id, second.id]);
      expect(mine[0]).toEqual({ ...first, deviceId: 'tv-1' });
      expect((await list.listActive({ userId: u.id, titleId: 't2' }, 2_000, 10)).map((s) => s.id)).toEqual([second.id]);
      expect(await list.listActive({ userId: u.id }, 2_000, 1)).toHaveLength(1);
    });

    it('lists every session of a title still on record, ended and expired too, oldest first, with the device', async () => {
      const u = await seedUser(ctx.stores);
      const f = await loggedIn(ctx.stores, u, { deviceId: 'phone-2' });
      const titleId = `wm-${Math.random().toString(36).slice(2, 8)}`;
      const live = session(u, f.id, { titleId, createdAt: 1_200 });
      const ended = session(u, f.id, { titleId, createdAt: 1_100, endedAt: 1_500, endedReason: 'stopped' });
      const expired = session(u, f.id, { titleId, createdAt: 1_000, expiresAt: 1_300 });
      const elsewhere = session(u, f.id, { titleId: `${titleId}-other` });
      for (const s of [live, ended, expired, elsewhere]) await ctx.stores.playbackSessions.create(s);
      const list = await ctx.stores.playbackSessions.listForTitle(titleId, 10);
      expect(list.map((s) => s.id)).toEqual([expired.id, ended.id, live.id]);
      expect(list[2]).toEqual({ ...live, deviceId: 'phone-2' });
      expect(await ctx.stores.playbackSessions.listForTitle(titleId, 2)).toHaveLength(2);
    });
  });

  describe('RentalStore', () => {
    const ctx = useStores(newTarget);
    const rental = (userId: string) => ({ userId, titleId: 'film', expiresAt: 10_000, playbackMs: 3_000, firstPlayedAt: null, createdAt: 1_000 });

    it('records the first start once, and never after the rental expired', async () => {
      const u = await seedUser(ctx.stores);
      await ctx.stores.rentals.put(rental(u.id));
      expect(await ctx.stores.rentals.recordStart(u.id, 'film', 2_000)).toMatchObject({ firstPlayedAt: 2_000 });
      expect(await ctx.stores.rentals.recordStart(u.id, 'film', 4_000)).toMatchObject({ firstPlayedAt: 2_000 });
      await ctx.stores.rentals.put(rental(u.id));
      expect(await ctx.stores.rentals.recordStart(u.id, 'film', 10_000)).toMatchObject({ firstPlayedAt: null });
      expect(await ctx.stores.rentals.recordStart(u.id, 'other', 2_000)).toBeUndefined();
    });

    it('lets exactly one of many racing first starts set the start', async () => {
      const u = await seedUser(ctx.stores);
      await ctx.stores.rentals.put(rental(u.id));
      const another = await ctx.another();
      const starts = await Promise.all([2_001, 2_002, 2_003, 2_004].map((t, i) => (i % 2 ? another : ctx.stores).rentals.recordStart(u.id, 'film', t)));
      expect(new Set(starts.map((r) => r?.firstPlayedAt)).size).toBe(1);
    });

    it('prunes rentals whose rental or playback window ended before the cutoff', async () => {
      const u = await seedUser(ctx.stores);
      await ctx.stores.rentals.put(rental(u.id));
      await ctx.stores.rentals.put({ ...rental(u.id), titleId: 'played', expiresAt: 50_000 });
      await ctx.stores.rentals.recordStart(u.id, 'played', 2_000);
      await ctx.stores.rentals.put({ ...rental(u.id), titleId: 'unplayed', expiresAt: 50_000 });
      expect(await ctx.stores.rentals.prune(9_000)).toBe(1);
      expect((await ctx.stores.rentals.listForUser(u.id)).map((r) => r.titleId)).toEqual(['film', 'unplayed']);
    });

    it('replaces a rental on a new grant (first start included) and lists a user\'s rentals', async () => {
      const u = await seedUser(ctx.stores);
      await ctx.stores.rentals.put(rental(u.id));
      await ctx.stores.rentals.recordStart(u.id, 'film', 2_000);
      await ctx.stores.rentals.put({ ...rental(u.id), expiresAt: 20_000, playbackMs: null });
      await ctx.stores.rentals.put({ ...rental(u.id), titleId: 'another' });
      expect(await ctx.stores.rentals.get(u.id, 'film')).toMatchObject({ expiresAt: 20_000, playbackMs: null, firstPlayedAt: null });
      expect((await ctx.stores.rentals.listForUser(u.id)).map((r) => r.titleId)).toEqual(['another', 'film']);
      expect(await ctx.stores.rentals.get('nobody', 'film')).toBeUndefined();
    });
  });
}
