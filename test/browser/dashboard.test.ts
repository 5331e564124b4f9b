/**
 * The operator dashboard (GET /admin/) in real Chromium against a real Tollgate: a copied
 * manifest URL, played from two networks through a trusted proxy, goes through the event
 * pipeline to the copied_url detector, which raises an alert and blocks the network. The
 * operator signs in with the admin token and sees the stream, the alert with its evidence, the
 * per-minute charts and the viewer's timeline, then ends the stream, lifts the block and
 * resolves the alert, one click each. Text a subscriber chose (a device name) is shown as text.
 * TOLLGATE_DOCS_SCREENSHOT=1 also writes docs/dashboard.png.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedSubscriber } from '../support/app.js';
import { type PlayerRig, startPlayerRig } from '../support/browser.js';
import { until } from '../support/private-stores.js';
import { registerSyntheticTitle } from '../support/titles.js';

const HOSTILE_NAME = '<img src=x onerror="globalThis.pwned=1">';
const NETWORKS = ['81.2.69.1', '2001:db8:7:7::1', '81.2.69.1', '2001:db8:7:7::2'];
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('the operator dashboard', { timeout: 120_000 }, () => {
  let rig: PlayerRig;
  let page: Page;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  let started: { session_id: string; manifest_url: string };

  const fromNetwork = (ip: string) => fetch(started.manifest_url, { headers: { 'x-forwarded-for': ip } });
  const adminGet = async (path: string) => (await rig.server.app.inject({ method: 'GET', url: path, headers: admin })).json();

  beforeAll(async () => {
    rig = await startPlayerRig({}, {
      TOLLGATE_TRUST_PROXY: '127.0.0.1',
      TOLLGATE_BIND_IP: 'off',
      TOLLGATE_DETECTORS: JSON.stringify({ copied_url: { responses: ['block_network'] } }),
    });
    await registerSyntheticTitle(rig.server.services, 'film');
    viewer = await seedSubscriber(rig.server.app, { titles: ['film'] });
    const post = (path: string, body: object, headers: Record<string, string> = {}) =>
      fetch(`${rig.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const pair = (await (await post('/v1/auth/login', { email: viewer.email, password: viewer.password, device_id: 'tv-1', device_name: HOSTILE_NAME })).json()) as {
      access_token: string;
    };
    started = (await (await post('/v1/playback', { title_id: 'film' }, { authorization: `Bearer ${pair.access_token}` })).json()) as typeof started;
    for (const ip of NETWORKS) expect((await fromNetwork(ip)).status).toBe(200);
    // Events reach the detector through the recorder's batch and the bus, not synchronously.
    await until('the copied_url alert', async () => {
      if ((await adminGet('/v1/admin/alerts?status=open')).alerts.length !== 1) throw new Error('no alert yet');
    });
    // The charts count stored events (the writer stores them in batches, every second).
    await rig.server.services.events.flush();
    page = await rig.browser.newPage();
  });
  afterAll(() => rig?.close());

  it('signs in only with the admin token, and says why not', async () => {
    await page.goto(`${rig.server.url}/admin/`);
    await page.fill('#admin-token', 'not-the-admin-token');
    await page.click('#sign-in button[type=submit]');
    await expect.poll(() => page.textContent('#error')).toMatch(/token/i);
    expect(await page.isVisible('#panels')).toBe(false);
    await page.fill('#admin-token', ADMIN_TOKEN);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#panels', { state: 'visible' });
  });

  it('shows the live stream by title and country, the alert with its evidence, and the per-minute charts', async () => {
    await page.waitForSelector(`#streams tr[data-session="${started.session_id}"]`);
    expect(await page.textContent(`#streams tr[data-session="${started.session_id}"]`)).toContain('film');
    expect(await page.textContent('#streams ul[data-group="title_id"]')).toContain('film');
    const alert = page.locator('#alerts li').first();
    expect(await alert.textContent()).toContain('copied_url');
    expect(await alert.textContent()).toMatch(/block network 2001:db8:7:7::\/64/);
    await alert.locator('button.show-evidence').click();
    await expect.poll(() => alert.locator('.evidence li').count()).toBeGreaterThanOrEqual(2);
    expect(await alert.locator('.evidence').textContent()).toContain('manifest grant');
    // The page refreshes every 5 s.
    await expect.poll(() => page.getAttribute('#chart-starts', 'data-total'), { timeout: 12_000 }).toBe('1');
    expect(Number(await page.getAttribute('#chart-licenses', 'data-total'))).toBeGreaterThanOrEqual(0);
  });

  it("shows a viewer's devices, streams and event timeline, a hostile device name as text only", async () => {
    await page.fill('#user-email', viewer.email);
    await page.click('#find-user button[type=submit]');
    await page.waitForSelector('#user-view', { state: 'visible' });
    await expect.poll(() => page.locator('#user-view .timeline tbody tr').count()).toBeGreaterThan(0);
    expect(await page.textContent('#user-view .devices')).toContain(HOSTILE_NAME);
    expect(await page.locator('#user-view img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.textContent('#user-view .user-streams')).toContain('film');
    if (process.env.TOLLGATE_DOCS_SCREENSHOT === '1') await page.screenshot({ path: join(import.meta.dirname, '../../docs/dashboard.png'), fullPage: true });
  });

  it('ends the stream, lifts the block and resolves the alert, one click each', async () => {
    const blockedBefore = (await adminGet('/v1/admin/blocks')).blocks;
    expect(blockedBefore).toHaveLength(1);
    expect((await fromNetwork('2001:db8:7:7::9')).status).toBe(403);

    await page.click(`#streams tr[data-session="${started.session_id}"] button.end`);
    await page.waitForSelector(`#streams tr[data-session="${started.session_id}"]`, { state: 'detached' });
    expect((await adminGet('/v1/admin/sessions')).sessions).toEqual([]);

    await page.locator('#alerts li button.undo').click();
    await expect.poll(async () => (await adminGet('/v1/admin/blocks')).blocks).toEqual([]);

    await page.locator('#alerts li button.resolve').click();
    await page.waitForSelector('#alerts .empty', { state: 'visible' });
    expect((await adminGet('/v1/admin/alerts?status=open')).alerts).toEqual([]);
  });
});
