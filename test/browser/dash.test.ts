/**
 * DASH in the player page, in real Chromium against a real Tollgate: the page, hosted on
 * another origin, logs in and plays a CENC title with a key per tier through shaka-player and
 * Chrome's Clear Key CDM. Licenses come from the session's `license_url` (the entitlement
 * proxy), which gives a software CDM the SD and audio keys and withholds HD, so only SD frames
 * may ever be presented (shaka starts on HD here and drops it when its key does not come). With key
 * rotation every Period is its own license request. Also: the page served by Tollgate, under
 * its CSP, showing the problem detail of a refused license; and, from Node, a license request
 * for every KID of a served MPD.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedSubscriber } from '../support/app.js';
import { logIn, openPlayerPage, type PlayerRig, playbackState, pressPlay, startPlayerRig } from '../support/browser.js';
import { packageTestDashTitle } from '../support/titles.js';
import { WATERMARK_KEY_LABEL } from '../../src/core/drm/policy.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import { payloadBit } from '../../src/server/watermark/payload.js';

/** SD ends at 576 lines (PAL); the clip's SD rung is 360p and its HD rung 720p. */
const SD_MAX_HEIGHT = 576;

/**
 * 4 s clips, packaged for DASH alone: one Period without rotation, two with a key every 2 s;
 * and a watermarked one, whose sessions are served A or B per segment (one init segment for both).
 */
const TITLES = [
  { titleId: 'dash-clip', rotationSec: undefined, periods: 1, watermark: false },
  { titleId: 'dash-rotating', rotationSec: 2, periods: 2, watermark: false },
  { titleId: 'dash-marked', rotationSec: undefined, periods: 1, watermark: true },
];

interface MpdKey {
  period: number;
  /** default_KID as 32 hex digits. */
  kid: string;
  tier: 'sd' | 'hd' | 'audio';
  codecs: string;
}

/** Each Representation's default_KID, tier (by its height; audio has none) and codecs, per Period. */
function mpdKeys(mpd: string): MpdKey[] {
  return mpd
    .split('<Period ')
    .slice(1)
    .flatMap((period, p) =>
      [...period.matchAll(/<Representation ([^>]*)>([\s\S]*?)<\/Representation>/g)].map(([, attributes, body]) => {
        const height = /\bheight="(\d+)"/.exec(attributes!)?.[1];
        const kid = /cenc:default_KID="([0-9a-f-]{36})"/i.exec(body!)?.[1];
        if (kid === undefined) throw new Error(`a Representation without a default_KID: ${attributes}`);
        const tier = height === undefined ? 'audio' : Number(height) <= SD_MAX_HEIGHT ? 'sd' : 'hd';
        return { period: p, kid: kid.replace(/-/g, '').toLowerCase(), tier, codecs: /\bcodecs="([^"]+)"/.exec(attributes!)![1]! };
      }),
    );
}

const hex = (b64url: string) => Buffer.from(b64url, 'base64url').toString('hex');
const sorted = (values: Iterable<string>) => [...values].sort();

/** Starts recording the height of every frame the video presents (requestVideoFrameCallback), before anything plays. */
const RECORD_SHOWN_HEIGHTS = `(() => {
  const video = document.getElementById('video');
  window.shownHeights = [];
  const onFrame = (_now, frame) => {
    shownHeights.push(frame.height);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
})()`;

