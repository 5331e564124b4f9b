/**
 * Fault: PostgreSQL frozen (SIGSTOP: connections stay open, nothing answers), as a stalled
 * host, a storage hang or a long failover looks from the client. Before the fix, logins,
 * playback starts, licenses and /readyz hung for as long as the freeze lasted. Now every wait
 * is bounded (TOLLGATE_DATABASE_TIMEOUT_MS, 3 s by default; /readyz within
 * TOLLGATE_READINESS_TIMEOUT_MS, 1.5 s), the answer is 503 `unavailable`, and service comes back
 * by itself after the thaw. A session already playing keeps its licenses: its token, liveness
 * marks, confirmed entitlement and title keys are held by each instance, and no entitlement can
 * change while the database cannot be written.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSubscriber, TEST_REDIS_URL } from '../support/app.js';
import { expectOnly, expectUnavailable, type FaultCluster, recoveryTime, startFaultCluster, tally, timed } from '../support/fault-cluster.js';
import { type PrivateServer, startPrivatePostgres } from '../support/private-stores.js';
import { registerSyntheticDashTitle } from '../support/titles.js';

/** The default database timeout (3 s) plus the reply margin, with room for a loaded machine. */
const REQUEST_BOUND_MS = 6_000;
const READINESS_BOUND_MS = 2_500;
const RECOVERY_LIMIT_MS = 5_000;

describe('fault: PostgreSQL frozen', () => {
  let database: PrivateServer;
  let cluster: FaultCluster;
  let viewer: { email: string; password: string };
  let auth: { authorization: string };
  let refreshToken: string;
  let licensePath: string;
  /** A session started before the freeze that asked no instance for a license yet. */
  let unlicensedPath: string;
  let kid: string;

  beforeAll(async () => {
    database = await startPrivatePostgres();
    cluster = await startFaultCluster({ TOLLGATE_DATABASE_URL: database.url, TOLLGATE_REDIS_URL: TEST_REDIS_URL });
    const keys = await registerSyntheticDashTitle(cluster.a.services, 'drm');
    kid = Buffer.from(keys.sd.kid, 'hex').toString('base64url');
    viewer = await seedSubscriber(cluster.a.app, { titles: ['drm'] });
    const tokens = (await cluster.a.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password } })).json();
    auth = { authorization: `Bearer ${tokens.access_token}` };
    refreshToken = tokens.refresh_token;
    const started = (await cluster.a.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } })).json();
    licensePath = started.license_url.replace(cluster.a.services.config.publicUrl, '');
    const second = (await cluster.a.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } })).json();
    unlicensedPath = second.license_url.replace(cluster.a.services.config.publicUrl, '');
  });
  afterAll(async () => {
    await database?.thaw();
    await cluster?.close();
    await database?.remove();
  });

  it('answers logins, refreshes, starts, licenses and /readyz within a bound while frozen, keeps licensing a playing session, and recovers after the thaw', async () => {
    for (const { app } of [cluster.a, cluster.b]) {
      expect((await app.inject({ method: 'POST', url: licensePath, payload: JSON.stringify({ kids: [kid] }) })).statusCode).toBe(200);
    }
    await database.freeze();
    const requests = [cluster.a, cluster.b].flatMap(({ app }) => [
      app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password } }),
      app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password } }),
      app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } }),
      app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } }),
      app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } }),
      app.inject({ method: 'GET', url: '/v1/me', headers: auth }),
    ]);
    const readiness = [cluster.a, cluster.b].map(({ app }) => timed(app.inject({ method: 'GET', url: '/readyz' })));
    // A second into the freeze: the playing session is licensed from what the instances hold;
    // the other session's first license needs its session read from the database.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const license = (app: (typeof cluster.a)['app'], path: string) => timed(app.inject({ method: 'POST', url: path, payload: JSON.stringify({ kids: [kid] }) }));
    const playing = await Promise.all([cluster.a, cluster.b].map(({ app }) => license(app, licensePath)));
    const licenses = [cluster.a, cluster.b].map(({ app }) => license(app, unlicensedPath));
    const answered = await Promise.all(requests.map(timed));
    const ready = await Promise.all(readiness);
    const licensed = await Promise.all(licenses);

    for (const { res, ms } of ready) {
      expectUnavailable(res);
      expect(ms).toBeLessThan(READINESS_BOUND_MS);
    }
    for (const { res, ms } of [...answered, ...licensed]) {
      expectUnavailable(res);
      expect(ms).toBeLessThan(REQUEST_BOUND_MS);
    }
    for (const { res } of playing) expect(res.statusCode, res.body).toBe(200);
    const slowest = Math.max(...answered.map((t) => t.ms), ...licensed.map((t) => t.ms));

    await database.thaw();
    const recovered = await recoveryTime(RECOVERY_LIMIT_MS, async () => {
      const logins = await Promise.all(
        [cluster.a, cluster.b].map(({ app }) => app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password } })),
      );
      return logins.every((r) => r.statusCode === 200);
    });
    const after: LightMyRequestResponse[] = [];
    for (const { app } of [cluster.a, cluster.b]) {
      after.push(await app.inject({ method: 'GET', url: '/readyz' }));
      after.push(await app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } }));
      after.push(await app.inject({ method: 'POST', url: licensePath, payload: JSON.stringify({ kids: [kid] }) }));
    }
    expectOnly(after, [200, 201]);
    expect(cluster.crashes).toEqual([]);
    console.info(
      `PostgreSQL frozen: ${JSON.stringify(tally([...answered, ...licensed].map((t) => t.res)))}, slowest ${Math.round(slowest)} ms, ` +
        `/readyz ${Math.round(Math.max(...ready.map((t) => t.ms)))} ms; service back ${Math.round(recovered)} ms after the thaw`,
    );
  });
});
