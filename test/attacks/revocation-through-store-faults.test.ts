/**
 * Threat: a viewer who logged out, or whose stream was stopped, keeps playing because the hot
 * state (Redis) failed: its marks could not be read, were lost in a restart, or were never
 * written because marking failed after the durable change. The rule: an ended session or a
 * revoked login is refused within the 2 s mark interval whatever the hot state does; a failed
 * check never lets the cache serve; and a retried stop or logout marks again.
 *
 * Hot-state faults are injected into one instance's store (the clock is the test's), so each
 * case is exact; test/faults/redis-loss.test.ts shows the same with a real Redis on two instances.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MARK_RECHECK_MS, sessionEndedMark } from '../../src/server/playback/liveness.js';
import { StoreUnavailableError } from '../../src/server/stores/unavailable.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const redisDown = () => new StoreUnavailableError('Redis', new Error('connect ECONNREFUSED'));

describe('attack: keep playing through hot-state faults', () => {
  let t: TestApp;
  let viewer: { email: string; password: string };

  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 't1');
    viewer = await seedSubscriber(t.app, { titles: ['t1'] });
  });
  afterAll(() => t.close());
  beforeEach(() => vi.restoreAllMocks());

  /** A logged-in viewer playing t1, with the token already verified and cached. */
  async function playing() {
    const tokens = (await login(t.app, viewer.email, viewer.password)).json();
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 't1' } })).json();
    const manifest = started.manifest_url.replace(t.config.publicUrl, '') as string;
    const fetch = () => t.app.inject({ method: 'GET', url: manifest });
    expect((await fetch()).statusCode).toBe(200);
    return { auth, refreshToken: tokens.refresh_token as string, sessionId: started.session_id as string, manifest, fetch };
  }

  it('refuses a stopped session when the marks cannot be read (Redis down)', async () => {
    const stream = await playing();
    await t.services.stores.playbackSessions.end(stream.sessionId, 'stopped', t.clock.now);
    vi.spyOn(t.services.hot, 'isMarked').mockRejectedValue(redisDown());
    t.clock.now += MARK_RECHECK_MS;
    const res = await stream.fetch();
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('token_revoked');
  });

  it('refuses a revoked login whose mark may have been lost (Redis reconnected, perhaps empty)', async () => {
    const stream = await playing();
    // Revoked in the database; the mark is gone with the Redis that restarted.
    const familyId = (await t.services.stores.playbackSessions.get(stream.sessionId))!.familyId;
    await t.services.stores.refreshTokens.revokeFamily(familyId, 'logout', t.clock.now);
    vi.spyOn(t.services.hot, 'generation').mockReturnValue(1);
    t.clock.now += MARK_RECHECK_MS;
    const res = await stream.fetch();
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('token_revoked');
  });

  it('refuses to serve from the cache after a liveness check that failed', async () => {
    const stream = await playing();
    vi.spyOn(t.services.hot, 'isMarked').mockRejectedValue(redisDown());
    vi.spyOn(t.services.stores.playbackSessions, 'get').mockRejectedValue(new StoreUnavailableError('PostgreSQL', new Error('Connection terminated')));
    t.clock.now += MARK_RECHECK_MS;
    expect((await stream.fetch()).statusCode).toBe(503);
    const [, , token, titleId, ...path] = stream.manifest.split('/');
    const request = { token: token!, titleId: titleId!, path: path.join('/').replace(/[^/]+$/, 'seg0.ts'), ip: '127.0.0.1', userAgent: '' };
    expect(t.services.gateway.authorizeCached(request)).toBeUndefined();
  });

  it('answers 503 to a stop whose mark failed, and marks on the retry', async () => {
    const stream = await playing();
    vi.spyOn(t.services.hot, 'mark').mockRejectedValueOnce(redisDown());
    const stop = () => t.app.inject({ method: 'DELETE', url: `/v1/playback/${stream.sessionId}`, headers: stream.auth });
    const first = await stop();
    expect(first.statusCode).toBe(503);
    expect(first.json().code).toBe('unavailable');
    expect(first.headers['retry-after']).toBeDefined();
    expect((await stop()).statusCode).toBe(204);
    expect(await t.services.hot.isMarked(sessionEndedMark(stream.sessionId), t.clock.now)).toBe(true);
  });

  it('answers 503 to a logout whose mark failed, and marks on the retry', async () => {
    const stream = await playing();
    vi.spyOn(t.services.hot, 'mark').mockRejectedValueOnce(redisDown());
    const logout = () => t.app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: stream.refreshToken } });
    expect((await logout()).statusCode).toBe(503);
    expect((await logout()).statusCode).toBe(204);
    const familyId = (await t.services.stores.playbackSessions.get(stream.sessionId))!.familyId;
    expect(await t.services.hot.isMarked(`family-revoked:${familyId}`, t.clock.now)).toBe(true);
  });
});
