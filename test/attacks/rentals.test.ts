/**
 * Threat: a rental watched past its end. A viewer whose rental has expired starts again, keeps a
 * running session, asks for more keys and licenses, keeps a license that outlives the rental,
 * or restarts the playback window by starting again (or many times at once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp, requestLicense } from '../support/app.js';
import { LICENSE_PATHS } from '../support/license-paths.js';
import { registerSyntheticDashTitle, registerSyntheticTitle } from '../support/titles.js';

const HOUR = 3_600_000;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe.each(LICENSE_PATHS)('attack: watching a rental past its end (licenses by the %s)', (via) => {
  let t: TestApp;
  let hlsKid: string;
  let sdKid: string;

  beforeAll(async () => {
    // Leases outlast the clock moves here, so the refusals seen are the rentals' own.
    t = await startTestApp({ env: { TOLLGATE_STREAM_LEASE_SECONDS: '86400' } });
    hlsKid = (await registerSyntheticTitle(t.services, 'movie')).kid;
    sdKid = (await registerSyntheticDashTitle(t.services, 'drm')).sd.kid;
  });
  afterAll(() => t.close());

  /** A subscriber whose plan covers neither title; `auth()` logs in now (the tests move the clock by hours). */
  async function renter(): Promise<{ userId: string; auth: () => Promise<{ authorization: string }> }> {
    const viewer = await seedSubscriber(t.app, { plan: 'rentals-only', titles: [] });
    const auth = async () => ({ authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` });
    return { userId: viewer.userId, auth };
  }
  const rent = async (userId: string, body: object) => {
    const res = await t.app.inject({ method: 'POST', url: `/v1/admin/users/${userId}/rentals`, headers: admin, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { title_id: string; expires_at: string; playback_hours: number | null };
  };
  const play = async (auth: () => Promise<Record<string, string>>, titleId: string, protocol = 'hls') =>
    t.app.inject({ method: 'POST', url: '/v1/playback', headers: await auth(), payload: { title_id: titleId, protocol } });
  const get = (url: string) => t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, '') });
  const license = (url: string) => requestLicense(t, url, sdKid, via);

  it('refuses a start without a rental, and a start once the rental has expired', async () => {
    const { userId, auth } = await renter();
    expect((await play(auth, 'movie')).json().code).toBe('not_entitled');
    const rental = await rent(userId, { title_id: 'movie', hours: 1 });
    expect(rental.playback_hours).toBeNull();
    const started = await play(auth, 'movie');
    expect(started.statusCode).toBe(201);
    expect(Date.parse(started.json().expires_at)).toBeLessThanOrEqual(Date.parse(rental.expires_at));
    t.clock.now = Date.parse(rental.expires_at);
    const late = await play(auth, 'movie');
    expect(late.statusCode).toBe(403);
    expect(late.json().code).toBe('not_entitled');
  });

  it('ends a running session with the rental: manifests, segments and keys are refused', async () => {
    const { userId, auth } = await renter();
    const rental = await rent(userId, { title_id: 'movie', hours: 1 });
    t.clock.now = Date.parse(rental.expires_at) - 60_000;
    const manifest: string = (await play(auth, 'movie')).json().manifest_url;
    const urls = [manifest, manifest.replace('master.m3u8', '360p/seg_00000.ts'), manifest.replace('master.m3u8', `keys/${hlsKid}`)];
    for (const url of urls) expect((await get(url)).statusCode, url).toBe(200);
    t.clock.now = Date.parse(rental.expires_at) + 1_000;
    for (const url of urls) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(401);
      expect(res.json().code).toBe('token_expired');
    }
  });

  it('refuses keys and licenses once a rental is cut short by a new grant, while the session token lives', async () => {
    const { userId, auth } = await renter();
    await rent(userId, { title_id: 'movie', hours: 48 });
    await rent(userId, { title_id: 'drm', hours: 48 });
    const manifest: string = (await play(auth, 'movie')).json().manifest_url;
    const licenseUrl: string = (await play(auth, 'drm', 'dash')).json().license_url;
    const key = manifest.replace('master.m3u8', `keys/${hlsKid}`);
    expect((await get(key)).statusCode).toBe(200);
    expect((await license(licenseUrl)).statusCode).toBe(200);
    // The operator shortens both rentals to a minute; the sessions were capped at the old end.
    await rent(userId, { title_id: 'movie', hours: 1 / 60 });
    await rent(userId, { title_id: 'drm', hours: 1 / 60 });
    t.clock.now += 61_000;
    for (const res of [await get(key), await license(licenseUrl)]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('not_entitled');
    }
  });

  it('runs the playback window from the first start: starting again, or many times at once, does not extend it', async () => {
    const { userId, auth } = await renter();
    await rent(userId, { title_id: 'movie', hours: 30 * 24, playback_hours: 2 });
    const firstStart = t.clock.now;
    const headers = await auth();
    const racing = await Promise.all(Array.from({ length: 8 }, () => play(async () => headers, 'movie')));
    const windowEnd = firstStart + 2 * HOUR;
    for (const res of racing) {
      expect(res.statusCode).toBe(201);
      expect(Date.parse(res.json().expires_at)).toBeLessThanOrEqual(windowEnd);
    }
    const me = (await t.app.inject({ method: 'GET', url: '/v1/me', headers: await auth() })).json();
    expect(me.rentals).toEqual([{ title_id: 'movie', expires_at: expect.any(String), playback_expires_at: new Date(windowEnd).toISOString() }]);
    t.clock.now = firstStart + HOUR;
    const again = await play(auth, 'movie');
    expect(Date.parse(again.json().expires_at)).toBeLessThanOrEqual(windowEnd);
    t.clock.now = windowEnd;
    expect((await play(auth, 'movie')).json().code).toBe('not_entitled');
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: await auth() })).json().rentals).toEqual([]);
  });

  it('caps the license a rental session gets at the rental end, not the session token life', async () => {
    const { userId, auth } = await renter();
    const rental = await rent(userId, { title_id: 'drm', hours: 48, playback_hours: 1 });
    const started = (await play(auth, 'drm', 'dash')).json();
    const rentalEnd = t.clock.now + HOUR;
    expect(Date.parse(started.expires_at)).toBeLessThanOrEqual(rentalEnd);
    expect(Date.parse(rental.expires_at)).toBeGreaterThan(rentalEnd);
    const [, token, title] = /\/v1\/license\/s\/([^/]+)\/([^/]+)$/.exec(started.license_url)!;
    const message = await t.services.proxy.entitle({ token: token!, titleId: title!, ip: '127.0.0.1', userAgent: '' });
    if (!message.ok) throw new Error(message.detail);
    const claims = JSON.parse(Buffer.from(message.value.split('.')[1]!, 'base64url').toString());
    expect(claims.license.expiration_datetime * 1000).toBeLessThanOrEqual(rentalEnd);
    expect(claims.license.duration_sec * 1000).toBeLessThanOrEqual(HOUR);
  });
});
