/**
 * Threat: one account shared by more viewers than its plan's concurrent stream limit allows
 * (issue 9). Before: `max_streams` was stored and ignored; five starts on a plan of one all got
 * 201, and every manifest_url played on. Now the limit holds on three layers, exactly across
 * instances: admission at POST /v1/playback (atomic, in Redis), key and license requests (a
 * modified player that never calls the API is still cut off), and the gateway's liveness check
 * (segments of an evicted or lapsed stream stop within 2 s).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, freshPostgresDatabase, startTestApp, TEST_REDIS_URL, type TestApp } from '../support/app.js';
import { type FaultCluster, sleep, startFaultCluster } from '../support/fault-cluster.js';
import { type PrivateServer, startPrivateRedis } from '../support/private-stores.js';
import { BURST, evictRounds, limitedViewer, refuseRounds } from '../support/stream-bursts.js';
import { registerSyntheticTitleAs } from '../support/titles.js';
import { buildApp } from '../../src/server/app.js';
import { compose } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const NO_RATE_LIMITS = { TOLLGATE_RATE_PLAYBACK_PER_USER: '1000000', TOLLGATE_RATE_PLAYBACK_PER_ADDRESS: '1000000' };
/** The figure: 200 rounds of simultaneous starts, in each mode. */
const ROUNDS = 200;
/** Bounds a hang, not a speed: on the 2-core test machine at load average ~20 a run took 110–210 s. */
const ROUNDS_TIMEOUT_MS = 600_000;
const b64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

/** A plan with a stream limit and one subscriber on it; returns a logged-in viewer. */
async function subscriber(app: FastifyInstance, plan: Record<string, unknown>, deviceId?: string) {
  const planId = `p${Math.random().toString(36).slice(2, 10)}`;
  expect((await app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: planId, titles: '*', ...plan } })).statusCode).toBe(200);
  const email = `limit-${planId}@example.com`;
  const password = 'correct horse battery';
  expect((await app.inject({ method: 'POST', url: '/v1/admin/users', headers: admin, payload: { email, password, plan_id: planId } })).statusCode).toBe(201);
  return viewer(app, email, password, deviceId);
}

async function viewer(app: FastifyInstance, email: string, password: string, deviceId?: string) {
  const tokens = (await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password, ...(deviceId ? { device_id: deviceId, device_name: `${deviceId} (named)` } : {}) } })).json();
  return { email, password, refreshToken: tokens.refresh_token as string, auth: { authorization: `Bearer ${tokens.access_token as string}` } };
}

/** A started stream and the requests its player makes, with nothing but its URLs. */
function stream(res: LightMyRequestResponse, publicUrl: string, keys: { hls: string; sd: string }) {
  expect(res.statusCode, res.body).toBe(201);
  const started = res.json();
  const manifest = (started.manifest_url as string).replace(publicUrl, '');
  const base = manifest.replace(/\/(hls|dash)\/[^/]+$/, '');
  return {
    id: started.session_id as string,
    manifest: (app: FastifyInstance) => app.inject({ method: 'GET', url: manifest }),
    segment: (app: FastifyInstance) => app.inject({ method: 'GET', url: `${base}/hls/360p/seg_00000.ts` }),
    key: (app: FastifyInstance) => app.inject({ method: 'GET', url: `${base}/hls/keys/${keys.hls}` }),
    license: (app: FastifyInstance) =>
      app.inject({ method: 'POST', url: (started.license_url as string).replace(publicUrl, ''), payload: JSON.stringify({ kids: [b64url(keys.sd)] }) }),
  };
}

type Auth = { authorization: string };

const start = (app: FastifyInstance, auth: Auth, protocol: 'hls' | 'dash' = 'hls'): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film', protocol } });

function expectRefused(res: LightMyRequestResponse, code = 'token_revoked'): void {
  expect(res.statusCode, res.body).toBe(code === 'token_revoked' ? 401 : 409);
  expect(res.json().code).toBe(code);
}

