/**
 * Edge mode with a real nginx as the edge (TOLLGATE_EDGE=nginx): Tollgate's rewritten
 * manifests send segments and init segments to nginx, signed over the title's directory, and
 * nginx (src/server/edge/nginx-serving-config.ts) serves them from the packaged media
 * directory; keys, licenses and manifests stay on Tollgate. nginx refuses forged, other-title,
 * other-address and expired tokens, and manifests altogether. A watermarked title's segments
 * go to nginx as each session's own variants, under their edge names (v/), the very bytes the
 * gateway would serve that session; the variant folders a/ and b/ and the bare segment are
 * closed there even to a valid token; in DASH each video representation becomes a SegmentList
 * of the session's names. A watermarked title
 * packaged before edge names stays on Tollgate, which chooses each session's variants.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATERMARK_KEY_LABEL } from '../../src/core/drm/policy.js';
import { edgeServerBlock } from '../../src/server/edge/nginx-serving-config.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import { payloadBit } from '../../src/server/watermark/payload.js';
import { freePort } from '../support/browser.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { startTestNginx, type TestNginx } from '../support/nginx.js';
import { packageTestDashTitle, registerSyntheticTitleAs, registerWatermarkedStub } from '../support/titles.js';

const SECRET = 'edge-secret-for-tests';
const MARKED_SEGMENTS = 16;

describe('edge mode through a real nginx', () => {
  let t: TestApp;
  let nginx: TestNginx;
  let auth: { authorization: string };
  let viewer: { email: string; password: string };
  let watermarkKey: Uint8Array;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp({ env: { TOLLGATE_EDGE: 'nginx', TOLLGATE_EDGE_URL: `http://127.0.0.1:${port}/media`, TOLLGATE_EDGE_SECRET: SECRET, TOLLGATE_BIND_IP: 'exact' } });
    await registerSyntheticTitleAs(t.services, 'movie', ['hls', 'dash']);
    await registerSyntheticTitleAs(t.services, 'other', ['hls']);
    await registerWatermarkedStub(t.services, 'marked', MARKED_SEGMENTS);
    await registerWatermarkedStub(t.services, 'older', 3, { edgeNames: false });
    // HLS and DASH by ffmpeg, DASH with a new key every 4 s: two Periods, each its own templates and init segments.
    await packageTestDashTitle(t.services, { titleId: 'packaged', watermark: true, withHls: true, durationSec: 8, rotationSec: 4 });
    const record = (await t.services.stores.titles.contentKeys('marked')).find((k) => k.label === WATERMARK_KEY_LABEL)!;
    watermarkKey = openContentKey(t.services.sealer, record.kid, record.sealed);
    // The synthetic MPD names files it does not write.
    const dash = join(t.config.dataDir, 'media', 'movie', 'dash');
    await writeFile(join(dash, 'v-init.mp4'), 'init');
    await writeFile(join(dash, 'v-7.m4s'), 'seven');
    nginx = await startTestNginx(port, edgeServerBlock({ port, basePath: '/media', mediaRoot: join(t.config.dataDir, 'media'), secret: SECRET, bindAddress: true }));
    viewer = await seedSubscriber(t.app, { titles: ['movie', 'other', 'marked', 'older', 'packaged'] });
    auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  }, 300_000); // ffmpeg packages a watermarked title twice over
  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
  });

  const start = async (titleId: string, protocol = 'hls') => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: titleId, protocol } });
    expect(res.statusCode).toBe(201);
    return res.json() as { manifest_url: string; session_id: string; license_url?: string };
  };
  const tollgate = async (url: string) => t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, '') });
  const mediaPlaylist = async (titleId: string) => {
    const { manifest_url } = await start(titleId);
    expect((await tollgate(manifest_url)).body).toContain('\n360p/index.m3u8\n'); // variants stay on Tollgate
    return (await tollgate(manifest_url.replace('master.m3u8', '360p/index.m3u8'))).body;
  };
  const segmentUris = (playlist: string) => playlist.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

  it('HLS: segment URIs point at nginx, which serves the packaged bytes; the key stays on Tollgate', async () => {
    const playlist = await mediaPlaylist('movie');
    expect(playlist).toMatch(/#EXT-X-KEY:METHOD=AES-128,URI="\.\.\/keys\/[0-9a-f]{32}"/);
    const uris = segmentUris(playlist);
    expect(uris).toHaveLength(2);
    for (const [i, uri] of uris.entries()) {
      expect(uri).toMatch(new RegExp(`^${nginx.url}/media/movie/hls/360p/seg_0000${i}\\.ts\\?md5=[A-Za-z0-9_-]{22}&expires=\\d+$`));
      const res = await fetch(uri);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.alloc(1000, i + 1));
    }
    expect(nginx.accessLog()).toContain(`GET ${uris[0]!.slice(nginx.url.length)} HTTP/1.1 200`);
  });

  it("a watermarked title: each session gets from nginx, segment by segment, the variant the gateway would serve it", async () => {
    const sequences = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { manifest_url, session_id } = await start('marked');
      const playlist = (await tollgate(manifest_url.replace('master.m3u8', '240p/index.m3u8'))).body;
      const uris = segmentUris(playlist);
      expect(uris).toHaveLength(MARKED_SEGMENTS);
      const served: number[] = [];
      for (const [n, uri] of uris.entries()) {
        expect(uri).toMatch(new RegExp(`^${nginx.url}/media/marked/hls/240p/v/[A-Za-z0-9_-]{22}\\.ts\\?md5=[A-Za-z0-9_-]{22}&expires=\\d+$`));
        const res = await fetch(uri);
        expect(res.status, uri).toBe(200);
        const bytes = [...Buffer.from(await res.arrayBuffer())];
        // What gateway mode serves this session for the bare segment, and what its payload says.
        const atGateway = await tollgate(manifest_url.replace('master.m3u8', `240p/seg-${String(n).padStart(5, '0')}.ts`));
        expect(atGateway.statusCode).toBe(200);
        expect(bytes).toEqual([...atGateway.rawPayload]);
        expect(bytes).toEqual([payloadBit(watermarkKey, session_id, n) === 0 ? 0xaa : 0xbb, n]);
        served.push(bytes[0]!);
      }
      sequences.add(served.join(','));
      // The session's scope token opens neither variant folder nor the bare segment.
      const [, query] = uris[0]!.split('?');
      for (const file of ['a/seg-00000.ts', 'b/seg-00000.ts', 'seg-00000.ts', 'a/', 'b/', 'v/']) {
        expect([403, 404], file).toContain((await fetch(`${nginx.url}/media/marked/hls/240p/${file}?${query}`)).status);
      }
    }
    expect(sequences.size).toBeGreaterThan(1);
    expect(nginx.accessLog().filter((line) => line.includes('/media/marked/hls/240p/v/') && line.endsWith(' 200'))).toHaveLength(5 * MARKED_SEGMENTS);
  });

  it('a watermarked title packaged by ffmpeg, HLS: every rendition from nginx as the gateway serves it', async () => {
    const { manifest_url } = await start('packaged');
    const renditions = segmentUris((await tollgate(manifest_url)).body);
    expect(renditions.length).toBeGreaterThanOrEqual(2);
    let fetched = 0;
    for (const rendition of renditions) {
      const uris = segmentUris((await tollgate(manifest_url.replace('master.m3u8', rendition))).body);
      const folder = rendition.slice(0, rendition.lastIndexOf('/'));
      for (const [n, uri] of uris.entries()) {
        expect(uri.startsWith(`${nginx.url}/media/packaged/hls/${folder}/v/`), uri).toBe(true);
        const res = await fetch(uri);
        expect(res.status).toBe(200);
        const atGateway = await tollgate(manifest_url.replace('master.m3u8', `${folder}/seg-${String(n).padStart(5, '0')}.ts`));
        expect(Buffer.from(await res.arrayBuffer()).equals(atGateway.rawPayload), uri).toBe(true);
        fetched++;
      }
    }
    expect(fetched).toBeGreaterThanOrEqual(2 * renditions.length);
  });

  it("the same title, DASH with key rotation: each Period's video representations a SegmentList of the session's own variants at nginx, as the gateway serves them", async () => {
    const { manifest_url } = await start('packaged', 'dash');
    const mpd = (await tollgate(manifest_url)).body;
    const lists = [...mpd.matchAll(/<Representation id="([^"]+)"[\s\S]*?<\/Representation>/g)].filter((m) => m[0].includes('<SegmentList'));
    // The video of both Periods; the audio, not marked, keeps its template on Tollgate.
    expect(lists.map((m) => m[1])).toEqual(['360p', '720p', '360p', '720p']);
    expect(mpd).toMatch(/<SegmentTemplate[^>]*media="audio\/seg-\$Number%05d\$\.m4s"/);
    const lastStart = new Map<string, number>();
    for (const [index, [representation, id]] of lists.entries()) {
      const startNumber = Number(/startNumber="(\d+)"/.exec(representation)![1]);
      expect(startNumber, 'the second Period numbers on').toBeGreaterThan(lastStart.get(id!) ?? 0);
      lastStart.set(id!, startNumber);
      const uris = [...representation.matchAll(/<SegmentURL media="([^"]+)"\/>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
      expect(uris.length).toBeGreaterThanOrEqual(2); // each Period's 4 s of 2 s segments
      for (const [i, uri] of uris.entries()) {
        expect(uri).toMatch(new RegExp(`^${nginx.url}/media/packaged/dash/${id}/v/[A-Za-z0-9_-]{22}\\.m4s\\?md5=`));
        const res = await fetch(uri);
        expect(res.status, uri).toBe(200);
        const atGateway = await tollgate(manifest_url.replace('manifest.mpd', `${id}/seg-${String(startNumber + i).padStart(5, '0')}.m4s`));
        expect(atGateway.statusCode).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(atGateway.rawPayload), uri).toBe(true);
      }
      // Each Period's own init segment (its own key), from Tollgate.
      expect(representation).toMatch(new RegExp(`<Initialization sourceURL="[^"]+/init-${Math.floor(index / 2)}\\.m4s"/>`));
    }
  });

  it('a watermarked title packaged before edge names stays on Tollgate, which serves each session its variants', async () => {
    const { manifest_url } = await start('older');
    const playlist = (await tollgate(manifest_url.replace('master.m3u8', '240p/index.m3u8'))).body;
    const uris = segmentUris(playlist);
    expect(uris).toEqual(['seg-00000.ts', 'seg-00001.ts', 'seg-00002.ts']);
    for (const [n, uri] of uris.entries()) {
      const res = await tollgate(manifest_url.replace('master.m3u8', `240p/${uri}`));
      expect(res.statusCode).toBe(200);
      expect([0xaa, 0xbb]).toContain(res.rawPayload[0]);
      expect(res.rawPayload[1]).toBe(n);
    }
  });

  it('DASH: the SegmentTemplate points at nginx with the token, $Number$ kept; the license URL stays on Tollgate', async () => {
    const { manifest_url, license_url } = await start('movie', 'dash');
    const mpd = (await tollgate(manifest_url)).body;
    expect(mpd).toContain(`<dashif:laurl>${license_url}</dashif:laurl>`);
    const media = /media="([^"]+)"/.exec(mpd)![1]!.replace(/&amp;/g, '&');
    const init = /initialization="([^"]+)"/.exec(mpd)![1]!.replace(/&amp;/g, '&');
    expect(media).toMatch(new RegExp(`^${nginx.url}/media/movie/dash/v-\\$Number\\$\\.m4s\\?md5=`));
    expect(await (await fetch(media.replace('$Number$', '7'))).text()).toBe('seven');
    expect(await (await fetch(init)).text()).toBe('init');
  });

  it('one token per title: it opens no other title, and a forged, stretched or missing one opens nothing', async () => {
    const good = segmentUris(await mediaPlaylist('movie'))[0]!;
    const otherTitle = good.replace('/media/movie/', '/media/other/');
    const [, md5, expires] = /md5=([^&]+)&expires=(\d+)/.exec(good)!;
    const forged = [
      otherTitle,
      good.replace(`expires=${expires}`, `expires=${Number(expires) + 1}`),
      good.replace(`md5=${md5}`, `md5=${md5![0] === 'A' ? 'B' : 'A'}${md5!.slice(1)}`),
      good.split('?')[0]!,
    ];
    for (const uri of forged) expect((await fetch(uri)).status, uri).toBe(403);
  });

  it('manifests are never served by the edge, even with a valid token', async () => {
    const good = segmentUris(await mediaPlaylist('movie'))[0]!;
    expect((await fetch(good.replace('seg_00000.ts', 'index.m3u8'))).status).toBe(403);
    expect((await fetch(good.replace('360p/seg_00000.ts', 'master.m3u8'))).status).toBe(403);
  });

  it('the token expires with the session and is bound to the address that started it', async () => {
    const good = segmentUris(await mediaPlaylist('movie'))[0]!;
    // The binding: nginx hashes $remote_addr; from 127.0.0.2 the same link is refused.
    const { request } = await import('node:http');
    const fromOther = await new Promise<number>((resolve, reject) =>
      request(good, { localAddress: '127.0.0.2' }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .once('error', reject)
        .end(),
    );
    expect(fromOther).toBe(403);
    const expires = Number(/expires=(\d+)/.exec(good)![1]);
    const session = await t.services.stores.playbackSessions.get((await start('movie')).session_id);
    expect(expires).toBeLessThanOrEqual(Math.floor(session!.expiresAt / 1000));
    // A session that ended in the past (the clock moved back, and a login then) gets links nginx calls expired.
    t.clock.now = Date.now() - 7 * 3600_000;
    const current = auth;
    try {
      auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
      const stale = segmentUris(await mediaPlaylist('movie'))[0]!;
      expect((await fetch(stale)).status).toBe(410);
    } finally {
      t.clock.now = Date.now();
      auth = current;
    }
  });
});
