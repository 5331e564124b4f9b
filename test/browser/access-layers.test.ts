/**
 * The access layers as a viewer meets them: the player page, hosted on another origin, in real
 * Chromium against a real Tollgate behind a trusted proxy (the proxy's X-Forwarded-For is added
 * to the page's requests on the wire, as a proxy would). A start from a refused country, or
 * from a page the plan does not list, is refused and the page shows why.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedSubscriber } from '../support/app.js';
import { logIn, openPlayerPage, type PlayerRig, pressPlay, startPlayerRig } from '../support/browser.js';
import { registerSyntheticTitle } from '../support/titles.js';

const GB = '81.2.69.142';
const US = '8.8.8.8';

describe('access layers on the player page', { timeout: 60_000 }, () => {
  let rig: PlayerRig;

  beforeAll(async () => {
    rig = await startPlayerRig({}, { TOLLGATE_TRUST_PROXY: '127.0.0.1' });
    await registerSyntheticTitle(rig.server.services, 'film');
  });
  afterAll(() => rig?.close());

  async function plan(id: string, rules: object) {
    const who = await seedSubscriber(rig.server.app, { plan: id, titles: ['film'] });
    const res = await rig.server.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { id, titles: ['film'], ...rules } });
    expect(res.statusCode).toBe(200);
    return who;
  }

  /** The player page from the other origin, its requests to Tollgate arriving through the proxy from `address`. */
  async function pageFrom(address: string): Promise<Page> {
    const { page } = await openPlayerPage(rig.browser, `${rig.elsewhere.origin}/?api=${encodeURIComponent(rig.server.url)}`, []);
    await page.route(`${rig.server.url}/**`, (route) => route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': address } }));
    return page;
  }

  async function refusedStart(page: Page): Promise<{ status: number; code: string; shown: string }> {
    const answer = page.waitForResponse((r) => r.url() === `${rig.server.url}/v1/playback` && r.request().method() === 'POST');
    await page.click('li[data-title-id="film"] button');
    const response = await answer;
    await expect.poll(() => page.isVisible('#error')).toBe(true);
    return { status: response.status(), code: ((await response.json()) as { code: string }).code, shown: (await page.textContent('#error')) ?? '' };
  }

  it('refuses a start from a country outside the plan, shows why, and plays from an allowed one', async () => {
    const who = await plan('gb-only', { countries: { allow: ['GB'] } });
    const fromUs = await pageFrom(US);
    await logIn(fromUs, who);
    await fromUs.waitForSelector('li[data-title-id="film"] button');
    expect(await refusedStart(fromUs)).toEqual({ status: 403, code: 'geo_blocked', shown: 'this title is not available in your country (US)' });
    await fromUs.close();

    const fromGb = await pageFrom(GB);
    await logIn(fromGb, who);
    await fromGb.waitForSelector('li[data-title-id="film"] button');
    await pressPlay(fromGb, rig.server.url, 'film');
    await fromGb.close();
  });

  it('refuses a start from a page the plan does not list, and shows why', async () => {
    const who = await plan('partner-only', { allowed_origins: ['https://partner.example'] });
    const page = await pageFrom(GB);
    await logIn(page, who);
    await page.waitForSelector('li[data-title-id="film"] button');
    expect(await refusedStart(page)).toEqual({
      status: 403,
      code: 'origin_not_allowed',
      shown: `playback from the page at ${rig.elsewhere.origin} is not allowed for this title`,
    });
    await page.close();
  });
});
