/**
 * Threat: an operator deletes a playback-token key (a leak; or it is past its retention), yet
 * tokens it signed keep working because the gateway verified them once and cached the result:
 * the cache must stop a token the moment a fresh verification would refuse it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

describe('attack: a cached playback token outliving the key that signed it', () => {
  let t: TestApp;
  let bearer: { authorization: string };

  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 'movie');
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    bearer = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  });
  afterAll(() => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, '') });

  /** Starts playback, has the gateway verify and cache the token, then retires and deletes its key. */
  async function cachedTokenOfAPrunedKey(): Promise<{ manifestUrl: string; token: string }> {
    const started = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: bearer, payload: { title_id: 'movie' } });
    const manifestUrl: string = started.json().manifest_url;
    expect((await get(manifestUrl)).statusCode).toBe(200);
    await t.services.playbackKeys.rotate();
    expect(await t.services.stores.signingKeys.prune('playback', t.clock.now + 1)).toBe(1);
    const token = /\/v1\/stream\/([^/]+)\//.exec(manifestUrl)![1]!;
    return { manifestUrl, token };
  }

  it('refuses the cached token once the instance has reloaded its keys', async () => {
    const { manifestUrl } = await cachedTokenOfAPrunedKey();
    t.clock.now += 31_000; // every instance reloads its keys within 30 s
    for (const url of [manifestUrl, manifestUrl.replace('master.m3u8', '360p/seg_00000.ts')]) {
      const res = await get(url);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_token');
    }
  });

  it('refuses it on the synchronous fast path as soon as the key ring no longer holds the key', async () => {
    const { token } = await cachedTokenOfAPrunedKey();
    const request = { token, titleId: 'movie', path: '360p/seg_00000.ts', ip: '127.0.0.1', userAgent: '' };
    expect(t.services.gateway.authorizeCached(request)).toBeDefined();
    // An unknown kid makes the ring reload at once (at most once a second): the key is gone.
    t.clock.now += 1_000;
    expect(await t.services.playbackKeys.resolve('pl-unknown')).toBeUndefined();
    expect(t.services.gateway.authorizeCached(request)).toBeUndefined();
    expect(await t.services.gateway.authorize(request)).toMatchObject({ ok: false, code: 'invalid_token' });
  });
});
