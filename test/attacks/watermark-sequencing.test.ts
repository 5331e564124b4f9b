/**
 * Watermark sequencing (issue 13). Threats, each tried on the full path and the fast path, in
 * path, query and cookie token modes:
 * - a session gets one fixed variant sequence from its payload: for segment n, A or B by its
 *   bit n, in every mode and on every repeat (a viewer cannot re-ask until the other comes),
 *   marked private so that no shared cache hands one session's variant to another;
 * - a viewer asks for the variant folders directly (both variants would let them average the
 *   mark away or frame another session): 404;
 * - sessions compare manifests to find the variants: the playlists are the same for all;
 * - a viewer asks the AES-128 key route for the title's watermark key: 404, like any non-HLS key;
 * - a CDN edge sequencing from the session's WM token (ETSI TS 104 002) would serve a variant
 *   other than the gateway's: for every segment of every session, it picks the same one.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATERMARK_KEY_LABEL } from '../../src/core/drm/policy.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import { verifyWmToken, verifyWmTokenAsync, wmVariant } from '../../src/core/watermark/wm-token.js';
import { webCryptoCdnCrypto } from '../../src/core/cdn/webcrypto.js';
import { nodeCdnCrypto } from '../../src/server/edge/cdn-crypto.js';
import { payloadBit } from '../../src/server/watermark/payload.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerWatermarkedStub } from '../support/titles.js';

const SEGMENTS = 24;
const SESSIONS = 8;
const WM_TOKEN_KEY = randomBytes(32);

describe('watermark sequencing at the gateway', () => {
  let t: TestApp;
  let base: string;
  let watermarkKey: Uint8Array;
  const sessions: { id: string; manifest: string; token: string; wmToken: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_WM_TOKEN_KEY: WM_TOKEN_KEY.toString('base64') } });
    await registerWatermarkedStub(t.services, 'film', SEGMENTS);
    const record = (await t.services.stores.titles.contentKeys('film')).find((k) => k.label === WATERMARK_KEY_LABEL)!;
    watermarkKey = openContentKey(t.services.sealer, record.kid, record.sealed);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const viewer = await seedSubscriber(t.app, { titles: ['film'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    for (let i = 0; i < SESSIONS; i++) {
      const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film' } })).json();
      const manifest = started.manifest_url.replace(t.config.publicUrl, base) as string;
      sessions.push({ id: started.session_id, manifest, token: new URL(manifest).pathname.split('/')[3]!, wmToken: started.wm_token });
    }
  });
  afterAll(() => t.close());

  const expected = (sid: string, n: number) => (payloadBit(watermarkKey, sid, n) === 0 ? 0xaa : 0xbb);
  const segmentName = (n: number) => `240p/seg-${String(n).padStart(5, '0')}.ts`;
  const fastResponses = async () => Number((await t.app.inject({ method: 'GET', url: '/metrics' })).body.match(/tollgate_gateway_fast_responses_total (\d+)/)?.[1] ?? 0);
  const fetchBytes = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    expect(res.status, url).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, max-age=86400, immutable');
    return [...Buffer.from(await res.arrayBuffer())];
  };

  it('serves each session, segment by segment, the variant of its payload bit, the fast path too', async () => {
    const sequences = new Set<string>();
    for (const s of sessions) {
      const variants: number[] = [];
      for (let n = 0; n < SEGMENTS; n++) {
        const url = s.manifest.replace('master.m3u8', segmentName(n));
        expect(await fetchBytes(url)).toEqual([expected(s.id, n), n]); // full path
        const fast = await fastResponses();
        expect(await fetchBytes(url)).toEqual([expected(s.id, n), n]); // fast path
        expect(await fastResponses()).toBe(fast + 1);
        variants.push(expected(s.id, n));
      }
      sequences.add(variants.join(','));
    }
    expect(sequences.size).toBe(SESSIONS);
  });

  it('a CDN edge reading the WM token picks exactly the variant the gateway serves, segment by segment', async () => {
    const nowSec = Math.floor(t.clock.now / 1000);
    for (const s of sessions) {
      const pattern = verifyWmToken(s.wmToken, WM_TOKEN_KEY, nowSec, nodeCdnCrypto);
      if (!pattern.ok) throw new Error(pattern.detail);
      const atEdge = await verifyWmTokenAsync(s.wmToken, WM_TOKEN_KEY, nowSec, webCryptoCdnCrypto()); // as an edge worker runs it
      expect(atEdge).toEqual(pattern);
      for (let n = 0; n < SEGMENTS; n++) {
        const [served] = await fetchBytes(s.manifest.replace('master.m3u8', segmentName(n)));
        expect(wmVariant(pattern.value, n), `${s.id} segment ${n}`).toBe(served === 0xaa ? 'a' : 'b');
      }
    }
  });

  it('serves the same variants with the token in the query or in the cookie', async () => {
    for (const s of sessions.slice(0, 3)) {
      for (let n = 0; n < SEGMENTS; n += 5) {
        const url = `${base}/v1/media/film/hls/${segmentName(n)}`;
        expect(await fetchBytes(`${url}?tg=${s.token}`)).toEqual([expected(s.id, n), n]);
        expect(await fetchBytes(url, { cookie: `tg=${s.token}` })).toEqual([expected(s.id, n), n]);
      }
    }
  });

  it('never serves a variant folder directly, in any mode, on either path', async () => {
    const s = sessions[0]!;
    for (const v of ['a', 'b']) {
      const path = `240p/${v}/seg-00001.ts`;
      for (let i = 0; i < 2; i++) expect((await fetch(s.manifest.replace('master.m3u8', path))).status).toBe(404);
      expect((await fetch(`${base}/v1/media/film/hls/${path}?tg=${s.token}`)).status).toBe(404);
      expect((await fetch(`${base}/v1/media/film/hls/${path}`, { headers: { cookie: `tg=${s.token}` } })).status).toBe(404);
    }
  });

  it('never hands out the watermark key through the AES-128 key route', async () => {
    const record = (await t.services.stores.titles.contentKeys('film')).find((k) => k.label === 'watermark')!;
    const s = sessions[0]!;
    const res = await fetch(s.manifest.replace('master.m3u8', `keys/${record.kid}`));
    expect(res.status).toBe(404);
    const hls = (await t.services.stores.titles.contentKeys('film')).find((k) => k.label === 'hls')!;
    expect((await fetch(s.manifest.replace('master.m3u8', `keys/${hls.kid}`))).status).toBe(200);
  });

  it('gives every session the same playlists', async () => {
    const playlists = await Promise.all(sessions.map(async (s) => (await fetch(s.manifest.replace('master.m3u8', '240p/index.m3u8'))).text()));
    expect(new Set(playlists).size).toBe(1);
    expect(playlists[0]).toContain('\nseg-00000.ts\n');
  });
});
