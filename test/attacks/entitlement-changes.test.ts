/**
 * Threat: a confirmed entitlement outliving the change that ended it. Gateways keep "this
 * subscriber may watch this title" for TOLLGATE_ENTITLEMENT_CACHE_SECONDS (30 s) so that key
 * rotations and license renewals do not each cost three database reads; a plan that stops
 * covering the title, a user moved to another plan, or a rental re-granted shorter must still
 * stop keys and licenses at once, on every instance, and notices lost with Redis's pub/sub
 * connection must not leave a stale "yes" behind. Instances here share the database and Redis;
 * their clocks stand still, so nothing in these tests lapses by time: only a heard change (or
 * the loss of the channel that carries changes) can refuse.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RedisHotState } from '../../src/server/stores/redis/hot-state.js';
import { ADMIN_TOKEN, login, requestLicense, seedSubscriber, startTestApp, TEST_REDIS_URL, type TestApp } from '../support/app.js';
import { LICENSE_PATHS } from '../support/license-paths.js';
import { registerSyntheticDashTitle, registerSyntheticTitle } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** Well below the second an answer is trusted when notices may be missed: only a notice can refuse this soon. */
const NOTICE_DEADLINE_MS = 400;

describe.each(LICENSE_PATHS)('attack: keys and licenses on a cached entitlement after it changed on another instance (licenses by the %s)', (via) => {
  let a: TestApp;
  let b: TestApp;
  let hlsKid: string;
  let sdKid: string;

  beforeAll(async () => {
    a = await startTestApp({ env: { TOLLGATE_REDIS_URL: TEST_REDIS_URL } });
    b = await startTestApp({ env: { TOLLGATE_REDIS_URL: TEST_REDIS_URL, TOLLGATE_DATA_DIR: a.config.dataDir, TOLLGATE_REDIS_PREFIX: a.config.redisPrefix } });
    b.clock.now = a.clock.now; // one time on both instances
    hlsKid = (await registerSyntheticTitle(a.services, 'movie')).kid;
    sdKid = (await registerSyntheticDashTitle(a.services, 'drm')).sd.kid;
    await until(() => a.services.hot.notices.live() && b.services.hot.notices.live());
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const key = (url: string) => a.app.inject({ method: 'GET', url: url.replace(a.config.publicUrl, '') });
  const license = (url: string) => requestLicense(a, url, sdKid, via);
  const rent = (userId: string, titleId: string, hours: number) =>
    b.app.inject({ method: 'POST', url: `/v1/admin/users/${userId}/rentals`, headers: admin, payload: { title_id: titleId, hours } });

  /** A viewer on its own plan (or renting both titles), watching both through instance A, whose gateway has confirmed the entitlement. */
  async function watching(opts: { rentalHours?: number } = {}) {
    const viewer = await seedSubscriber(b.app, { plan: `plan-${Math.random().toString(36).slice(2, 8)}`, titles: opts.rentalHours === undefined ? ['movie', 'drm'] : [] });
    if (opts.rentalHours !== undefined) for (const title of ['movie', 'drm']) expect((await rent(viewer.userId, title, opts.rentalHours)).statusCode).toBe(201);
    const auth = { authorization: `Bearer ${(await login(a.app, viewer.email, viewer.password)).json().access_token}` };
    const play = (titleId: string, protocol: string) => a.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: titleId, protocol } });
    const hls = (await play('movie', 'hls')).json();
    const dash = (await play('drm', 'dash')).json();
    const keyUrl = hls.manifest_url.replace('master.m3u8', `keys/${hlsKid}`) as string;
    const licenseUrl = dash.license_url as string;
    for (let i = 0; i < 2; i++) {
      expect((await key(keyUrl)).statusCode).toBe(200);
      expect((await license(licenseUrl)).statusCode).toBe(200);
    }
    return { ...viewer, keyUrl, licenseUrl };
  }

  async function expectRefusedSoon(v: { keyUrl: string; licenseUrl: string }, withinMs = NOTICE_DEADLINE_MS) {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const [k, l] = [await key(v.keyUrl), await license(v.licenseUrl)];
      if (k.statusCode === 403 && l.statusCode === 403) {
        expect(k.json().code).toBe('not_entitled');
        expect(l.json().code).toBe('not_entitled');
        return;
      }
      expect(Date.now(), `key ${k.statusCode}, license ${l.statusCode}: still served from the cached entitlement`).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('keeps a confirmed entitlement: repeated keys and licenses are cache hits (seen in /metrics)', async () => {
    const hits = () => a.services.entitlements.entries.hits;
    const before = hits();
    await watching();
    // Each title's first request reads the database; the second of each is answered from the cache.
    expect(hits() - before).toBeGreaterThanOrEqual(2);
    const metrics = (await a.app.inject({ method: 'GET', url: '/metrics', headers: admin })).body;
    expect(metrics).toMatch(/tollgate_cache_hits_total\{cache="entitlements"\} [1-9]/);
  });

  it('stops them at once when the plan stops covering the titles (changed on the other instance)', async () => {
    const v = await watching();
    const res = await b.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: v.planId, titles: ['something-else'] } });
    expect(res.statusCode).toBe(200);
    await expectRefusedSoon(v);
  });

  it('stops them at once when the user is moved to a plan without the titles', async () => {
    const v = await watching();
    await seedSubscriber(b.app, { plan: 'nothing', titles: [] });
    const res = await b.app.inject({ method: 'PATCH', url: `/v1/admin/users/${v.userId}`, headers: admin, payload: { plan_id: 'nothing' } });
    expect(res.statusCode).toBe(200);
    await expectRefusedSoon(v);
  });

  it('ends them with a rental re-granted shorter, not with the end first confirmed', async () => {
    const v = await watching({ rentalHours: 48 });
    for (const title of ['movie', 'drm']) expect((await rent(v.userId, title, 0.0002)).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 50)); // the notice's way across
    a.clock.now += 1_000; // past the short rental (0.72 s), far inside the cache's 30 s
    await expectRefusedSoon(v);
  });

  it('answers 503 to a change whose notice could not be sent (Redis away), and sends it on the retry', async () => {
    const v = await watching();
    // The PUBLISH itself fails, as on a lost connection; the hot state's outage guard makes it a 503.
    const client = ((b.services.hot as RedisHotState).notices as unknown as { publisher: Redis }).publisher;
    const sending = vi.spyOn(client, 'publish').mockRejectedValue(new Error('Connection is closed.'));
    const drop = () => b.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: v.planId, titles: ['something-else'] } });
    const failed = await drop();
    expect(failed.statusCode).toBe(503);
    expect(failed.json().code).toBe('unavailable');
    expect((await key(v.keyUrl)).statusCode).toBe(200); // nobody was told: A still holds its confirmation
    sending.mockRestore();
    expect((await drop()).statusCode).toBe(200);
    await expectRefusedSoon(v);
  });

  it('forgets every confirmation when its notices connection drops, so a change it missed still counts', async () => {
    const v = await watching();
    // A change no instance hears (as if its notice was sent while this instance's channel was down).
    const plan = (await a.services.stores.plans.get(v.planId))!;
    await a.services.stores.plans.upsert({ ...plan, titles: [] });
    expect((await key(v.keyUrl)).statusCode).toBe(200); // still confirmed: nothing was heard
    const notices = (a.services.hot as RedisHotState).notices as unknown as { subscriber: Redis };
    const admin = (b.services.hot as RedisHotState).notices as unknown as { publisher: Redis };
    await admin.publisher.client('KILL', 'ADDR', `127.0.0.1:${notices.subscriber.stream.localPort}`);
    await until(() => !a.services.hot.notices.live());
    await until(() => a.services.hot.notices.live());
    await expectRefusedSoon(v);
  });

  it('forgets every confirmation when a connection of its hot state drops (as a cluster node failing over), and trusts no notices for a while', async () => {
    const v = await watching();
    const plan = (await a.services.stores.plans.get(v.planId))!;
    await a.services.stores.plans.upsert({ ...plan, titles: [] });
    expect((await key(v.keyUrl)).statusCode).toBe(200);
    const hot = (a.services.hot as RedisHotState).notices as unknown as { publisher: Redis };
    const other = (b.services.hot as RedisHotState).notices as unknown as { publisher: Redis };
    await other.publisher.client('KILL', 'ADDR', `127.0.0.1:${hot.publisher.stream.localPort}`);
    await until(() => !a.services.hot.notices.live());
    // The clocks stand still, so nothing lapsed: only the forgetting refuses (once Redis answers again).
    await expectRefusedSoon(v, 5_000);
  });
});

async function until(done: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
