/**
 * Edge mode in real Chromium (TOLLGATE_EDGE=nginx): the player page plays an HLS AES-128
 * title with hls.js and a DASH ClearKey title with shaka (watermarked ones too, each segment
 * the session's own variant under its edge name) while every segment and init segment
 * comes from a real nginx acting as the edge (its access log shows them; Tollgate serves none;
 * a watermarked DASH title's init segments and unmarked audio excepted), and manifests, keys
 * and licenses come from Tollgate. Ending the session (DELETE
 * /v1/playback/{id}) makes the session's next license and manifest requests fail on Tollgate.
 * (shaka asks for every Period's license when it loads a VOD MPD, so within one short title
 * there is no later license request to refuse mid-play: see docs/STREAMING.md.)
 */
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeServerBlock } from '../../src/server/edge/nginx-serving-config.js';
import { login, seedSubscriber } from '../support/app.js';
import { currentTime, freePort, logIn, openPlayerPage, type PlayerRig, pressPlay, startPlayerRig } from '../support/browser.js';
import { startTestNginx, type TestNginx } from '../support/nginx.js';
import { packageTestDashTitle, packageTestTitle } from '../support/titles.js';

const SECRET = 'edge-secret-for-browser-tests';
const HLS_TITLE = 'edge-hls';
const DASH_TITLE = 'edge-dash';
const MARKED_TITLE = 'edge-marked';
const MARKED_DASH_TITLE = 'edge-marked-dash';

