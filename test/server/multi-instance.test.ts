/**
 * Two instances sharing the database and Redis, as when scaled out: single-use entitlement
 * messages and ended sessions hold across them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { RedisHotState } from '../../src/server/stores/redis/hot-state.js';
import { ADMIN_TOKEN, login, presentEntitlement, seedSubscriber, TEST_REDIS_URL } from '../support/app.js';
import { registerSyntheticDashTitle } from '../support/titles.js';


/** This deployment's keys on the shared test Redis, apart from other test files' counters. */
const REDIS_PREFIX = `tollgate-multi-${Math.random().toString(36).slice(2, 10)}:`;

describe('two instances over one database and Redis', () => {
  let dataDir: string;
  const instances: { services: Services; app: FastifyInstance }[] = [];
  let keys: Awaited<ReturnType<typeof registerSyntheticDashTitle>>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-multi-'));
    const env = { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_REDIS_URL: TEST_REDIS_URL, TOLLGATE_REDIS_PREFIX: REDIS_PREFIX, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_LOG_LEVEL: 'silent' };
    for (let i = 0; i < 2; i++) {
      const services = await compose(loadConfig(env));
      instances.push({ services, app: buildApp(services) });
    }
    keys = await registerSyntheticDashTitle(instances[0]!.services, 'drm');
    // On a Redis that has just (re)started, the hot-state epoch begins at its next second:
    // messages issued before that are refused (test/faults/single-use.test.ts).
    const epochStartedAt = await (instances[0]!.services.hot as RedisHotState).epochStartedAt();
    await new Promise((r) => setTimeout(r, Math.max(0, epochStartedAt - Date.now()) + 20));
  });
  afterAll(async () => {
    for (const { app, services } of instances) {
      await app.close();
      await services.close();
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('accepts an entitlement message on one instance and refuses it on the other', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const minted = await a.services.proxy.mint({ titleId: 'drm', sid: 'multi', licenseEndsAt: Date.now() + 60_000 });
    if (!minted.ok) throw new Error(minted.detail);
    const post = (app: FastifyInstance) => presentEntitlement(app, minted.value, keys.sd.kid);
    expect((await post(b.app)).statusCode).toBe(200);
    const replay = await post(a.app);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().detail).toContain('already used');
  });

  it('lets a proxy use a license server on another instance (TOLLGATE_LICENSE_SERVER_URL)', async () => {
    const [a] = instances as [(typeof instances)[0]];
    await a.app.listen({ host: '127.0.0.1', port: 0 });
    const licenseServerUrl = `http://127.0.0.1:${(a.app.server.address() as { port: number }).port}/v1/license/clearkey`;
    const env = { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_REDIS_URL: TEST_REDIS_URL, TOLLGATE_REDIS_PREFIX: REDIS_PREFIX, TOLLGATE_LOG_LEVEL: 'silent', TOLLGATE_LICENSE_SERVER_URL: licenseServerUrl };
    const services = await compose(loadConfig(env));
    const proxyApp = buildApp(services);
    try {
      const viewer = await seedSubscriber(a.app, { plan: 'remote', titles: ['drm'] });
      const auth = { authorization: `Bearer ${(await login(proxyApp, viewer.email, viewer.password)).json().access_token}` };
      const { license_url } = (await proxyApp.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } })).json();
      const kids = [keys.sd.kid, keys.hd.kid].map((kid) => Buffer.from(kid, 'hex').toString('base64url'));
      const res = await proxyApp.inject({ method: 'POST', url: license_url.replace(services.config.publicUrl, ''), payload: JSON.stringify({ kids }) });
      expect(res.statusCode).toBe(200);
      expect(res.json().keys.map((k: { kid: string }) => k.kid)).toEqual([kids[0]]);
      // The remote server's refusals reach the player as the same problem.
      const foreign = Buffer.alloc(16, 7).toString('base64url');
      const refused = await proxyApp.inject({ method: 'POST', url: license_url.replace(services.config.publicUrl, ''), payload: JSON.stringify({ kids: [foreign] }) });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('not_entitled');
    } finally {
      await proxyApp.close();
      await services.close();
    }
  });

  it('stops a session ended on one instance at the other instance’s gateway', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const viewer = await seedSubscriber(a.app, { titles: ['drm'] });
    const auth = { authorization: `Bearer ${(await login(a.app, viewer.email, viewer.password)).json().access_token}` };
    const started = (await a.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } })).json();
    const manifest = started.manifest_url.replace(a.services.config.publicUrl, '');
    expect((await b.app.inject({ method: 'GET', url: manifest })).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'DELETE', url: `/v1/playback/${started.session_id}`, headers: auth })).statusCode).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const refused = await b.app.inject({ method: 'GET', url: manifest });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('token_revoked');
  });
});
