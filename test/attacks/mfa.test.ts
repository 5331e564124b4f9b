/**
 * Attacks on two-factor login: a stolen password alone, a TOTP code replayed within its step
 * (one after another or in a parallel race), a recovery code used twice, guessing codes past
 * the login limits, an access-token thief replacing the victim's factor, and playing a
 * require_mfa plan with a login that never passed a second factor.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { enrolMfa, totpCode, wrongCode } from '../support/mfa.js';
import { registerSyntheticTitle } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const STEP_MS = 30_000;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const randomV4 = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe('attack: logging in to an account with MFA', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', TOLLGATE_LOGIN_QUEUE: '1000' } });
    await registerSyntheticTitle(t.services, 'movie');
  });
  afterAll(() => t.close());

  const loginWith = (viewer: { email: string; password: string }, extra: Record<string, string> = {}, address = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: address, payload: { email: viewer.email, password: viewer.password, ...extra } });

  /** A subscriber with MFA on, the clock at the start of a fresh TOTP step. */
  async function viewerWithMfa() {
    const viewer = await seedSubscriber(t.app, { plan: `mfa-${randomUUID()}`, titles: '*' });
    t.clock.now = (Math.floor(t.clock.now / STEP_MS) + 1) * STEP_MS;
    const { access_token } = (await loginWith(viewer)).json();
    const enrolled = await enrolMfa(t.app, bearer(access_token), t.clock.now);
    t.clock.now += STEP_MS; // the confirming code's step is spent; start the tests on the next
    return { ...viewer, ...enrolled };
  }

  it('refuses the right password without a code (401 mfa_required) and with a wrong one (invalid_credentials)', async () => {
    const viewer = await viewerWithMfa();
    const bare = await loginWith(viewer);
    expect(bare.statusCode).toBe(401);
    expect(bare.json().code).toBe('mfa_required');
    const wrong = await loginWith(viewer, { totp: wrongCode(viewer.secret, t.clock.now) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    const right = await loginWith(viewer, { totp: totpCode(viewer.secret, t.clock.now) });
    expect(right.statusCode).toBe(200);
    const claims = JSON.parse(Buffer.from(right.json().access_token.split('.')[1], 'base64url').toString());
    expect(claims.amr).toEqual(['pwd', 'otp']);
  });

  it('refuses a TOTP code replayed within its 30 s step, and a code of an earlier step', async () => {
    const viewer = await viewerWithMfa();
    const code = totpCode(viewer.secret, t.clock.now);
    expect((await loginWith(viewer, { totp: code })).statusCode).toBe(200);
    t.clock.now += 5_000;
    const replay = await loginWith(viewer, { totp: code });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('invalid_credentials');
    // The previous step's code is inside the drift window, but older than the one accepted.
    const earlier = await loginWith(viewer, { totp: totpCode(viewer.secret, t.clock.now - STEP_MS) });
    expect(earlier.json().code).toBe('invalid_credentials');
  });

  it('lets exactly one of 10 parallel logins with one code through', async () => {
    const viewer = await viewerWithMfa();
    const code = totpCode(viewer.secret, t.clock.now);
    const race = await Promise.all(Array.from({ length: 10 }, () => loginWith(viewer, { totp: code }, randomV4())));
    expect(race.filter((r) => r.statusCode === 200)).toHaveLength(1);
  });

  it('accepts a recovery code once in place of a code, and refuses it after', async () => {
    const viewer = await viewerWithMfa();
    expect(viewer.recoveryCodes).toHaveLength(10);
    expect(new Set(viewer.recoveryCodes).size).toBe(10);
    const [recovery] = viewer.recoveryCodes;
    expect((await loginWith(viewer, { totp: recovery! })).statusCode).toBe(200);
    const again = await loginWith(viewer, { totp: recovery!.toLowerCase() });
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('invalid_credentials');
  });

  it('counts wrong codes in the login limits: after 5, even the right code gets 429', async () => {
    const viewer = await viewerWithMfa();
    const address = randomV4();
    for (let i = 0; i < 5; i++) {
      const guess = await loginWith(viewer, { totp: wrongCode(viewer.secret, t.clock.now) }, address);
      expect(guess.statusCode).toBe(401);
    }
    const limited = await loginWith(viewer, { totp: totpCode(viewer.secret, t.clock.now) }, address);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
  });

  it('refuses to replace a confirmed factor with an access token alone (409)', async () => {
    const viewer = await viewerWithMfa();
    const { access_token } = (await loginWith(viewer, { totp: totpCode(viewer.secret, t.clock.now) })).json();
    const again = await t.app.inject({ method: 'POST', url: '/v1/me/mfa', headers: bearer(access_token) });
    expect(again.statusCode).toBe(409);
    expect(JSON.stringify(again.json())).not.toContain(viewer.secret);
  });

  it('keeps the TOTP secret sealed at rest: the database never holds it in the clear', async () => {
    const viewer = await viewerWithMfa();
    const record = await t.services.stores.mfa.get(viewer.userId);
    expect(record?.sealedSecret).toMatch(/^v1\./);
    expect(record?.sealedSecret).not.toContain(viewer.secret);
  });
});

describe('attack: playing a require_mfa plan without a second factor', () => {
  let t: TestApp;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 'movie');
    viewer = await seedSubscriber(t.app, { plan: 'premium', titles: ['movie'] });
    await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'premium', titles: ['movie'], require_mfa: true } });
  });
  afterAll(() => t.close());

  const login = (extra: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password, ...extra } });
  const play = (accessToken: string) => t.app.inject({ method: 'POST', url: '/v1/playback', headers: bearer(accessToken), payload: { title_id: 'movie' } });

  it('refuses playback to a login that passed no second factor, its refreshed tokens too, even after MFA is turned on', async () => {
    const plain = (await login()).json();
    const refused = await play(plain.access_token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('mfa_required');
    t.clock.now = (Math.floor(t.clock.now / STEP_MS) + 1) * STEP_MS;
    const { secret } = await enrolMfa(t.app, bearer(plain.access_token), t.clock.now);
    const refreshed = (await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: plain.refresh_token } })).json();
    expect((await play(refreshed.access_token)).json().code).toBe('mfa_required');
    t.clock.now += STEP_MS;
    const withCode = (await login({ totp: totpCode(secret, t.clock.now) })).json();
    expect((await play(withCode.access_token)).statusCode).toBe(201);
    const refreshedMfa = (await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: withCode.refresh_token } })).json();
    expect((await play(refreshedMfa.access_token)).statusCode).toBe(201);
  });
});
