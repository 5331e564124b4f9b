/**
 * Threats to the decision-event trail: an attacker flooding the event store through denials
 * (junk playback tokens, junk refresh tokens, wrong admin tokens), and secrets copied into the
 * trail (passwords, access and refresh tokens, playback tokens in the path, the query or a
 * cookie, the admin token) where every operator and SIEM reads them.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

describe('attacks on the event trail', () => {
  let t: TestApp;
  const siem = join(tmpdir(), `tollgate-trail-${process.pid}-${Date.now()}.ndjson`);
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_EVENTS_SIEM: siem, TOLLGATE_TOKEN_MODE: 'query' } });
    await registerSyntheticTitle(t.services, 'movie');
  });
  afterAll(async () => {
    await t.close();
    await rm(siem, { force: true });
  });

  it('no password, access, refresh, playback or admin token reaches the store or the SIEM stream', async () => {
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    const pair = (await login(t.app, viewer.email, viewer.password)).json();
    const refreshed = (await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: pair.refresh_token } })).json();
    await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: 'the wrong secret 123' } });
    const auth = { authorization: `Bearer ${refreshed.access_token}` };
    const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json();
    const manifest = started.manifest_url.replace(t.config.publicUrl, '');
    const token = new URL(started.manifest_url).searchParams.get('tg')!;
    expect((await t.app.inject({ method: 'GET', url: manifest })).statusCode).toBe(200);
    await t.app.inject({ method: 'GET', url: '/v1/media/movie/hls/master.m3u8', headers: { cookie: `tg=${token}` } });
    await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await t.services.events.flush();
    const stored = JSON.stringify(await t.services.stores.events.query({ limit: 10_000 }));
    const streamed = await readFile(siem, 'utf8');
    expect(stored).toContain(viewer.userId);
    for (const secret of [viewer.password, 'the wrong secret 123', pair.access_token, pair.refresh_token, refreshed.access_token, refreshed.refresh_token, token, ADMIN_TOKEN, 'tgp1.']) {
      expect(stored).not.toContain(secret);
      expect(streamed).not.toContain(secret);
    }
  });

  it('a flood of denials that name no one becomes one event per kind, code and address', async () => {
    await t.services.events.flush();
    const last = (await t.services.stores.events.query({ limit: 1 }))[0]?.id ?? '';
    for (let i = 0; i < 50; i++) {
      await t.app.inject({ method: 'GET', url: `/v1/stream/tgp1.junk${i}.x/movie/hls/360p/seg_00001.ts` });
      await t.app.inject({ method: 'GET', url: `/v1/media/movie/hls/master.m3u8?tg=tgp1.junk${i}.y` });
      await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: `junk-${i}` } });
      await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: { authorization: `Bearer wrong-admin-token-${i}-xxxxxxxx` } });
    }
    await t.services.events.flush();
    const denied = (await t.services.stores.events.query({ decision: 'deny', limit: 1_000 })).filter((e) => e.id > last);
    // invalid_token per gateway kind and for refresh, forbidden then rate_limited for admin.
    expect(denied.length).toBeLessThanOrEqual(6);
    expect(denied.reduce((sum, e) => sum + (e.count ?? 1), 0)).toBe(200);
  });
});
