/**
 * Edge mode in real Chromium (TOLLGATE_EDGE=nginx): the player page plays an HLS AES-128
 * title with hls.js (a watermarked one too, each segment the session's own variant under its
 * edge name) and a DASH ClearKey title with shaka while every segment and init segment
 * comes from a real nginx acting as the edge (its access log shows them; Tollgate serves none),
 * and manifests, keys and licenses come from Tollgate. Ending the session (DELETE
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
    nginx = await startTestNginx(port, edgeServerBlock({ port, basePath: '/media', mediaRoot: join(rig.dataDir, 'media'), secret: SECRET, bindAddress: true }));
    subscriber = await seedSubscriber(rig.server.app, { titles: [HLS_TITLE, DASH_TITLE, MARKED_TITLE] });
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
   * Plays an HLS title past 2 s with hls.js; checks that its segments came from nginx (which
   * logged them as served) and none from Tollgate; returns their URLs and Tollgate's requests.
   */
  async function playHlsFromEdge(titleId: string): Promise<{ segments: string[]; tollgate: string[] }> {
    const { page, seen } = await play(titleId);
    try {
      await expect.poll(() => currentTime(page), { timeout: 30_000, interval: 200 }).toBeGreaterThan(2);
      expect(await page.isHidden('#error'), `page says: ${await page.textContent('#error')}`).toBe(true);
      const segments = seen.edge.filter((u) => /\.ts\?md5=/.test(u));
      expect(segments.length).toBeGreaterThan(0);
      const logged = nginx.accessLog();
      for (const url of segments.slice(0, 2)) expect(logged).toContain(`GET ${url.slice(nginx.url.length)} HTTP/1.1 200`);
      expect(seen.tollgate.filter((u) => /\.ts(\?|$)/.test(u))).toEqual([]);
      return { segments, tollgate: seen.tollgate };
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

  it('DASH ClearKey with shaka: segments from nginx; once the session ends, its license and manifest requests are refused', async () => {
    const { page, seen, grant } = await play(DASH_TITLE);
    try {
      await expect.poll(() => currentTime(page), { timeout: 30_000, interval: 200 }).toBeGreaterThan(1);
      expect(await page.isHidden('#error'), `page says: ${await page.textContent('#error')}`).toBe(true);
      const segments = seen.edge.filter((u) => /\.m4s\?md5=/.test(u));
      expect(segments.length).toBeGreaterThan(0);
      expect(nginx.accessLog()).toContain(`GET ${segments[0]!.slice(nginx.url.length)} HTTP/1.1 200`);
      expect(seen.tollgate.filter((u) => /\.m4s(\?|$)/.test(u))).toEqual([]);
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
