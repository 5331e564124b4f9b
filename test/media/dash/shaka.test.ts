/**
 * The packaged DASH title in a real player: shaka-player in headless Chromium, with Chrome's
 * Clear Key CDM, against a tiny origin that serves the published folder (its MPD's license
 * placeholder rewritten by the core DASH rewriter, as the gateway does) and a W3C Clear Key
 * license endpoint that, like Tollgate's policy for a software CDM, gives SD and audio keys only.
 *
 * It must play past 2 s with decoded frames, only ever present SD pictures (HD's key never
 * comes, so shaka drops the HD representation instead of failing), and make exactly one
 * license request per Period — one in all without rotation, one per Period with it.
 */
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteDashMpd } from '../../../src/core/manifest/dash.js';
import { launchChromium } from '../../support/browser.js';
import { type Packaged, makeClip, packageClip, removeAll } from './support.js';

const SHAKA = join(process.cwd(), 'node_modules/shaka-player/dist/shaka-player.compiled.js');
const PAGE = `<!doctype html><meta charset="utf-8"><video id="video" muted playsinline></video><script src="/shaka.js"></script>`;

interface Origin {
  readonly url: string;
  /** KIDs (hex) of each license request, in order. */
  readonly requests: string[][];
  /** KIDs (hex) handed out. */
  readonly granted: Set<string>;
  close(): Promise<void>;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const hexOf = (kid: string) => Buffer.from(kid, 'base64url').toString('hex');

/** Serves the page, shaka, the title at /title/ and a Clear Key license endpoint that answers only SD and audio KIDs. */
async function startOrigin(p: Packaged): Promise<Origin> {
  const requests: string[][] = [];
  const granted = new Set<string>();
  const allowed = new Map([...p.keys.byKid].filter(([, k]) => /^(sd|audio)(@|$)/.test(k.label)).map(([kid, k]) => [kid, k.key]));
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === '/license') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      // Chrome's Clear Key CDM sends {"kids":[b64url…],"type":"temporary"} (W3C EME §9.1.3).
      const { kids } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kids: string[] };
      requests.push(kids.map(hexOf));
      const keys = kids.flatMap((kid) => {
        const key = allowed.get(hexOf(kid));
        if (!key) return [];
        granted.add(hexOf(kid));
        return [{ kty: 'oct', kid, k: b64url(key) }];
      });
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys, type: 'temporary' }));
    }
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (path === '/shaka.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(SHAKA));
    const file = normalize(decodeURIComponent(path)).replace(/^\/title\//, '');
    try {
      const body = await readFile(join(p.outDir, file));
      if (!file.endsWith('.mpd')) return res.writeHead(200, { 'content-type': 'video/mp4' }).end(body);
      const mpd = rewriteDashMpd(body.toString('utf8'), (uri, kind) => (kind === 'license' ? `${url}/license` : uri));
      return res.writeHead(200, { 'content-type': 'application/dash+xml' }).end(mpd);
    } catch {
      return res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    requests,
    granted,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface PlayerState {
  currentTime: number;
  ended: boolean;
  frames: number;
  /** Height of every frame presented, from requestVideoFrameCallback. */
  shownHeights: number[];
  /** Heights of the variants shaka still considers playable. */
  playableHeights: number[];
  errors: string[];
}

/** Loads the MPD in shaka and starts playback; state is read with STATE. */
const START = (mpdUrl: string) => `(async () => {
  shaka.polyfill.installAll();
  const video = document.getElementById('video');
  window.shownHeights = [];
  window.errors = [];
  const onFrame = (_now, meta) => { shownHeights.push(meta.height); video.requestVideoFrameCallback(onFrame); };
  video.requestVideoFrameCallback(onFrame);
  const player = new shaka.Player();
  window.player = player;
  player.addEventListener('error', (e) => errors.push(String(e.detail.code) + ' ' + JSON.stringify(e.detail.data)));
  await player.attach(video);
  // Start by preferring HD, so the test shows shaka dropping it on the withheld key, not never trying it.
  player.configure({ abr: { defaultBandwidthEstimate: 50e6 } });
  try {
    await player.load(${JSON.stringify(mpdUrl)});
    await video.play();
  } catch (e) {
    errors.push(String(e.code ?? e.message) + ' ' + JSON.stringify(e.data ?? null));
  }
})()`;

const STATE = `(() => {
  const video = document.getElementById('video');
  return {
    currentTime: video.currentTime,
    ended: video.ended,
    frames: video.getVideoPlaybackQuality().totalVideoFrames,
    shownHeights: [...new Set(shownHeights)],
    playableHeights: [...new Set(player.getVariantTracks().map((t) => t.height))],
    errors,
  };
})()`;

let browser: Browser;
let scratch: string;
let clip: string;

beforeAll(async () => {
  browser = await launchChromium();
  scratch = await mkdtemp(join(tmpdir(), 'tollgate-dash-shaka-'));
  clip = await makeClip(scratch);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe.each([
  { name: 'one key set', rotationSec: undefined },
  { name: 'keys rotating every 2 s', rotationSec: 2 },
])('shaka-player plays the title with $name', { timeout: 90_000 }, ({ rotationSec }) => {
  let p: Packaged;
  let origin: Origin;

  beforeAll(async () => {
    p = await packageClip(clip, rotationSec);
    origin = await startOrigin(p);
  }, 60_000);
  afterAll(async () => {
    await origin?.close();
    await removeAll(p);
  });

  it('past 2 s, showing only SD frames, with one license request per Period', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin.url}/`);
      await page.evaluate(START(`${origin.url}/title/manifest.mpd`));
      const state = () => page.evaluate<PlayerState>(STATE);
      await expect.poll(async () => ((s) => (s.errors.length > 0 ? -1 : s.currentTime))(await state()), { timeout: 30_000 }).toBeGreaterThan(3);
      const s = await state();
      expect(s.errors).toEqual([]);
      expect(s.frames).toBeGreaterThan(25);
      expect(s.shownHeights.length).toBeGreaterThan(0);
      expect(Math.max(...s.shownHeights)).toBeLessThanOrEqual(576);
      expect(s.playableHeights).toEqual([360]);

      // One request per Period, each naming every KID of its Period; only SD and audio keys left the server.
      const periods = p.result.periods;
      expect(periods).toBe(rotationSec ? 2 : 1);
      expect(origin.requests.map((kids) => kids.sort())).toEqual(
        Array.from({ length: periods }, (_, i) => p.result.representations.map((r) => r.kids[i]!).sort()),
      );
      const sdAndAudio = p.result.representations.filter((r) => r.tier !== 'hd').flatMap((r) => r.kids);
      expect([...origin.granted].sort()).toEqual(sdAndAudio.sort());
    } finally {
      await page.close();
    }
  });
});
