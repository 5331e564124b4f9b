/**
 * Edge mode for watermarked titles (docs/WATERMARK.md). The edge token opens the whole title,
 * so a viewer who got both variants of a segment from the edge could average the mark away or
 * forge another session's sequence. Each way around is tried:
 * - reading the other variant's edge name off anything the session receives (the playback
 *   grant with its WM token, every HLS playlist or DASH MPD, the edge links and their tokens),
 *   with every edge kind (nginx, Akamai, CloudFront, Cloudflare): it is in none of them, for
 *   any segment;
 * - deriving it: names are keyed per title (two titles' names of the same rendition, segment
 *   and variant differ), the two names of a segment differ, and nothing in them tells A from B;
 * - opening the variant folders or the bare segment at a real nginx with the session's valid
 *   token however the path is spelled (percent-encoded, dot segments, doubled slashes), or
 *   listing a folder: refused;
 * - asking the gateway itself for a v/, a/ or b/ file: 404.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATERMARK_KEY_LABEL } from '../../src/core/drm/policy.js';
import { variantName, variantNameKey } from '../../src/media/watermark/variant-names.js';
import type { Services } from '../../src/server/compose.js';
import { edgeServerBlock } from '../../src/server/edge/nginx-serving-config.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import { payloadBit } from '../../src/server/watermark/payload.js';
import { freePort } from '../support/browser.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { startTestNginx, type TestNginx } from '../support/nginx.js';
import { registerWatermarkedStub } from '../support/titles.js';

const SEGMENTS = 32;
const SESSIONS = 3;
const SECRET = 'edge-secret-for-tests';
const seg = (n: number) => `seg-${String(n).padStart(5, '0')}.ts`;

async function nameKeyOf(services: Services, titleId: string): Promise<Uint8Array> {
  const record = (await services.stores.titles.contentKeys(titleId)).find((k) => k.label === WATERMARK_KEY_LABEL)!;
  return variantNameKey(openContentKey(services.sealer, record.kid, record.sealed));
}

interface Session {
  readonly id: string;
  readonly manifest: string;
  /** Everything the session was sent: the grant and its manifests. */
  readonly received: string;
  /** HLS: the media playlist's segment URIs; DASH: the MPD's SegmentURLs. */
  readonly segmentUris: string[];
}

/** An app in edge mode with two watermarked titles (HLS and DASH), and SESSIONS sessions of `film` in each protocol. */
async function edgeApp(env: Record<string, string>): Promise<{ t: TestApp; sessions: Session[]; dashSessions: Session[] }> {
  const t = await startTestApp({ env: { TOLLGATE_WM_TOKEN_KEY: randomBytes(32).toString('base64'), ...env } });
  await registerWatermarkedStub(t.services, 'film', SEGMENTS, { dash: true });
  await registerWatermarkedStub(t.services, 'other', SEGMENTS, { dash: true });
  const viewer = await seedSubscriber(t.app, { titles: ['film', 'other'] });
  const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  const get = (url: string) => t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, '') });
  const sessions: Session[] = [];
  const dashSessions: Session[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const grant = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film', protocol: 'dash' } });
    expect(grant.statusCode).toBe(201);
    const { manifest_url, session_id } = grant.json() as { manifest_url: string; session_id: string };
    const mpd = await get(manifest_url);
    expect(mpd.statusCode).toBe(200);
    const segmentUris = [...mpd.body.matchAll(/<SegmentURL media="([^"]+)"\/>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    dashSessions.push({ id: session_id, manifest: manifest_url, received: [grant.body, mpd.body].join('\n'), segmentUris });
  }
  for (let i = 0; i < SESSIONS; i++) {
    const grant = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film' } });
    expect(grant.statusCode).toBe(201);
    const { manifest_url, session_id, wm_token } = grant.json() as { manifest_url: string; session_id: string; wm_token: string };
    expect(wm_token).toBeTruthy();
    const master = await get(manifest_url);
    const media = await get(manifest_url.replace('master.m3u8', '240p/index.m3u8'));
    expect(media.statusCode).toBe(200);
    const segmentUris = media.body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    sessions.push({ id: session_id, manifest: manifest_url, received: [grant.body, master.body, media.body].join('\n'), segmentUris });
  }
  return { t, sessions, dashSessions };
}

const cloudFrontKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const PROVIDERS: Record<string, (dir: string) => Promise<Record<string, string>>> = {
  nginx: async () => ({ TOLLGATE_EDGE_SECRET: SECRET }),
  akamai: async () => ({ TOLLGATE_EDGE_KEY: randomBytes(16).toString('hex') }),
  cloudflare: async () => ({ TOLLGATE_EDGE_SECRET: SECRET }),
  cloudfront: async (dir) => {
    const file = join(dir, 'cloudfront.pem');
    await writeFile(file, cloudFrontKey);
    return { TOLLGATE_EDGE_KEY_PAIR_ID: 'K2TESTPAIR', TOLLGATE_EDGE_PRIVATE_KEY_FILE: file };
  },
};

describe.each(Object.keys(PROVIDERS))('watermarked title at a %s edge', (provider) => {
  const EDGE = 'https://edge.example.com/media';
  let t: TestApp;
  let dir: string;
  let sessions: Session[];
  let dashSessions: Session[];
  let filmKey: Uint8Array;
  let otherKey: Uint8Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-wm-edge-'));
    ({ t, sessions, dashSessions } = await edgeApp({ TOLLGATE_EDGE: provider, TOLLGATE_EDGE_URL: EDGE, ...(await PROVIDERS[provider]!(dir)) }));
    filmKey = await nameKeyOf(t.services, 'film');
    otherKey = await nameKeyOf(t.services, 'other');
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("links each session's own variant only, and the other variant's name is in nothing the session receives", async () => {
    const record = (await t.services.stores.titles.contentKeys('film')).find((k) => k.label === WATERMARK_KEY_LABEL)!;
    const watermarkKey = openContentKey(t.services.sealer, record.kid, record.sealed);
    for (const s of sessions) {
      expect(s.segmentUris).toHaveLength(SEGMENTS);
      for (let n = 0; n < SEGMENTS; n++) {
        const own = payloadBit(watermarkKey, s.id, n) === 0 ? 'a' : 'b';
        const other = own === 'a' ? 'b' : 'a';
        expect(s.segmentUris[n]!.startsWith(`${EDGE}/film/hls/240p/v/${variantName(filmKey, 'hls/240p', n, own)}.ts?`), `${s.id} ${n}`).toBe(true);
        expect(s.received).not.toContain(variantName(filmKey, 'hls/240p', n, other));
      }
      // Nor a variant folder or a bare segment name.
      expect(s.received).not.toMatch(/\/[ab]\/seg-|seg-\d+\.ts/);
    }
    for (const s of dashSessions) {
      expect(s.segmentUris).toHaveLength(SEGMENTS);
      for (let n = 1; n <= SEGMENTS; n++) {
        const own = payloadBit(watermarkKey, s.id, n) === 0 ? 'a' : 'b';
        const other = own === 'a' ? 'b' : 'a';
        expect(s.segmentUris[n - 1]!.startsWith(`${EDGE}/film/dash/360p/v/${variantName(filmKey, 'dash/360p', n, own)}.m4s?`), `${s.id} ${n}`).toBe(true);
        expect(s.received).not.toContain(variantName(filmKey, 'dash/360p', n, other));
      }
      // No template left to fill in with a bare or variant-folder name.
      expect(s.received).not.toMatch(/\/[ab]\/seg-|\$Number/);
    }
  });

  it('a/ b/ and v/ are never served by the gateway, in path or query mode', async () => {
    const s = sessions[0]!;
    const token = new URL(s.manifest).pathname.split('/')[3]!;
    const own = new URL(s.segmentUris[0]!).pathname.split('/').pop()!;
    for (const path of [`v/${own}`, `a/${seg(0)}`, `b/${seg(0)}`]) {
      const inPath = await t.app.inject({ method: 'GET', url: new URL(s.manifest).pathname.replace('master.m3u8', `240p/${path}`) });
      expect(inPath.statusCode, path).toBe(404);
      const inQuery = await t.app.inject({ method: 'GET', url: `/v1/media/film/hls/240p/${path}?tg=${token}` });
      expect(inQuery.statusCode, path).toBe(404);
    }
  });

  it('names are keyed per title, differ between variants, and do not tell A from B', async () => {
    let aFirst = 0;
    const firstChars = new Set<string>();
    for (let n = 0; n < SEGMENTS; n++) {
      const [a, b] = [variantName(filmKey, 'hls/240p', n, 'a'), variantName(filmKey, 'hls/240p', n, 'b')];
      for (const name of [a, b]) {
        expect(name).toMatch(/^[A-Za-z0-9_-]{22}$/);
        firstChars.add(name[0]!);
      }
      expect(a).not.toBe(b);
      expect(variantName(otherKey, 'hls/240p', n, 'a')).not.toBe(a);
      expect(variantName(otherKey, 'hls/240p', n, 'b')).not.toBe(b);
      if (a < b) aFirst++;
    }
    // No order or alphabet marks the A name: both come first about as often, from all over the alphabet.
    expect(aFirst).toBeGreaterThan(SEGMENTS / 8);
    expect(aFirst).toBeLessThan(SEGMENTS - SEGMENTS / 8);
    expect(firstChars.size).toBeGreaterThan(16);
  });
});

