/**
 * Session control on the player page in real Chromium against a real Tollgate: the page names
 * its device at login, keeps its stream alive with heartbeats, offers to stop another screen
 * at the plan's stream limit, says so at once when its stream is ended elsewhere, and caps
 * hls.js's forward buffer so an ended stream cannot play on for minutes.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedSubscriber } from '../support/app.js';
import { currentTime, logIn, openPlayerPage, type PlayerRig, pressPlay, startPlayerRig } from '../support/browser.js';
import { packageTestTitle } from '../support/titles.js';

const TITLE_ID = 'session-clip';
/** The page's heartbeat period in these tests (?heartbeat=), instead of the default 20 s. */
const HEARTBEAT_SEC = 1;

describe('session control on the player page', { timeout: 60_000 }, () => {
  let rig: PlayerRig;

  beforeAll(async () => {
    rig = await startPlayerRig();
    await packageTestTitle(rig.server.services, { titleId: TITLE_ID });
  });

  afterAll(() => rig?.close());

  /** A subscriber whose plan allows one stream at a time, in the given mode. */
  async function oneScreenSubscriber(mode: 'refuse' | 'evict_oldest') {
    const plan = `one-screen-${mode}`;
    const who = await seedSubscriber(rig.server.app, { plan, titles: [TITLE_ID] });
    const planned = await rig.server.app.inject({
      method: 'POST',
      url: '/v1/admin/plans',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { id: plan, titles: [TITLE_ID], max_streams: 1, stream_limit_mode: mode },
    });
    expect(planned.statusCode).toBe(200);
    return who;
  }

  /** Another screen of the same account: logs in as a named TV and starts the title. */
  async function watchOnTv(who: { email: string; password: string }) {
    const login = await rig.server.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: who.email, password: who.password, device_id: 'tv-1', device_name: 'Living room TV' },
    });
    expect(login.statusCode).toBe(200);
    const authorization = `Bearer ${login.json().access_token}`;
    const started = await rig.server.app.inject({ method: 'POST', url: '/v1/playback', headers: { authorization }, payload: { title_id: TITLE_ID, protocol: 'hls' } });
    expect(started.statusCode).toBe(201);
    return { authorization, sessionId: started.json().session_id as string };
  }

  async function openPage(heartbeatSec = HEARTBEAT_SEC): Promise<Page> {
    const query = `?api=${encodeURIComponent(rig.server.url)}&heartbeat=${heartbeatSec}`;
    return (await openPlayerPage(rig.browser, `${rig.elsewhere.origin}/${query}`, [])).page;
  }

  const isPlayback = (url: string, method: string) => (r: { url(): string; request(): { method(): string } }) =>
    r.url() === `${rig.server.url}${url}` && r.request().method() === method;

  it('at the limit shows the other screens, and stopping one there lets this one start', async () => {
    const who = await oneScreenSubscriber('refuse');
    const tv = await watchOnTv(who);
    const page = await openPage();
    try {
      const loggedIn = page.waitForRequest((r) => r.url().endsWith('/v1/auth/login'));
      await logIn(page, who);
      expect((await loggedIn).postDataJSON()).toMatchObject({ device_id: expect.stringMatching(/^[0-9a-f]{32}$/), device_name: 'Chrome on Linux' });
      await page.locator(`li[data-title-id="${TITLE_ID}"]`).waitFor();

      const refused = page.waitForResponse(isPlayback('/v1/playback', 'POST'));
      await page.click(`li[data-title-id="${TITLE_ID}"] button`);
      expect((await refused).status()).toBe(409);
      await page.locator('#screens').waitFor();
      expect(await page.textContent('#screens h2')).toBe('You are watching on 1 screen');
      const other = page.locator(`#screens li[data-session-id="${tv.sessionId}"]`);
      expect(await other.textContent()).toContain(`Living room TV: Test ${TITLE_ID}`);

      const stopped = page.waitForResponse(isPlayback(`/v1/playback/${tv.sessionId}`, 'DELETE'));
      const granted = page.waitForResponse(isPlayback('/v1/playback', 'POST'));
      await other.locator('button').click();
      expect((await stopped).status()).toBe(204);
      expect((await granted).status()).toBe(201);
      expect(await page.isHidden('#screens')).toBe(true);
      await expect.poll(() => currentTime(page), { timeout: 20_000 }).toBeGreaterThan(0);
      expect(await page.isHidden('#error')).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('sends heartbeats while playing, and says so within seconds when the stream is stopped elsewhere', async () => {
    const who = await oneScreenSubscriber('refuse');
    const page = await openPage();
    try {
      await logIn(page, who);
      await page.locator(`li[data-title-id="${TITLE_ID}"]`).waitFor();
      const heartbeats: string[] = [];
      page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/heartbeat') && heartbeats.push(r.url()));
      const grant = await pressPlay(page, rig.server.url, TITLE_ID);
      await expect.poll(() => heartbeats.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      expect(new Set(heartbeats)).toEqual(new Set([`${rig.server.url}/v1/playback/${grant.session_id}/heartbeat`]));

      // The account's other screen ends this stream through the API.
      const tv = await rig.server.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: who.email, password: who.password } });
      const ended = await rig.server.app.inject({
        method: 'DELETE',
        url: `/v1/playback/${grant.session_id}`,
        headers: { authorization: `Bearer ${tv.json().access_token}` },
      });
      expect(ended.statusCode).toBe(204);
      await expect.poll(() => page.textContent('#error'), { timeout: 5_000 }).toMatch(/^Playback stopped: /);
      expect(await page.isHidden('#player')).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('says so within seconds when a newer stream evicts this one', async () => {
    const who = await oneScreenSubscriber('evict_oldest');
    const page = await openPage();
    try {
      await logIn(page, who);
      await page.locator(`li[data-title-id="${TITLE_ID}"]`).waitFor();
      await pressPlay(page, rig.server.url, TITLE_ID);
      await expect.poll(() => currentTime(page), { timeout: 20_000 }).toBeGreaterThan(0);

      await watchOnTv(who);
      await expect.poll(() => page.textContent('#error'), { timeout: 5_000 }).toMatch(/^Playback stopped: /);
      expect(await page.isHidden('#player')).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('ends playback with the reason when the gateway refuses a segment or key, instead of buffering on', async () => {
    const who = await oneScreenSubscriber('refuse');
    const page = await openPage(20); // no heartbeat in time: the gateway's refusal must be what ends it
    try {
      const detail = 'the playback session has ended';
      await page.route(
        (url) => url.pathname.startsWith('/v1/stream/') && !url.pathname.endsWith('.m3u8'),
        (route) => route.fulfill({ status: 403, contentType: 'application/problem+json', body: JSON.stringify({ status: 403, code: 'forbidden', detail }) }),
      );
      await logIn(page, who);
      await page.locator(`li[data-title-id="${TITLE_ID}"]`).waitFor();
      await pressPlay(page, rig.server.url, TITLE_ID);
      // A key or segment is binary to hls.js, so the page can name only the refusal's status.
      await expect.poll(() => page.textContent('#error'), { timeout: 5_000 }).toMatch(/^Playback stopped: .*(HTTP 403|session has ended)/);
      expect(await page.isHidden('#player')).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('caps the hls.js forward buffer at 30 s', async () => {
    const page = await openPage();
    try {
      // The same module instance the page plays with: its URL is the page's own.
      const config = await page.evaluate<Record<string, number>>(`import('${rig.elsewhere.origin}/playback.js').then((m) => ({ ...m.HLS_CONFIG }))`);
      expect(config).toEqual({ maxBufferLength: 30, maxMaxBufferLength: 30 });
    } finally {
      await page.close();
    }
  });
});
