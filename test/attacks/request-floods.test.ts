/**
 * Request floods: refresh and logout guessing, playback starts, license requests and the admin
 * API, each from one address, one user or one session. Limits are set low here; the defaults
 * are far above what a player or operator does (docs/CONFIGURATION.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticDashTitle } from '../support/titles.js';

const WINDOW_SEC = 60;
const LIMITS = {
  TOLLGATE_RATE_WINDOW: String(WINDOW_SEC),
  TOLLGATE_RATE_REFRESH_PER_ADDRESS: '5',
  TOLLGATE_RATE_PLAYBACK_PER_USER: '4',
  TOLLGATE_RATE_PLAYBACK_PER_ADDRESS: '8',
  TOLLGATE_RATE_LICENSE_PER_SESSION: '3',
  TOLLGATE_RATE_LICENSE_PER_ADDRESS: '10',
  TOLLGATE_RATE_ADMIN_PER_ADDRESS: '30',
  TOLLGATE_ADMIN_MAX_FAILURES_PER_ADDRESS: '5',
  TOLLGATE_ADMIN_FAILURE_WINDOW: '900',
};

const expectLimited = (res: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }, windowSec = WINDOW_SEC) => {
  expect(res.statusCode).toBe(429);
  expect(res.json().code).toBe('rate_limited');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(windowSec);
};

describe('attack: request floods', () => {
  let t: TestApp;
  let sdKid: string;
  let address = 0;
  /** A fresh client address per test, so their counters do not meet. */
  const freshAddress = () => `198.51.100.${++address}`;
  const bearerFor = async (titles: string[] = ['drm']) => {
    const viewer = await seedSubscriber(t.app, { plan: `p${Math.random().toString(36).slice(2, 8)}`, titles });
    return { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  };
  const start = (headers: Record<string, string>, remoteAddress: string) =>
    t.app.inject({ method: 'POST', url: '/v1/playback', remoteAddress, headers, payload: { title_id: 'drm', protocol: 'dash' } });

  beforeAll(async () => {
    // Seeding subscribers goes through the admin API from the test's own address.
    t = await startTestApp({ env: { ...LIMITS, TOLLGATE_RATE_ADMIN_PER_ADDRESS: '1000' } });
    sdKid = Buffer.from((await registerSyntheticDashTitle(t.services, 'drm')).sd.kid, 'hex').toString('base64url');
  });
  afterAll(() => t.close());

  it('refuses a flood of refresh and logout guesses from one address, not from another', async () => {
    const from = freshAddress();
    const guess = (url: string, remoteAddress = from) =>
      t.app.inject({ method: 'POST', url, remoteAddress, payload: { refresh_token: `guess-${Math.random()}` } });
    for (let i = 0; i < 3; i++) expect((await guess('/v1/auth/refresh')).statusCode).toBe(401);
    for (let i = 0; i < 2; i++) expect((await guess('/v1/auth/logout')).statusCode).toBe(204);
    expectLimited(await guess('/v1/auth/refresh'));
    expectLimited(await guess('/v1/auth/logout'));
    expect((await guess('/v1/auth/refresh', freshAddress())).statusCode).toBe(401);
  });

  it('counts an IPv6 client by its /64, so rotating the low bits does not help', async () => {
    const guess = (remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/refresh', remoteAddress, payload: { refresh_token: 'guess' } });
    for (let i = 1; i <= 5; i++) expect((await guess(`2001:db8:7:1::${i.toString(16)}`)).statusCode).toBe(401);
    expectLimited(await guess('2001:db8:7:1:ffff:ffff:ffff:fffe'));
    expect((await guess('2001:db8:7:2::1')).statusCode).toBe(401);
  });

  it('refuses a flood of playback starts by one user, from any address', async () => {
    const bearer = await bearerFor();
    for (let i = 0; i < 4; i++) expect((await start(bearer, freshAddress())).statusCode).toBe(201);
    expectLimited(await start(bearer, freshAddress()));
    expect((await start(await bearerFor(), freshAddress())).statusCode).toBe(201);
  });

  it('refuses a flood of playback starts from one address, across users and bad tokens', async () => {
    const from = freshAddress();
    for (let i = 0; i < 4; i++) expect((await start({ authorization: 'Bearer forged' }, from)).statusCode).toBe(401);
    for (let i = 0; i < 4; i++) expect((await start(await bearerFor(), from)).statusCode).toBe(201);
    expectLimited(await start(await bearerFor(), from));
  });

  it('refuses a flood of license requests on one playback session, and from one address', async () => {
    const bearer = await bearerFor();
    const licenseUrl = (await start(bearer, freshAddress())).json().license_url.replace(t.config.publicUrl, '');
    const license = (url: string, remoteAddress: string) =>
      t.app.inject({ method: 'POST', url, remoteAddress, payload: JSON.stringify({ kids: [sdKid] }) });
    for (let i = 0; i < 3; i++) expect((await license(licenseUrl, freshAddress())).statusCode).toBe(200);
    expectLimited(await license(licenseUrl, freshAddress()));

    const from = freshAddress();
    const sessions: string[] = [];
    for (let i = 0; i < 4; i++) sessions.push((await start(await bearerFor(), freshAddress())).json().license_url.replace(t.config.publicUrl, ''));
    let granted = 0;
    for (const url of sessions) for (let i = 0; i < 3; i++) granted += (await license(url, from)).statusCode === 200 ? 1 : 0;
    expect(granted).toBe(10);
    expectLimited(await license(sessions[0]!.replace(/tgp1\.[^/]+/, 'tgp1.forged'), from));
  });

  it('lets the windows pass: the same client is served again in the next window', async () => {
    const from = freshAddress();
    const guess = () => t.app.inject({ method: 'POST', url: '/v1/auth/refresh', remoteAddress: from, payload: { refresh_token: 'guess' } });
    for (let i = 0; i < 5; i++) await guess();
    expectLimited(await guess());
    t.clock.now += WINDOW_SEC * 1000;
    expect((await guess()).statusCode).toBe(401);
  });
});