describe('attack: many simultaneous starts on two instances over PostgreSQL and Redis', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let cluster: FaultCluster;
  let keys: { hls: string; sd: string };

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    cluster = await startFaultCluster({ TOLLGATE_DATABASE_URL: database.url, TOLLGATE_REDIS_URL: TEST_REDIS_URL, ...NO_RATE_LIMITS });
    const made = await registerSyntheticTitleAs(cluster.a.services, 'film', ['hls', 'dash']);
    keys = { hls: made.hls!.kid, sd: made.dash!.sd.kid };
  });
  afterAll(async () => {
    await cluster?.close();
    await database?.drop();
  });

  const pair = () => [cluster.a.app, cluster.b.app] as const;

  it(`refuses all but 3 of ${BURST} simultaneous starts for max_streams=3, for ${ROUNDS} rounds, and never admits fewer while 3 are free`, async () => {
    const auth = await limitedViewer(cluster.a.app, { max_streams: 3 });
    await refuseRounds(pair(), auth, { rounds: ROUNDS, limit: 3, titleId: 'film' });
  }, ROUNDS_TIMEOUT_MS);

  it('tells a refused viewer which streams hold the slots', async () => {
    const { auth, email, password } = await subscriber(cluster.a.app, { max_streams: 1 }, 'living-room-tv');
    const first = stream(await start(cluster.a.app, auth), cluster.a.services.config.publicUrl, keys);
    const other = await viewer(cluster.b.app, email, password);
    const refused = await start(cluster.b.app, other.auth);
    expectRefused(refused, 'stream_limit_reached');
    expect(refused.json().active_streams).toEqual([
      { session_id: first.id, title_id: 'film', device_id: 'living-room-tv', device_name: 'living-room-tv (named)', started_at: expect.any(String), last_seen_at: expect.any(String) },
    ]);
  });

  it(`in evict_oldest mode admits every start and keeps only the 3 newest streams, for ${ROUNDS} rounds, ending the others everywhere`, async () => {
    const auth = await limitedViewer(cluster.a.app, { max_streams: 3, stream_limit_mode: 'evict_oldest' });
    const evicted = await evictRounds(pair(), auth, { rounds: ROUNDS, limit: 3, titleId: 'film' });
    for (const res of evicted.slice(0, 10)) expectRefused(await stream(res, cluster.a.services.config.publicUrl, keys).manifest(cluster.b.app));
  }, ROUNDS_TIMEOUT_MS);

  it('cuts off a modified player that never calls the API: its key and license requests are refused once it is evicted', async () => {
    const { auth } = await subscriber(cluster.a.app, { max_streams: 1, stream_limit_mode: 'evict_oldest' });
    const hls = stream(await start(cluster.a.app, auth, 'hls'), cluster.a.services.config.publicUrl, keys);
    expect((await hls.key(cluster.b.app)).statusCode).toBe(200);
    const dash = stream(await start(cluster.b.app, auth, 'dash'), cluster.a.services.config.publicUrl, keys);
    expect((await dash.license(cluster.a.app)).statusCode).toBe(200);
    for (const at of [cluster.a.app, cluster.b.app]) expectRefused(await hls.key(at));
    stream(await start(cluster.a.app, auth, 'hls'), cluster.a.services.config.publicUrl, keys);
    for (const at of [cluster.a.app, cluster.b.app]) expectRefused(await dash.license(at));
  });

  it('stops the segments of an evicted stream on the other instance within 2 s', async () => {
    const { auth } = await subscriber(cluster.a.app, { max_streams: 1, stream_limit_mode: 'evict_oldest' });
    const old = stream(await start(cluster.a.app, auth), cluster.a.services.config.publicUrl, keys);
    expect((await old.segment(cluster.b.app)).statusCode).toBe(200);
    await start(cluster.a.app, auth);
    const evictedAt = performance.now();
    for (;;) {
      const res = await old.segment(cluster.b.app);
      if (res.statusCode === 401) break;
      expect(res.statusCode).toBe(200);
      expect(performance.now() - evictedAt).toBeLessThan(2_500);
      await sleep(100);
    }
  });

  it('counts the streams of one device once when counting by device', async () => {
    const { auth, email, password } = await subscriber(cluster.a.app, { max_streams: 1, count_by: 'device' }, 'tv');
    for (let i = 0; i < 3; i++) stream(await start(i % 2 ? cluster.a.app : cluster.b.app, auth), cluster.a.services.config.publicUrl, keys);
    const phone = await viewer(cluster.a.app, email, password, 'phone');
    expectRefused(await start(cluster.b.app, phone.auth), 'stream_limit_reached');
    // A login without a device id is a device of its own.
    expectRefused(await start(cluster.a.app, (await viewer(cluster.a.app, email, password)).auth), 'stream_limit_reached');
  });
});