describe('playing through nginx as the edge', { timeout: 120_000 }, () => {
  let rig: PlayerRig;
  let nginx: TestNginx;
  let subscriber: { email: string; password: string };

  beforeAll(async () => {
    const port = await freePort();
    rig = await startPlayerRig({}, { TOLLGATE_EDGE: 'nginx', TOLLGATE_EDGE_URL: `http://127.0.0.1:${port}/media`, TOLLGATE_EDGE_SECRET: SECRET, TOLLGATE_BIND_IP: 'exact' });
    await packageTestTitle(rig.server.services, { titleId: HLS_TITLE });
    await packageTestDashTitle(rig.server.services, { titleId: DASH_TITLE, rotationSec: 2 });
    await packageTestTitle(rig.server.services, { titleId: MARKED_TITLE, watermark: true });
    await packageTestDashTitle(rig.server.services, { titleId: MARKED_DASH_TITLE, watermark: true });
    nginx = await startTestNginx(port, edgeServerBlock({ port, basePath: '/media', mediaRoot: join(rig.dataDir, 'media'), secret: SECRET, bindAddress: true }));
    subscriber = await seedSubscriber(rig.server.app, { titles: [HLS_TITLE, DASH_TITLE, MARKED_TITLE, MARKED_DASH_TITLE] });
  }, 300_000);

  afterAll(async () => {
    await nginx?.stop();
    await rig?.close();
  });

  /** Every request the page makes, by where it went. */
  function recordRequests(page: Page): { edge: string[]; tollgate: string[]; licenses: Request[] } {
    const seen = { edge: [] as string[], tollgate: [] as string[], licenses: [] as Request[] };
    page.on('request', (request) => {
      const url = request.url();
      if (url.startsWith(nginx.url)) seen.edge.push(url);
      else if (url.startsWith(rig.server.url)) seen.tollgate.push(url);
      if (url.includes('/v1/license/s/') && request.method() === 'POST') seen.licenses.push(request);
    });
    return seen;
  }

  async function play(titleId: string) {
    const { page } = await openPlayerPage(rig.browser, `${rig.elsewhere.origin}/?api=${encodeURIComponent(rig.server.url)}`, []);
    const seen = recordRequests(page);
    await logIn(page, subscriber);
    const grant = await pressPlay(page, rig.server.url, titleId);
    return { page, seen, grant };
  }

  /**
   * Waits until the page plays past `pastSec` without error; checks that it fetched `.ext`
   * segments from nginx (which logged them as served) and none matching `notFromTollgate` from
   * Tollgate; returns the segment URLs.
   */
  async function segmentsFromEdge(page: Page, seen: { edge: string[]; tollgate: string[] }, ext: 'ts' | 'm4s', pastSec: number, notFromTollgate: RegExp): Promise<string[]> {
    await expect.poll(() => currentTime(page), { timeout: 30_000, interval: 200 }).toBeGreaterThan(pastSec);
    expect(await page.isHidden('#error'), `page says: ${await page.textContent('#error')}`).toBe(true);
    const segments = seen.edge.filter((u) => u.includes(`.${ext}?md5=`));
    expect(segments.length).toBeGreaterThan(0);
    const logged = nginx.accessLog();
    for (const url of segments.slice(0, 2)) expect(logged).toContain(`GET ${url.slice(nginx.url.length)} HTTP/1.1 200`);
    expect(seen.tollgate.filter((u) => notFromTollgate.test(u))).toEqual([]);
    return segments;
  }

  /** Plays an HLS title past 2 s with hls.js, every segment from nginx; its segment URLs and Tollgate's requests. */
  async function playHlsFromEdge(titleId: string): Promise<{ segments: string[]; tollgate: string[] }> {
    const { page, seen } = await play(titleId);
    try {
      return { segments: await segmentsFromEdge(page, seen, 'ts', 2, /\.ts(\?|$)/), tollgate: seen.tollgate };
    } finally {
      await page.close();
    }
  }

  it('HLS AES-128 with hls.js: segments from nginx, playlists and the key from Tollgate', async () => {
    const { tollgate } = await playHlsFromEdge(HLS_TITLE);
    expect(tollgate.some((u) => u.includes('/hls/keys/'))).toBe(true);
  });

  it("a watermarked HLS title with hls.js: each segment from nginx as the session's own variant, under its edge name", async () => {
    const { segments } = await playHlsFromEdge(MARKED_TITLE);
    for (const url of segments) expect(url).toMatch(new RegExp(`^${nginx.url}/media/${MARKED_TITLE}/hls/[^/]+/v/[A-Za-z0-9_-]{22}\\.ts\\?md5=`));
  });

  it("a watermarked DASH title with shaka: each video segment from nginx as the session's own variant, listed in a SegmentList", async () => {
    const { page, seen } = await play(MARKED_DASH_TITLE);
    try {
      // From Tollgate: the init segments and the audio (not marked), never a video segment.
      const segments = await segmentsFromEdge(page, seen, 'm4s', 1, /\/dash\/\d+p\/seg-/);
      for (const url of segments) expect(url).toMatch(new RegExp(`^${nginx.url}/media/${MARKED_DASH_TITLE}/dash/\\d+p/v/[A-Za-z0-9_-]{22}\\.m4s\\?md5=`));
    } finally {
      await page.close();
    }
  });

  it('DASH ClearKey with shaka: segments from nginx; once the session ends, its license and manifest requests are refused', async () => {
    const { page, seen, grant } = await play(DASH_TITLE);
    try {
      await segmentsFromEdge(page, seen, 'm4s', 1, /\.m4s(\?|$)/);
      expect(seen.licenses.length).toBeGreaterThanOrEqual(1);

      const viewer = await login(rig.server.app, subscriber.email, subscriber.password);
      const stop = await rig.server.app.inject({
        method: 'DELETE',
        url: `/v1/playback/${grant.session_id}`,
        headers: { authorization: `Bearer ${viewer.json().access_token}` },
      });
      expect(stop.statusCode).toBe(204);
      await new Promise((r) => setTimeout(r, 1500)); // liveness marks are re-read within a second
      // The next key period's license, and any manifest reload, now fail where they are decided.
      const kid = Buffer.alloc(16, 1).toString('base64url');
      const license = await fetch(grant.license_url!, { method: 'POST', body: JSON.stringify({ kids: [kid] }) });
      expect(license.status).toBe(401);
      expect(((await license.json()) as { code: string }).code).toBe('token_revoked');
      expect((await fetch(grant.manifest_url)).status).toBe(401);
    } finally {
      await page.close();
    }
  });
});
