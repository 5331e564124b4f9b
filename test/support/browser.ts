/**
 * Browser-test support: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), a free port, a tiny static server that serves the player page from a second
 * origin, the way a customer's site would host it, a real Tollgate that allows that origin,
 * and the steps the player-page tests share (log in, press Play, read the video's state).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { compose, type ComposeOptions } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { type RunningServer, startServer } from '../../src/server/main.js';
import { type WebAsset, webAssets } from '../../src/server/web/assets.js';
import { ADMIN_TOKEN } from './app.js';

export const CHROMIUM_PATH = process.env.TOLLGATE_TEST_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
];

/** Launches Chromium, or fails loudly: browser tests are never skipped for want of one. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not at ${CHROMIUM_PATH}: install Debian's chromium package (.ci/run does) or set TOLLGATE_TEST_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** A port nobody listens on right now, for a server whose public URL must be known before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 — a different origin from Tollgate's. */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves the given files by path (query strings ignored) and 404 for anything else. */
export async function startStaticServer(files: ReadonlyMap<string, Pick<WebAsset, 'body' | 'type'>>): Promise<StaticServer> {
  const server = createHttpServer((request, response) => {
    const file = files.get(new URL(request.url ?? '/', 'http://x').pathname);
    if (file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PlayerRig {
  readonly browser: Browser;
  /** Serves the player page from another origin, which Tollgate allows by CORS. */
  readonly elsewhere: StaticServer;
  readonly server: RunningServer;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** Chromium, a real Tollgate listening on a fresh data dir (with extra settings in env), and a second origin hosting the page. */
export async function startPlayerRig(options: ComposeOptions & { env?: Record<string, string> } = {}): Promise<PlayerRig> {
  const cleanups: (() => Promise<unknown>)[] = [];
  // Undone in reverse, each whatever the others do, so a failed start leaks no browser or port.
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-browser-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const elsewhere = await startStaticServer(webAssets());
    cleanups.push(() => elsewhere.close());
    const config = loadConfig({
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_PORT: String(await freePort()),
      TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      TOLLGATE_LOG_LEVEL: 'silent',
      TOLLGATE_CORS_ORIGINS: elsewhere.origin,
      ...options.env,
    });
    const server = await startServer(config, await compose(config, options));
    cleanups.push(() => server.stop());
    return { browser, elsewhere, server, dataDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Opens the player page, recording Content-Security-Policy violations. Debian's Chromium must
 * decode what the packager writes (each `codecs` value, e.g. avc1.4d401e,mp4a.40.2); if not,
 * the packager needs another codec.
 */
export async function openPlayerPage(browser: Browser, url: string, codecs: readonly string[]): Promise<{ page: Page; cspViolations: string[] }> {
  const page = await browser.newPage();
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto(url);
  for (const codec of codecs) {
    const type = `video/mp4; codecs="${codec}"`;
    expect(await page.evaluate<boolean>(`MediaSource.isTypeSupported(${JSON.stringify(type)})`), `Chromium cannot play ${type}`).toBe(true);
  }
  return { page, cspViolations };
}

export async function logIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.click('#login button[type=submit]');
}

export interface PlaybackGrant {
  session_id: string;
  manifest_url: string;
  license_url?: string;
}

/** Presses the title's Play button and returns the playback grant the page received. */
export async function pressPlay(page: Page, serverUrl: string, titleId: string): Promise<PlaybackGrant> {
  // A first answer may be a 401 token_expired that the page answers by refreshing.
  const granted = page.waitForResponse((r) => r.url() === `${serverUrl}/v1/playback` && r.request().method() === 'POST' && r.status() !== 401);
  await page.click(`li[data-title-id="${titleId}"] button`);
  const response = await granted;
  expect(response.status(), `page says: ${await page.textContent('#error')}`).toBe(201);
  return response.json();
}

/** The video's position, polled; a function (not a string) so the page's CSP does not block it. */
export function currentTime(page: Page): Promise<number> {
  return page.locator('#video').evaluate((video) => (video as unknown as { currentTime: number }).currentTime);
}

export interface PlaybackState {
  currentTime: number;
  frames: number;
  /** The picture's height now (0 before the first frame). */
  videoHeight: number;
  /**
   * Pixels of a 64×36 canvas copy of the current frame that are not (near) black. Always 0 for
   * EME-decrypted video: Chromium paints such frames black on a canvas.
   */
  litPixels: number;
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
  const frames = video.getVideoPlaybackQuality().totalVideoFrames;
  return { currentTime: video.currentTime, frames, videoHeight: video.videoHeight, litPixels };
})()`;

export function playbackState(page: Page): Promise<PlaybackState> {
  return page.evaluate<PlaybackState>(PLAYBACK_STATE);
}

/** Fetches a URL from inside the page: same browser, address and user agent as the player. */
export function fetchInPage(page: Page, url: string): Promise<{ status: number; type: string }> {
  return page.evaluate<{ status: number; type: string }>(
    `fetch(${JSON.stringify(url)}).then((r) => ({ status: r.status, type: r.headers.get('content-type') ?? '' }))`,
  );
}
