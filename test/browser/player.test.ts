/**
 * The player page in real Chromium against a real Tollgate: served by Tollgate itself (same
 * origin, under its Content-Security-Policy) and hosted on another origin (CORS), logging in,
 * refreshing an expired access token, playing a packaged AES-128 HLS title until frames
 * decode, and Stop ending the session so its manifest URL stops working.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSubscriber } from '../support/app.js';
import {
  currentTime,
  fetchInPage,
  logIn as logInAs,
  openPlayerPage,
  type PlayerRig,
  playbackState,
  pressPlay,
  startPlayerRig,
} from '../support/browser.js';
import { packageTestTitle } from '../support/titles.js';

const TITLE_ID = 'browser-clip';

describe('the player page in Chromium', { timeout: 60_000 }, () => {
  let rig: PlayerRig;
  /** Added to the server's clock, to expire access tokens without waiting. */
  let clockOffsetMs = 0;
  let subscriber: { email: string; password: string };
  /** The CODECS of every variant the packager wrote, e.g. avc1.4d401e,mp4a.40.2. */
  let codecs: string[];

  beforeAll(async () => {
    rig = await startPlayerRig({ now: () => Date.now() + clockOffsetMs });
    await packageTestTitle(rig.server.services, { titleId: TITLE_ID });
    const master = await readFile(join(rig.dataDir, 'media', TITLE_ID, 'hls', 'master.m3u8'), 'utf8');
    codecs = [...master.matchAll(/CODECS="([^"]+)"/g)].map((m) => m[1]!);
    expect(codecs.length).toBeGreaterThan(0);
    subscriber = await seedSubscriber(rig.server.app, { titles: [TITLE_ID] });
  });

  afterAll(() => rig?.close());

  const openPage = (url: string) => openPlayerPage(rig.browser, url, codecs);
  const logIn = (page: Page, password = subscriber.password) => logInAs(page, { email: subscriber.email, password });
  const play = (page: Page) => pressPlay(page, rig.server.url, TITLE_ID);

  it('served by Tollgate: shows the problem detail, logs in, lists and plays the title under its CSP, logs out', async () => {
    const response = await fetch(`${rig.server.url}/`);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const { page, cspViolations } = await openPage(`${rig.server.url}/`);
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
    const { page } = await openPage(`${rig.elsewhere.origin}/?api=${encodeURIComponent(rig.server.url)}`);
    try {
      await logIn(page);
      await page.locator(`li[data-title-id="${TITLE_ID}"]`).waitFor();

      // The server now sees the access token as expired (past its 30 s leeway); Play must refresh it, not fail.
      clockOffsetMs += (rig.server.services.config.accessTokenTtlSec + 60) * 1000;
      const refreshed = page.waitForResponse((r) => r.url().endsWith('/v1/auth/refresh'));
      const grant = await play(page);
      expect((await refreshed).status()).toBe(200);
      expect(grant.manifest_url.startsWith(`${rig.server.url}/`)).toBe(true);

      await expect.poll(() => currentTime(page), { timeout: 20_000 }).toBeGreaterThan(2);
      const state = await playbackState(page);
      expect(state.currentTime).toBeGreaterThan(2);
      expect(state.frames).toBeGreaterThan(0);
      expect(state.litPixels).toBeGreaterThan(100);
      expect(await page.textContent('#resolution')).toMatch(/^\d+×\d+$/); // whichever rung hls.js picked
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