describe('DASH titles in the player page, with shaka-player and Clear Key', { timeout: 90_000 }, () => {
  let rig: PlayerRig;
  let subscriber: { email: string; password: string };
  /** The published MPD of each title (with the license URL placeholder the gateway rewrites). */
  const mpds = new Map<string, string>();

  beforeAll(async () => {
    rig = await startPlayerRig();
    await Promise.all(TITLES.map((t) => packageTestDashTitle(rig.server.services, t)));
    for (const { titleId } of TITLES) mpds.set(titleId, await readFile(join(rig.dataDir, 'media', titleId, 'dash', 'manifest.mpd'), 'utf8'));
    subscriber = await seedSubscriber(rig.server.app, { titles: TITLES.map((t) => t.titleId) });
  }, 120_000);

  afterAll(() => rig?.close());

  it.each(TITLES)('$titleId: plays from another origin through license_url, showing only SD frames', async ({ titleId, periods, watermark }) => {
    const keys = mpdKeys(mpds.get(titleId)!);
    expect(Math.max(...keys.map((k) => k.period)) + 1).toBe(periods);
    expect(new Set(keys.map((k) => k.tier))).toEqual(new Set(['sd', 'hd', 'audio']));
    const { page } = await openPlayerPage(rig.browser, `${rig.elsewhere.origin}/?api=${encodeURIComponent(rig.server.url)}`, [...new Set(keys.map((k) => k.codecs))]);
    try {
      const licenses = recordLicenseRequests(page);
      const segments = recordSdSegments(page);
      await page.evaluate(RECORD_SHOWN_HEIGHTS);
      await logIn(page, subscriber);
      const grant = await pressPlay(page, rig.server.url, titleId);
      expect(grant.license_url?.startsWith(`${rig.server.url}/v1/license/s/`)).toBe(true);

      // One license request per Period, all to the session's license_url, each asking for every
      // key of its Period (HD too: the pssh lists them all) and answered with SD and audio only.
      // Checked first: it is what keeps HD frames off the screen.
      await expect.poll(() => licenses.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(periods);
      expect(licenses).toHaveLength(periods);
      const exchanges = await Promise.all(licenses.map(readLicenseExchange));
      const periodsAsked = exchanges.map((exchange) => {
        expect(exchange.url).toBe(grant.license_url);
        expect(exchange.status).toBe(200);
        const period = keys.find((k) => k.kid === exchange.requested[0])!.period;
        const inPeriod = keys.filter((k) => k.period === period);
        expect(sorted(exchange.requested)).toEqual(sorted(inPeriod.map((k) => k.kid)));
        expect(sorted(exchange.answered)).toEqual(sorted(inPeriod.filter((k) => k.tier !== 'hd').map((k) => k.kid)));
        return period;
      });
      expect(periodsAsked.sort((a, b) => a - b)).toEqual(Array.from({ length: periods }, (_, p) => p));

      // Every presented frame's own height, recorded in the page (requestVideoFrameCallback), must be SD.
      // video.videoHeight, sampled beside it, is the element's size: Chromium first sets it from the
      // HD init segment shaka appended (that rendition waits for a key that never comes) and updates
      // it on the main thread after the SD frames start, so under load a sample can still read 720
      // while only 360-line frames are presented. It must end at SD.
      const sampledHeights = new Set<number>();
      await expect
        .poll(
          async () => {
            const state = await playbackState(page);
            if (state.frames > 0) sampledHeights.add(state.videoHeight);
            return state.currentTime;
          },
          { timeout: 30_000, interval: 100 },
        )
        .toBeGreaterThan(2);
      expect((await playbackState(page)).frames).toBeGreaterThan(25);
      expect(await page.isHidden('#error'), `page says: ${await page.textContent('#error')}`).toBe(true);
      const shownHeights = await page.evaluate<number[]>('shownHeights');
      expect(shownHeights.length).toBeGreaterThan(25);
      expect(new Set(shownHeights)).toEqual(new Set([360]));
      expect(sampledHeights).toContain(360);
      expect((await playbackState(page)).videoHeight).toBe(360);
      expect(await page.textContent('#resolution')).toBe('640×360');
      if (watermark) await expectServedVariants(rig, titleId, grant.session_id, segments);
    } finally {
      await page.close();
    }
  });

  it('served by Tollgate under its CSP: a refused license stops playback with the problem detail', async () => {
    const titleId = TITLES[0]!.titleId;
    const viewer = await seedSubscriber(rig.server.app, { plan: 'dropping', titles: [titleId] });
    const { page, cspViolations } = await openPlayerPage(rig.browser, `${rig.server.url}/`, []);
    try {
      // Hold the license request until the plan has dropped the title, then let it reach Tollgate.
      let dropped: () => void = () => {};
      const planDropped = new Promise<void>((resolve) => (dropped = resolve));
      await page.route('**/v1/license/s/**', async (route) => {
        await planDropped;
        await route.continue();
      });
      const refused = page.waitForResponse((r) => r.url().includes('/v1/license/s/'));
      await logIn(page, viewer);
      await pressPlay(page, rig.server.url, titleId);
      const plan = await rig.server.app.inject({
        method: 'POST',
        url: '/v1/admin/plans',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { id: 'dropping', titles: [] },
      });
      expect(plan.statusCode).toBe(200);
      dropped();

      const response = await refused;
      expect(response.status()).toBe(403);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe('not_entitled');
      await expect.poll(() => page.textContent('#error'), { timeout: 10_000 }).toBe(`Playback stopped: ${problem.detail}`);
      await expect.poll(() => page.isHidden('#player')).toBe(true);
      expect(cspViolations).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('a license request for every kid of the served MPD gets the SD and audio keys only', async () => {
    const titleId = TITLES[0]!.titleId;
    const login = await postJson(`${rig.server.url}/v1/auth/login`, { email: subscriber.email, password: subscriber.password });
    const { access_token: accessToken } = (await login.json()) as { access_token: string };
    const started = await postJson(`${rig.server.url}/v1/playback`, { title_id: titleId, protocol: 'dash' }, { authorization: `Bearer ${accessToken}` });
    expect(started.status).toBe(201);
    const grant = (await started.json()) as { manifest_url: string; license_url: string };

    const served = await (await fetch(grant.manifest_url)).text();
    expect(served).toContain(`<dashif:laurl>${grant.license_url}</dashif:laurl>`);
    const keys = mpdKeys(served);
    const kids = [...new Set(keys.map((k) => k.kid))];
    expect(kids).toHaveLength(3);

    const license = await postJson(grant.license_url, { kids: kids.map((kid) => Buffer.from(kid, 'hex').toString('base64url')), type: 'temporary' });
    expect(license.status).toBe(200);
    const answer = (await license.json()) as { keys: { kty: string; kid: string; k: string }[]; type: string };
    expect(answer.type).toBe('temporary');
    expect(sorted(answer.keys.map((k) => hex(k.kid)))).toEqual(sorted(keys.filter((k) => k.tier !== 'hd').map((k) => k.kid)));
    for (const key of answer.keys) {
      expect(key.kty).toBe('oct');
      expect(Buffer.from(key.k, 'base64url')).toHaveLength(16);
    }
  });
});

/** The 360p media segments the page received, by number, with their bytes. */
function recordSdSegments(page: Page): Map<number, Promise<Buffer>> {
  const bodies = new Map<number, Promise<Buffer>>();
  page.on('response', (response) => {
    const n = /\/360p\/seg-(\d+)\.m4s$/.exec(new URL(response.url()).pathname)?.[1];
    if (n !== undefined && response.status() === 200) bodies.set(Number(n), response.body());
  });
  return bodies;
}

/** Every SD segment the player got is the variant of the session's payload bit: shaka played across A/B switches. */
async function expectServedVariants(rig: PlayerRig, titleId: string, sessionId: string, segments: Map<number, Promise<Buffer>>): Promise<void> {
  const record = (await rig.server.services.stores.titles.contentKeys(titleId)).find((k) => k.label === WATERMARK_KEY_LABEL)!;
  const key = openContentKey(rig.server.services.sealer, record.kid, record.sealed);
  expect(segments.size).toBeGreaterThanOrEqual(2);
  for (const [n, body] of segments) {
    const variant = payloadBit(key, sessionId, n) === 0 ? 'a' : 'b';
    const stored = await readFile(join(rig.dataDir, 'media', titleId, 'dash', '360p', variant, `seg-${String(n).padStart(5, '0')}.m4s`));
    expect(Buffer.compare(await body, stored), `segment ${n}`).toBe(0);
  }
}

/** The license POSTs the page makes (CORS preflights are not reported). */
function recordLicenseRequests(page: Page): Request[] {
  const requests: Request[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/v1/license/s/') && request.method() === 'POST') requests.push(request);
  });
  return requests;
}

/** A license request's URL and status, and the KIDs (hex) it asked for and got. */
async function readLicenseExchange(request: Request): Promise<{ url: string; status: number; requested: string[]; answered: string[] }> {
  const response = await request.response();
  const asked = JSON.parse(request.postData() ?? '{}') as { kids?: string[] };
  const answer = (await response?.json()) as { keys?: { kid: string }[] } | undefined;
  return {
    url: request.url(),
    status: response?.status() ?? 0,
    requested: (asked.kids ?? []).map(hex),
    answered: (answer?.keys ?? []).map((k) => hex(k.kid)),
  };
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