describe('attack: admin API floods and admin-token guessing', () => {
  let t: TestApp;
  const admin = (remoteAddress: string, token = ADMIN_TOKEN) =>
    t.app.inject({ method: 'GET', url: '/v1/admin/titles', remoteAddress, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await startTestApp({ env: LIMITS });
  });
  afterAll(() => t.close());

  it('refuses a flood of admin calls from one address, even with the right token', async () => {
    for (let i = 0; i < 30; i++) expect((await admin('203.0.113.10')).statusCode).toBe(200);
    expectLimited(await admin('203.0.113.10'));
    expect((await admin('203.0.113.11')).statusCode).toBe(200);
  });

  it('stops checking admin tokens from an address after a few wrong ones, even the right one', async () => {
    for (let i = 0; i < 5; i++) expect((await admin('203.0.113.20', `wrong-token-${i}-0123456789`)).statusCode).toBe(403);
    expectLimited(await admin('203.0.113.20', 'wrong-token-x-0123456789'), 900);
    expectLimited(await admin('203.0.113.20'), 900);
    expect((await admin('203.0.113.21')).statusCode).toBe(200);
  });

  it('checks at most the limit of a parallel burst of guesses', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => admin('203.0.113.30', `burst-guess-${i}-0123456789`)));
    const statuses = answers.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 403)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(45);
  });

  it('does not count the operator’s own successful calls as failures', async () => {
    for (let i = 0; i < 4; i++) expect((await admin('203.0.113.40', `typo-${i}-0123456789abc`)).statusCode).toBe(403);
    expect((await admin('203.0.113.40')).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await admin('203.0.113.40', `typo-${i}-0123456789abc`)).statusCode).toBe(403);
    expect((await admin('203.0.113.40')).statusCode).toBe(200);
  });
});