describe('attack: a crashed or silent player keeps its slot', () => {
  let t: TestApp;
  let keys: { hls: string; sd: string };
  beforeAll(async () => {
    t = await startTestApp({ env: NO_RATE_LIMITS });
    const made = await registerSyntheticTitleAs(t.services, 'film', ['hls', 'dash']);
    keys = { hls: made.hls!.kid, sd: made.dash!.sd.kid };
  });
  afterAll(() => t.close());

  it('refuses a stream with no sign of life for the lease period, and frees its slot', async () => {
    const { auth } = await subscriber(t.app, { max_streams: 1 });
    const silent = stream(await start(t.app, auth), t.config.publicUrl, keys);
    expect((await silent.manifest(t.app)).statusCode).toBe(200);
    t.clock.now += 61_000;
    expectRefused(await silent.segment(t.app));
    expectRefused(await silent.key(t.app));
    stream(await start(t.app, auth), t.config.publicUrl, keys);
  });

  it('frees the slot of a stream whose login was logged out at once, not when its lease lapses', async () => {
    const tv = await subscriber(t.app, { max_streams: 1 });
    stream(await start(t.app, tv.auth), t.config.publicUrl, keys);
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: tv.refreshToken } })).statusCode).toBe(204);
    const phone = await viewer(t.app, tv.email, tv.password);
    stream(await start(t.app, phone.auth), t.config.publicUrl, keys);
    expectRefused(await start(t.app, phone.auth), 'stream_limit_reached');
  });

  it('keeps a stream that heartbeats, or fetches keys, past the lease period', async () => {
    const { auth } = await subscriber(t.app, { max_streams: 1 });
    const beating = stream(await start(t.app, auth), t.config.publicUrl, keys);
    for (let i = 0; i < 3; i++) {
      t.clock.now += 40_000;
      const res = await t.app.inject({ method: 'POST', url: `/v1/playback/${beating.id}/heartbeat`, headers: auth });
      expect(res.statusCode).toBe(204);
    }
    for (let i = 0; i < 3; i++) {
      t.clock.now += 40_000;
      expect((await beating.key(t.app)).statusCode).toBe(200);
    }
    expect((await beating.manifest(t.app)).statusCode).toBe(200);
    expectRefused(await start(t.app, auth), 'stream_limit_reached');
    t.clock.now += 61_000;
    expectRefused(await t.app.inject({ method: 'POST', url: `/v1/playback/${beating.id}/heartbeat`, headers: auth }), 'stream_limit_reached');
  });
});

describe('attack: a Redis restart (it keeps nothing) used to open extra slots', () => {
  let redis: PrivateServer;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let cluster: FaultCluster;
  let keys: { hls: string; sd: string };
  beforeAll(async () => {
    redis = await startPrivateRedis();
    database = await freshPostgresDatabase();
    cluster = await startFaultCluster({ TOLLGATE_DATABASE_URL: database.url, TOLLGATE_REDIS_URL: redis.url, ...NO_RATE_LIMITS });
    const made = await registerSyntheticTitleAs(cluster.a.services, 'film', ['hls', 'dash']);
    keys = { hls: made.hls!.kid, sd: made.dash!.sd.kid };
  });
  afterAll(async () => {
    await cluster?.close();
    await redis?.remove();
    await database?.drop();
  });

  it('never lets the running stream and a new one both hold the one slot after the restart', async () => {
    const { auth } = await subscriber(cluster.a.app, { max_streams: 1 });
    const running = stream(await start(cluster.a.app, auth), cluster.a.services.config.publicUrl, keys);
    expect((await running.manifest(cluster.b.app)).statusCode).toBe(200);
    await redis.crash();
    expect((await start(cluster.a.app, auth)).statusCode).toBe(503);
    await redis.restart();
    for (let i = 0; ; i++) {
      if ((await cluster.a.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200) break;
      if (i > 50) throw new Error('Redis did not come back');
      await sleep(100);
    }
    const [kept, newcomer] = await Promise.all([running.manifest(cluster.b.app), start(cluster.a.app, auth)]);
    expect([kept.statusCode, newcomer.statusCode].sort(), `${kept.body} ${newcomer.body}`).toEqual(kept.statusCode === 200 ? [200, 409] : [201, 401]);
    const listed = (await cluster.a.app.inject({ method: 'GET', url: '/v1/playback', headers: auth })).json().streams;
    expect(listed).toHaveLength(1);
  });
});

describe('attack: a restart of the embedded server (its hot state is in memory) used to open extra slots', () => {
  it("rebuilds the running stream's slot from the database, so it plays on and a second start is refused", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-restart-'));
    const boot = async () => {
      const services = await compose(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_LOG_LEVEL: 'silent', ...NO_RATE_LIMITS }));
      const app = buildApp(services);
      await app.ready();
      return { services, app };
    };
    try {
      const before = await boot();
      const made = await registerSyntheticTitleAs(before.services, 'film', ['hls']);
      const { auth } = await subscriber(before.app, { max_streams: 1 });
      const running = stream(await start(before.app, auth), before.services.config.publicUrl, { hls: made.hls!.kid, sd: '' });
      await before.app.close();
      await before.services.close();
      // A new process: its memory epoch starts now, after the stream began.
      await sleep(1_100);
      const after = await boot();
      try {
        expect((await running.manifest(after.app)).statusCode).toBe(200);
        expectRefused(await start(after.app, auth), 'stream_limit_reached');
      } finally {
        await after.app.close();
        await after.services.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