describe('watermarked title at a real nginx edge: the variant folders stay closed to a valid token', () => {
  let t: TestApp;
  let nginx: TestNginx;
  let sessions: Session[];
  let dashSessions: Session[];

  beforeAll(async () => {
    const port = await freePort();
    ({ t, sessions, dashSessions } = await edgeApp({ TOLLGATE_EDGE: 'nginx', TOLLGATE_EDGE_URL: `http://127.0.0.1:${port}/media`, TOLLGATE_EDGE_SECRET: SECRET }));
    nginx = await startTestNginx(port, edgeServerBlock({ port, basePath: '/media', mediaRoot: join(t.config.dataDir, 'media'), secret: SECRET, bindAddress: false }));
  });
  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
  });

  /** A GET with the path sent exactly as written (fetch would resolve dot segments first). */
  const rawGet = (path: string) =>
    new Promise<number>((resolve, reject) =>
      request(`${nginx.url}/`, { path }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .once('error', reject)
        .end(),
    );

  it("serves the session's own names, and no spelling of a/, b/, the bare segment or a folder listing", async () => {
    const s = sessions[0]!;
    const [path, query] = s.segmentUris[0]!.slice(nginx.url.length).split('?') as [string, string];
    expect(await rawGet(`${path}?${query}`)).toBe(200);
    const dash = dashSessions[0]!.segmentUris[0]!.slice(nginx.url.length);
    expect(await rawGet(dash)).toBe(200);
    const rendition = '/media/film/hls/240p';
    const tries = [
      `${rendition}/a/${seg(0)}`,
      `${rendition}/b/${seg(0)}`,
      `${rendition}/%61/${seg(0)}`,
      `${rendition}/%62/${seg(0)}`,
      `${rendition}/./a/${seg(0)}`,
      `${rendition}/v/../b/${seg(0)}`,
      `${rendition}//a/${seg(0)}`,
      `/media/film/hls//240p/b/${seg(0)}`,
      `/media//film/hls/240p/a/${seg(0)}`,
      `${rendition}/a//${seg(0)}`,
      `${rendition}%2Fb%2F${seg(0)}`,
      `${rendition}/a%2F${seg(0)}`,
      `/media/film/hls%2F240p%2Fa%2F${seg(0)}`,
      `/media/other/../film/hls/240p/b/${seg(0)}`,
      `${rendition}/${seg(0)}`,
      `${rendition}/a/`,
      `${rendition}/b/`,
      `${rendition}/v/`,
      `${rendition}/`,
      `/media/film/dash/360p/a/seg-00001.m4s`,
      `/media/film/dash/360p/b/seg-00001.m4s`,
      `/media/film/dash/360p/./b/seg-00001.m4s`,
      `/media/film/dash/360p/%61/seg-00001.m4s`,
      `/media/film/dash/360p/seg-00001.m4s`,
      `/media/film/dash/360p/v/`,
    ];
    for (const attempt of tries) {
      const status = await rawGet(`${attempt}?${query}`);
      expect([400, 403, 404], attempt).toContain(status);
    }
  });
});
