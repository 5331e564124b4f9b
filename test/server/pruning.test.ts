/** Ended playback sessions and ended logins are deleted after the retention; live ones stay. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DurableStores } from '../../src/core/ports.js';
import { Pruner } from '../../src/server/stores/pruner.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const RETENTION_SEC = 3600;
const sidOf = (accessToken: string): string => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).sid;

describe('pruning ended sessions and logins', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_PRUNE_RETENTION: String(RETENTION_SEC) } });
    await registerSyntheticTitle(t.services, 'movie');
  });
  afterAll(() => t.close());

  it('deletes sessions and logins ended longer than the retention ago, and keeps live ones working', async () => {
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    const loggedOut = (await login(t.app, viewer.email, viewer.password)).json();
    await t.app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: loggedOut.refresh_token } });
    let live = (await login(t.app, viewer.email, viewer.password)).json();
    const bearer = () => ({ authorization: `Bearer ${live.access_token}` });
    const refresh = (refreshToken: string) => t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } });
    const start = async () => (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: bearer(), payload: { title_id: 'movie' } })).json();
    const stopped = await start();
    await t.app.inject({ method: 'DELETE', url: `/v1/playback/${stopped.session_id}`, headers: bearer() });

    t.clock.now += RETENTION_SEC * 1000 - 1_000; // not yet past the retention
    live = (await refresh(live.refresh_token)).json();
    const watching = await start();
    expect(await t.services.pruner.runOnce()).toEqual({ playbackSessions: 0, refreshFamilies: 0, rentals: 0, events: 0 });

    t.clock.now += 2_000;
    expect(await t.services.pruner.runOnce()).toEqual({ playbackSessions: 1, refreshFamilies: 1, rentals: 0, events: 0 });
    const { stores } = t.services;
    expect(await stores.refreshTokens.getFamily(sidOf(loggedOut.access_token))).toBeUndefined();
    expect(await stores.playbackSessions.get(stopped.session_id)).toBeUndefined();
    expect(await stores.refreshTokens.getFamily(sidOf(live.access_token))).toBeDefined();
    expect(await stores.playbackSessions.get(watching.session_id)).toBeDefined();
    expect((await t.app.inject({ method: 'GET', url: watching.manifest_url.replace(t.config.publicUrl, '') })).statusCode).toBe(200);
    expect((await refresh(live.refresh_token)).statusCode).toBe(200);
    // The pruned login's refresh token is unknown now, and still gets nothing.
    expect((await refresh(loggedOut.refresh_token)).statusCode).toBe(401);
  });
});

describe('the pruning timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prunes once per interval until stopped, and reports failures without stopping', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let calls = 0;
    const prune = async () => {
      calls += 1;
      if (calls === 2) throw new Error('database away');
      return 1;
    };
    const stores = { playbackSessions: { prune }, refreshTokens: { prune: async () => 0 }, rentals: { prune: async () => 0 }, events: { prune: async () => 0 } } as unknown as DurableStores;
    const pruner = new Pruner(stores, { retentionMs: 0, eventRetentionMs: 0, intervalMs: 300_000, now: () => 0 });
    const results: unknown[] = [];
    const errors: unknown[] = [];
    pruner.start((r) => results.push(r), (e) => errors.push(e));
    await vi.advanceTimersByTimeAsync(299_999);
    expect(calls).toBe(0);
    await vi.advanceTimersByTimeAsync(3 * 300_000);
    expect(calls).toBe(3);
    expect(results).toHaveLength(2);
    expect(errors).toHaveLength(1);
    pruner.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toBe(3);
  });
});
