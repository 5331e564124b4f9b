/**
 * Two instances over PostgreSQL and a 3-node Redis Cluster the test starts itself, as when
 * scaled out on a cluster (TOLLGATE_REDIS_CLUSTER_NODES): the stream limit stays exact under
 * bursts of simultaneous starts, a revocation on one instance stops playback on the other,
 * a single-use license message is accepted once across both, a change notice (pub/sub) sent
 * by one reaches the other, and the watchtower reads both
 * instances' events (a pattern split between them raises its alert).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisHotState } from '../../src/server/stores/redis/hot-state.js';
import { ADMIN_TOKEN, freshPostgresDatabase, presentEntitlement } from '../support/app.js';
import { type FaultCluster, startFaultCluster } from '../support/fault-cluster.js';
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';
import { copiedUrlAcrossInstances, expectCopiedUrlAlert } from '../support/shared-events.js';
import { evictRounds, limitedViewer, refuseRounds } from '../support/stream-bursts.js';
import { registerSyntheticDashTitle, registerSyntheticTitleAs } from '../support/titles.js';

/** Fewer than the single-server attack test's 200: the cluster adds routing, not new races. */
const ROUNDS = 20;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('two instances over PostgreSQL and a Redis Cluster', () => {
  let redis: TestRedisCluster;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let instances: FaultCluster;
  let keys: Awaited<ReturnType<typeof registerSyntheticDashTitle>>;

  beforeAll(async () => {
    redis = await startRedisCluster();
    database = await freshPostgresDatabase();
    instances = await startFaultCluster({
      TOLLGATE_DATABASE_URL: database.url,
      TOLLGATE_REDIS_CLUSTER_NODES: redis.setting,
      TOLLGATE_RATE_PLAYBACK_PER_USER: '1000000',
      TOLLGATE_RATE_PLAYBACK_PER_ADDRESS: '1000000',
    });
    await registerSyntheticTitleAs(instances.a.services, 'film', ['hls']);
    keys = await registerSyntheticDashTitle(instances.a.services, 'drm');
    expect(instances.a.services.hot).toBeInstanceOf(RedisHotState);
  });
  afterAll(async () => {
    await instances?.close();
    await database?.drop();
    await redis?.remove();
  });

  const pair = () => [instances.a.app, instances.b.app] as const;

  it(`admits exactly 3 of 50 simultaneous starts, for ${ROUNDS} rounds, in refuse and in evict mode`, async () => {
    await refuseRounds(pair(), await limitedViewer(instances.a.app, { max_streams: 3 }), { rounds: ROUNDS, limit: 3, titleId: 'film' });
    await evictRounds(pair(), await limitedViewer(instances.a.app, { max_streams: 3, stream_limit_mode: 'evict_oldest' }), { rounds: ROUNDS, limit: 3, titleId: 'film' });
  }, 120_000);

  it('stops playback on one instance within 2 s of the user being revoked on the other', async () => {
    const auth = await limitedViewer(instances.a.app, { max_streams: 2 });
    const started = (await instances.a.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film', protocol: 'hls' } })).json();
    const manifest = (started.manifest_url as string).replace(instances.a.services.config.publicUrl, '');
    expect((await instances.b.app.inject({ method: 'GET', url: manifest })).statusCode).toBe(200);
    const me = (await instances.b.app.inject({ method: 'GET', url: '/v1/me', headers: auth })).json();
    expect((await instances.b.app.inject({ method: 'POST', url: `/v1/admin/users/${me.user_id}/revoke`, headers: admin })).statusCode).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (const app of pair()) {
      const refused = await app.inject({ method: 'GET', url: manifest });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().code).toBe('token_revoked');
    }
  });

  it('accepts a single-use license message on one instance and refuses it on the other', async () => {
    const minted = await instances.a.services.proxy.mint({ titleId: 'drm', sid: 'cluster', licenseEndsAt: Date.now() + 60_000 });
    if (!minted.ok) throw new Error(minted.detail);
    const post = (app: FastifyInstance) => presentEntitlement(app, minted.value, keys.sd.kid);
    expect((await post(instances.b.app)).statusCode).toBe(200);
    const replay = await post(instances.a.app);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().detail).toContain('already used');
  });

  it('carries a change notice from one instance to the other (pub/sub on the cluster)', async () => {
    const heard: string[] = [];
    instances.b.services.hot.notices.listen('probe', { notice: (message) => heard.push(message), missed: () => undefined });
    const deadline = Date.now() + 5_000;
    while (!(instances.a.services.hot.notices.live() && instances.b.services.hot.notices.live()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await instances.a.services.hot.notices.publish('probe', 'plan changed');
    while (heard.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(heard).toEqual(['plan changed']);
  });

  it("raises the alert for a pattern split between the instances' requests (the event bus on the cluster)", async () => {
    const sessionId = await copiedUrlAcrossInstances(instances.a.services, instances.b.services);
    await expectCopiedUrlAlert([instances.a, instances.b], sessionId);
  });
});
