import { describe, expect, it } from 'vitest';
import { seedUser, useStores, type NewSqlTarget } from './harness.js';

export function deviceStoreContract(newTarget: NewSqlTarget): void {
  describe('DeviceStore', () => {
    const ctx = useStores(newTarget);

    it('records a new device, sees a known one again (name kept unless given), lists newest first', async () => {
      const u = await seedUser(ctx.stores);
      const store = ctx.stores.devices;
      expect(await store.admit({ userId: u.id, deviceId: 'tv', name: 'TV' }, null, 1_000)).toEqual({ admitted: true });
      expect(await store.admit({ userId: u.id, deviceId: 'phone', name: null }, null, 2_000)).toEqual({ admitted: true });
      expect(await store.admit({ userId: u.id, deviceId: 'tv', name: null }, null, 3_000)).toEqual({ admitted: true });
      expect(await store.list(u.id)).toEqual([
        { userId: u.id, deviceId: 'tv', name: 'TV', firstSeenAt: 1_000, lastSeenAt: 3_000 },
        { userId: u.id, deviceId: 'phone', name: null, firstSeenAt: 2_000, lastSeenAt: 2_000 },
      ]);
    });

    it('refuses a new device at the limit with the devices, admits a known one, and frees a slot on remove', async () => {
      const u = await seedUser(ctx.stores);
      const store = ctx.stores.devices;
      await store.admit({ userId: u.id, deviceId: 'a', name: null }, 1, 1_000);
      const refused = await store.admit({ userId: u.id, deviceId: 'b', name: null }, 1, 2_000);
      expect(refused).toEqual({ admitted: false, devices: [{ userId: u.id, deviceId: 'a', name: null, firstSeenAt: 1_000, lastSeenAt: 1_000 }] });
      expect(await store.admit({ userId: u.id, deviceId: 'a', name: null }, 1, 3_000)).toEqual({ admitted: true });
      expect(await store.remove(u.id, 'a')).toBe(true);
      expect(await store.remove(u.id, 'a')).toBe(false);
      expect(await store.admit({ userId: u.id, deviceId: 'b', name: null }, 1, 4_000)).toEqual({ admitted: true });
    });

    it('never over-admits parallel new devices, from two handles on one database', async () => {
      const u = await seedUser(ctx.stores);
      const other = await ctx.another();
      const admissions = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? other : ctx.stores).devices.admit({ userId: u.id, deviceId: `d${i}`, name: null }, 3, 1_000 + i)),
      );
      expect(admissions.filter((a) => a.admitted)).toHaveLength(3);
      expect(await ctx.stores.devices.list(u.id)).toHaveLength(3);
    });

    it("keeps users' devices apart", async () => {
      const [a, b] = [await seedUser(ctx.stores), await seedUser(ctx.stores)];
      await ctx.stores.devices.admit({ userId: a.id, deviceId: 'tv', name: null }, 1, 1_000);
      expect(await ctx.stores.devices.admit({ userId: b.id, deviceId: 'tv', name: null }, 1, 1_000)).toEqual({ admitted: true });
      expect(await ctx.stores.devices.remove(b.id, 'other')).toBe(false);
      expect(await ctx.stores.devices.list(a.id)).toHaveLength(1);
    });
  });
}
