/**
 * Attacks on device limits: one subscription shared by more devices than its plan allows
 * (one at a time, in a parallel burst, or by leaving out the device id), and a removed device
 * (lost, sold, an ex's) that keeps its login and its streams.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('attack: more devices than the plan allows', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Room for the whole burst in the login limits (they reserve before checking), so the device limit decides.
    t = await startTestApp({
      env: {
        TOLLGATE_LOGIN_QUEUE: '1000',
        TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '100',
        TOLLGATE_LOGIN_MAX_FAILURES_PER_ADDRESS: '100',
        TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL: '100',
      },
    });
  });
  afterAll(() => t.close());

  async function subscriberWithDeviceLimit(maxDevices: number) {
    const plan = `devices-${randomUUID()}`;
    const viewer = await seedSubscriber(t.app, { plan, titles: '*' });
    await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: plan, titles: '*', max_devices: maxDevices } });
    return viewer;
  }
  const loginOn = (viewer: { email: string; password: string }, device: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password, ...device } });

  it('refuses a new device over max_devices with 409 device_limit_reached, listing the devices', async () => {
    const viewer = await subscriberWithDeviceLimit(2);
    expect((await loginOn(viewer, { device_id: 'tv', device_name: 'Living room TV' })).statusCode).toBe(200);
    expect((await loginOn(viewer, { device_id: 'phone' })).statusCode).toBe(200);
    const third = await loginOn(viewer, { device_id: 'friend-laptop', device_name: "A friend's laptop" });
    expect(third.statusCode).toBe(409);
    expect(third.headers['content-type']).toContain('application/problem+json');
    const body = third.json();
    expect(body.code).toBe('device_limit_reached');
    expect(body.devices.map((d: { device_id: string }) => d.device_id).sort()).toEqual(['phone', 'tv']);
    const tv = body.devices.find((d: { device_id: string }) => d.device_id === 'tv');
    expect(tv).toEqual({ device_id: 'tv', name: 'Living room TV', first_seen_at: expect.any(String), last_seen_at: expect.any(String) });
  });

  it('still admits a device it knows when the account is at its limit', async () => {
    const viewer = await subscriberWithDeviceLimit(1);
    expect((await loginOn(viewer, { device_id: 'tv' })).statusCode).toBe(200);
    expect((await loginOn(viewer, { device_id: 'tv' })).statusCode).toBe(200);
    expect((await loginOn(viewer, { device_id: 'other' })).statusCode).toBe(409);
  });

  it('refuses all but the free slots of 20 parallel logins from new devices', async () => {
    const viewer = await subscriberWithDeviceLimit(3);
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => loginOn(viewer, { device_id: `device-${i}` })));
    expect(burst.filter((r) => r.statusCode === 200)).toHaveLength(3);
    expect(burst.filter((r) => r.statusCode === 409)).toHaveLength(17);
  });

  it('refuses a login without device_id on a plan with a device limit, so leaving it out is no way around', async () => {
    const viewer = await subscriberWithDeviceLimit(1);
    const anonymous = await loginOn(viewer, {});
    expect(anonymous.statusCode).toBe(400);
    expect(anonymous.json().detail).toContain('device_id');
  });
});

describe('attack: a removed device that keeps its login and its streams', () => {
  let t: TestApp;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 'movie');
    viewer = await seedSubscriber(t.app, { plan: 'family', titles: ['movie'] });
  });
  afterAll(() => t.close());

  const loginOn = async (device: string) =>
    (await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password, device_id: device } })).json() as {
      access_token: string;
      refresh_token: string;
    };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const get = (url: string) => t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, '') });

  it("ends the removed device's logins: its access and refresh tokens stop at once", async () => {
    const lost = await loginOn('lost-phone');
    const mine = await loginOn('my-tablet');
    const listed = await t.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(mine.access_token) });
    expect(listed.json().devices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ device_id: 'lost-phone', current: false }),
        expect.objectContaining({ device_id: 'my-tablet', current: true }),
      ]),
    );
    const removed = await t.app.inject({ method: 'DELETE', url: '/v1/devices/lost-phone', headers: bearer(mine.access_token) });
    expect(removed.statusCode).toBe(204);
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(lost.access_token) });
    expect(me.statusCode).toBe(401);
    expect(me.json().code).toBe('token_revoked');
    const refreshed = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: lost.refresh_token } });
    expect(refreshed.json().code).toBe('token_revoked');
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(mine.access_token) })).statusCode).toBe(200);
    const after = (await t.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(mine.access_token) })).json();
    expect(after.devices.map((d: { device_id: string }) => d.device_id)).not.toContain('lost-phone');
  });

  it("ends the removed device's streams: its manifest and segment URLs stop within 2 s", async () => {
    const stolen = await loginOn('stolen-laptop');
    const mine = await loginOn('my-tv');
    const started = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: bearer(stolen.access_token), payload: { title_id: 'movie' } });
    expect(started.statusCode).toBe(201);
    const manifestUrl: string = started.json().manifest_url;
    expect((await get(manifestUrl)).statusCode).toBe(200); // verified and cached on this instance
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/devices/stolen-laptop', headers: bearer(mine.access_token) })).statusCode).toBe(204);
    t.clock.now += 2_001;
    for (const url of [manifestUrl, manifestUrl.replace('master.m3u8', '360p/seg_00000.ts')]) {
      const res = await get(url);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('token_revoked');
    }
  });

  it("refuses removing another account's device, which keeps working", async () => {
    const other = await seedSubscriber(t.app, { plan: 'family', titles: ['movie'] });
    const theirs = (
      await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: other.email, password: other.password, device_id: 'their-tv' } })
    ).json();
    const mine = await loginOn('my-phone');
    const removed = await t.app.inject({ method: 'DELETE', url: '/v1/devices/their-tv', headers: bearer(mine.access_token) });
    expect(removed.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(theirs.access_token) })).statusCode).toBe(200);
  });
});
