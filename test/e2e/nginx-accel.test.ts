/**
 * X-Accel-Redirect mode (TOLLGATE_SEND_FILE=x-accel) behind a real nginx: nginx proxies every
 * gateway request to Tollgate, which decides it (fast path included) and names the file; nginx
 * sends it from its internal location. Granted requests return the file's bytes (ranges too),
 * refusals pass through as Tollgate's problem+json, and the internal location cannot be
 * requested from outside. nginx adds the origin secret, so Tollgate refuses anyone else.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accelServerBlock } from '../../src/server/edge/nginx-serving-config.js';
import { freePort } from '../support/browser.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { startTestNginx, type TestNginx } from '../support/nginx.js';
import { registerSyntheticTitle } from '../support/titles.js';

const ORIGIN_SECRET = 'origin-secret-0123456789';

describe('X-Accel-Redirect: Tollgate decides, nginx sends', () => {
  let t: TestApp;
  let nginx: TestNginx;
  let tollgateUrl: string;
  let started: { manifest_url: string; session_id: string };
  let auth: { authorization: string };

  beforeAll(async () => {
    const [nginxPort, tollgatePort] = [await freePort(), await freePort()];
    t = await startTestApp({
      env: {
        TOLLGATE_SEND_FILE: 'x-accel',
        TOLLGATE_PUBLIC_URL: `http://127.0.0.1:${nginxPort}`,
        TOLLGATE_TRUST_PROXY: '127.0.0.1',
        TOLLGATE_ORIGIN_SECRET: ORIGIN_SECRET,
      },
    });
    await registerSyntheticTitle(t.services, 'movie');
    await t.app.listen({ host: '127.0.0.1', port: tollgatePort });
    tollgateUrl = `http://127.0.0.1:${tollgatePort}`;
    const mediaRoot = join(t.config.dataDir, 'media');
    nginx = await startTestNginx(
      nginxPort,
      accelServerBlock({ port: nginxPort, upstream: `127.0.0.1:${tollgatePort}`, prefix: t.config.serving.sendFilePrefix, mediaRoot, originSecret: ORIGIN_SECRET }),
    );
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json();
  });
  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
  });

  const segment = (name = 'seg_00001.ts') => started.manifest_url.replace('master.m3u8', `360p/${name}`);
  const fastResponses = async () => Number((await t.app.inject({ method: 'GET', url: '/metrics' })).body.match(/tollgate_gateway_fast_responses_total (\d+)/)?.[1] ?? 0);

  it('a granted segment: Tollgate answers with X-Accel-Redirect and no body; through nginx, the bytes', async () => {
    const direct = await fetch(segment().replace(nginx.url, tollgateUrl), { headers: { 'x-tollgate-origin-secret': ORIGIN_SECRET } });
    expect(direct.status).toBe(200);
    expect(direct.headers.get('x-accel-redirect')).toBe('/internal/media/movie/hls/360p/seg_00001.ts');
    expect((await direct.arrayBuffer()).byteLength).toBe(0);

    const file = await readFile(join(t.config.dataDir, 'media', 'movie', 'hls', '360p', 'seg_00001.ts'));
    const before = await fastResponses();
    for (let i = 0; i < 2; i++) {
      const res = await fetch(segment());
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/mp2t');
      expect(res.headers.get('x-accel-redirect')).toBeNull();
      expect(Buffer.from(await res.arrayBuffer())).toEqual(file);
    }
    expect(await fastResponses()).toBeGreaterThan(before); // the second went the fast path
    const range = await fetch(segment(), { headers: { range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer())).toEqual(file.subarray(10, 20));
  });

  it('manifests and keys are answered by Tollgate itself, through nginx', async () => {
    const manifest = await fetch(started.manifest_url);
    expect(manifest.status).toBe(200);
    expect(await manifest.text()).toContain('360p/index.m3u8');
    const playlist = await (await fetch(segment('index.m3u8'))).text();
    const keyUri = /URI="([^"]+)"/.exec(playlist)![1]!;
    const key = await fetch(new URL(keyUri, segment('index.m3u8')));
    expect(key.status).toBe(200);
    expect((await key.arrayBuffer()).byteLength).toBe(16);
  });

  it('refusals pass through nginx as problem+json: a forged token, a missing file', async () => {
    const forged = await fetch(segment().replace('/v1/stream/tgp1.', '/v1/stream/tgp1.x'));
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await forged.json()) as { code: string }).code).toBe('invalid_token');
    const missing = await fetch(segment('seg_00009.ts'));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('not_found');
  });

  it('the internal location cannot be requested from outside', async () => {
    // nginx answers a request for an internal location as if it did not exist.
    const res = await fetch(`${nginx.url}/internal/media/movie/hls/360p/seg_00001.ts`);
    expect(res.status).toBe(404);
    expect((await res.arrayBuffer()).byteLength).not.toBe(1000);
  });

  it('a stopped session stops at nginx too (its next segment is refused)', async () => {
    expect((await fetch(segment())).status).toBe(200);
    await t.app.inject({ method: 'DELETE', url: `/v1/playback/${started.session_id}`, headers: auth });
    t.clock.now += 2_000;
    const refused = await fetch(segment());
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('token_revoked');
  });
});
