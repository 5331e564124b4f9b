/**
 * The player page in real Chromium against a real Tollgate: served by Tollgate itself (same
 * origin, under its Content-Security-Policy) and hosted on another origin (CORS), logging in,
 * refreshing an expired access token, playing a packaged AES-128 HLS title until frames
 * decode, and Stop ending the session so its manifest URL stops working.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { type RunningServer, startServer } from '../../src/server/main.js';
import { webAssets } from '../../src/server/web/assets.js';
import { ADMIN_TOKEN, seedSubscriber } from '../support/app.js';
import { freePort, launchChromium, startStaticServer, type StaticServer } from '../support/browser.js';
import { packageTestTitle } from '../support/titles.js';

const TITLE_ID = 'browser-clip';

interface Playback {
  currentTime: number;
  frames: number;
  /** Pixels of a 64×36 canvas copy of the current frame that are not (near) black. */
  litPixels: number;
}

/** The video's position, polled; a function (not a string) so the page's CSP does not block it. */
function currentTime(page: Page): Promise<number> {
  return page.locator('#video').evaluate((video) => (video as unknown as { currentTime: number }).currentTime);
}

const PLAYBACK_STATE = `(() => {
  const video = document.getElementById('video');
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 36;
  const g = canvas.getContext('2d');
  g.drawImage(video, 0, 0, 64, 36);
  const d = g.getImageData(0, 0, 64, 36).data;
  let litPixels = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) litPixels++;
  return { currentTime: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames, litPixels };
})()`;

describe('the player page in Chromium', { timeout: 60_000 }, () => {
  let browser: Browser;
  let elsewhere: StaticServer;
  let server: RunningServer;
  let dataDir: string;
  /** Added to the server's clock, to expire access tokens without waiting. */
  let clockOffsetMs = 0;
  let subscriber: { email: string; password: string };
  /** The CODECS of every variant the packager wrote, e.g. avc1.4d401e,mp4a.40.2. */
  let codecs: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    elsewhere = await startStaticServer(webAssets());
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-browser-'));
    const config = loadConfig({
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_PORT: String(await freePort()),
      TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      TOLLGATE_LOG_LEVEL: 'silent',
      TOLLGATE_CORS_ORIGINS: elsewhere.origin,
    });
    server = await startServer(config, await compose(config, { now: () => Date.now() + clockOffsetMs }));
    await packageTestTitle(server.services, { titleId: TITLE_ID });
    const master = await readFile(join(dataDir, 'media', TITLE_ID, 'hls', 'master.m3u8'), 'utf8');
    codecs = [...master.matchAll(/CODECS="([^"]+)"/g)].map((m) => m[1]!);
    expect(codecs.length).toBeGreaterThan(0);
    subscriber = await seedSubscriber(server.app, { titles: [TITLE_ID] });
  });

  afterAll(async () => {
    await browser?.close();
    await elsewhere?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function openPage(url: string): Promise<{ page: Page; cspViolations: string[] }> {
    const page = await browser.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(url);
    // Debian's Chromium must decode what the packager writes (hls.js remuxes to fMP4); if not, the packager needs another codec.
    for (const variant of codecs) {
      const type = `video/mp4; codecs="${variant}"`;
      expect(await page.evaluate<boolean>(`MediaSource.isTypeSupported(${JSON.stringify(type)})`), `Chromium cannot play ${type}`).toBe(true);
    }
    return { page, cspViolations };
  }

  async function logIn(page: Page, password = subscriber.password): Promise<void> {
    await page.fill('#email', subscriber.email);
    await page.fill('#password', password);
    await page.click('#login button[type=submit]');
  }

  async function play(page: Page): Promise<{ session_id: string; manifest_url: string }> {
    // A first answer may be a 401 token_expired that the page answers by refreshing.
    const granted = page.waitForResponse((r) => r.url() === `${server.url}/v1/playback` && r.request().method() === 'POST' && r.status() !== 401);
    await page.click(`li[data-title-id="${TITLE_ID}"] button`);
    const response = await granted;
    expect(response.status(), `page says: ${await page.textContent('#error')}`).toBe(201);
    return response.json();
  }

  /** Fetches a URL from inside the page: same browser, address and user agent as the player. */
  function fetchInPage(page: Page, url: string): Promise<{ status: number; type: string }> {
    return page.evaluate<{ status: number; type: string }>(
      `fetch(${JSON.stringify(url)}).then((r) => ({ status: r.status, type: r.headers.get('content-type') ?? '' }))`,
    );
  }

  it('served by Tollgate: shows the problem detail, logs in, lists and plays the title under its CSP, logs out', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const { page, cspViolations } = await openPage(`${server.url}/`);
    try {
      await logIn(page, 'not the password');
      await expect.poll(() => page.textContent('#error')).toMatch(/password|credentials/i);

      await logIn(page);
      const item = page.locator(`li[data-title-id="${TITLE_ID}"]`);
      await item.waitFor();
      expect(await item.textContent()).toContain('Play');
      expect(await page.isHidden('#error')).toBe(true);

      await play(page);
      await expect.poll(() => currentTime(page), { timeout: 20_000 }).toBeGreaterThan(1);
      expect(cspViolations).toEqual([]);

      const loggedOut = page.waitForResponse((r) => r.url().endsWith('/v1/auth/logout'));
      await page.click('#logout');
      expect((await loggedOut).status()).toBe(204);
      await page.locator('#login').waitFor();
      expect(await page.isHidden('#error')).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('hosted on another origin: refreshes an expired access token, plays until frames decode, and Stop kills the URLs', async () => {
    const { page } = await openPage(`${elsewhere.origin}/?api=${encodeURIComponent(server.url)}`);
    try {
      await logIn(page);
      await page.locator(`li[data-title-id="${TITLE_ID}"]`).waitFor();

      // The server now sees the access token as expired (past its 30 s leeway); Play must refresh it, not fail.
      clockOffsetMs += (server.services.config.accessTokenTtlSec + 60) * 1000;
      const refreshed = page.waitForResponse((r) => r.url().endsWith('/v1/auth/refresh'));
      const grant = await play(page);
      expect((await refreshed).status()).toBe(200);
      expect(grant.manifest_url.startsWith(`${server.url}/`)).toBe(true);

      await expect.poll(() => currentTime(page), { timeout: 20_000 }).toBeGreaterThan(2);
      const state = await page.evaluate<Playback>(PLAYBACK_STATE);
      expect(state.currentTime).toBeGreaterThan(2);
      expect(state.frames).toBeGreaterThan(0);
      expect(state.litPixels).toBeGreaterThan(100);
      expect(await page.isHidden('#error')).toBe(true);

      expect((await fetchInPage(page, grant.manifest_url)).status).toBe(200);

      const stopped = page.waitForResponse((r) => r.url().endsWith(`/v1/playback/${grant.session_id}`) && r.request().method() === 'DELETE');
      await page.click('#stop');
      expect((await stopped).status()).toBe(204);
      expect(await page.isHidden('#player')).toBe(true);

      // Instances consult session-ended marks every few seconds, so allow a little time.
      await expect.poll(async () => (await fetchInPage(page, grant.manifest_url)).status, { timeout: 10_000 }).toBeOneOf([401, 403, 410]);
      expect((await fetchInPage(page, grant.manifest_url)).type).toContain('application/problem+json');
    } finally {
      await page.close();
    }
  });
});
