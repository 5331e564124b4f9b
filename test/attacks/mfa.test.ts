/**
 * Attacks on two-factor login: a stolen password alone, a TOTP code replayed within its step
 * (one after another or in a parallel race), a recovery code used twice, guessing codes past
 * the login limits, and playing a require_mfa plan with a login that never passed a second
 * factor. Attacks on changing the factor: an access-token thief enrolling its own
 * authenticator, replacing the victim's or turning it off (each needs the password, and a
 * current code when a factor is on); guessing the password through those routes faster than
 * through login (same limits, same password-work bound); a recovery code spent on one route
 * used again on another; and the operator's reset leaving an old login alive.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
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
    const enrolled = await enrolMfa(t.app, bearer(access_token), viewer.password, t.clock.now);
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
    const { secret } = await enrolMfa(t.app, bearer(plain.access_token), viewer.password, t.clock.now);
    const refreshed = (await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: plain.refresh_token } })).json();
    expect((await play(refreshed.access_token)).json().code).toBe('mfa_required');
    t.clock.now += STEP_MS;
    const withCode = (await login({ totp: totpCode(secret, t.clock.now) })).json();
    expect((await play(withCode.access_token)).statusCode).toBe(201);
    const refreshedMfa = (await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: withCode.refresh_token } })).json();
    expect((await play(refreshedMfa.access_token)).statusCode).toBe(201);
  });
});

describe('attack: changing the second factor with a stolen access token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', TOLLGATE_LOGIN_QUEUE: '1000' } });
  });
  afterAll(() => t.close());

  const loginWith = (viewer: { email: string; password: string }, extra: Record<string, string> = {}, address = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: address, payload: { email: viewer.email, password: viewer.password, ...extra } });
  const enrol = (accessToken: string, payload?: Record<string, string>, address = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/v1/me/mfa', remoteAddress: address, headers: bearer(accessToken), ...(payload ? { payload } : {}) });
  const turnOff = (accessToken: string, payload?: Record<string, string>) =>
    t.app.inject({ method: 'DELETE', url: '/v1/me/mfa', headers: bearer(accessToken), ...(payload ? { payload } : {}) });
  const atStepStart = () => {
    t.clock.now = (Math.floor(t.clock.now / STEP_MS) + 1) * STEP_MS;
  };

  /** A subscriber logged in (no factor yet): its access token is what the thief holds. */
  async function victim() {
    const viewer = await seedSubscriber(t.app, { plan: `victim-${randomUUID()}`, titles: '*' });
    const { access_token } = (await loginWith(viewer)).json();
    return { ...viewer, accessToken: access_token as string };
  }

  /** A victim with MFA on; the clock at the start of the step after the confirming one. */
  async function victimWithMfa() {
    const v = await victim();
    atStepStart();
    const enrolled = await enrolMfa(t.app, bearer(v.accessToken), v.password, t.clock.now);
    t.clock.now += STEP_MS;
    return { ...v, ...enrolled };
  }

  it('cannot enrol an authenticator on an account without one: no password is 400, a wrong one 401, and nothing is stored', async () => {
    const v = await victim();
    const bare = await enrol(v.accessToken);
    expect(bare.statusCode).toBe(400);
    const empty = await enrol(v.accessToken, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().detail).toContain('password');
    const wrong = await enrol(v.accessToken, { password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    expect(await t.services.stores.mfa.get(v.userId)).toBeUndefined();
    // The owner, with the password, can.
    expect((await enrol(v.accessToken, { password: v.password })).statusCode).toBe(200);
  });

  it('cannot replace the victim\'s authenticator with the password alone (401 mfa_required) or a wrong code; the factor stays', async () => {
    const v = await victimWithMfa();
    const before = await t.services.stores.mfa.get(v.userId);
    const noCode = await enrol(v.accessToken, { password: v.password });
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().code).toBe('mfa_required');
    const wrong = await enrol(v.accessToken, { password: v.password, totp: wrongCode(v.secret, t.clock.now) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    const badPassword = await enrol(v.accessToken, { password: 'not the password', totp: totpCode(v.secret, t.clock.now) });
    expect(badPassword.json().code).toBe('invalid_credentials');
    expect(await t.services.stores.mfa.get(v.userId)).toEqual(before);
    expect((await loginWith(v, { totp: totpCode(v.secret, t.clock.now) })).statusCode).toBe(200);
  });

  it('lets the owner replace it with a current code: the old factor works until the new one is confirmed, then only the new one', async () => {
    const v = await victimWithMfa();
    const started = await enrol(v.accessToken, { password: v.password, totp: totpCode(v.secret, t.clock.now) });
    expect(started.statusCode).toBe(200);
    const next: string = started.json().secret;
    expect(next).not.toBe(v.secret);
    t.clock.now += STEP_MS;
    // Not yet confirmed: the account still needs a code, and the old authenticator's.
    expect((await loginWith(v)).json().code).toBe('mfa_required');
    expect((await loginWith(v, { totp: totpCode(next, t.clock.now) })).statusCode).toBe(401);
    expect((await loginWith(v, { totp: totpCode(v.secret, t.clock.now) })).statusCode).toBe(200);
    const confirmed = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/confirm', headers: bearer(v.accessToken), payload: { totp: totpCode(next, t.clock.now) } });
    expect(confirmed.statusCode).toBe(200);
    t.clock.now += STEP_MS;
    expect((await loginWith(v, { totp: totpCode(v.secret, t.clock.now) })).statusCode).toBe(401);
    expect((await loginWith(v, { totp: v.recoveryCodes[0]! })).statusCode).toBe(401); // the old recovery codes went with it
    expect((await loginWith(v, { totp: totpCode(next, t.clock.now) })).statusCode).toBe(200);
    expect((await loginWith(v, { totp: confirmed.json().recovery_codes[0] })).statusCode).toBe(200);
  });

  it('cannot turn the factor off with the token alone, the password alone, or a wrong code; the owner can, once', async () => {
    const v = await victimWithMfa();
    expect((await turnOff(v.accessToken)).statusCode).toBe(400);
    const noCode = await turnOff(v.accessToken, { password: v.password });
    expect(noCode.statusCode).toBe(400);
    expect(noCode.json().detail).toContain('totp');
    expect((await turnOff(v.accessToken, { password: v.password, totp: wrongCode(v.secret, t.clock.now) })).json().code).toBe('invalid_credentials');
    expect((await turnOff(v.accessToken, { password: 'not the password', totp: totpCode(v.secret, t.clock.now) })).json().code).toBe('invalid_credentials');
    expect((await loginWith(v)).json().code).toBe('mfa_required');
    expect((await turnOff(v.accessToken, { password: v.password, totp: totpCode(v.secret, t.clock.now) })).statusCode).toBe(204);
    expect((await loginWith(v)).statusCode).toBe(200);
    const again = await turnOff(v.accessToken, { password: v.password, totp: v.recoveryCodes[0]! });
    expect(again.statusCode).toBe(409);
  });

  it('spends a recovery code used on these routes: it does not work again here or at login', async () => {
    const v = await victimWithMfa();
    const [recovery] = v.recoveryCodes;
    expect((await enrol(v.accessToken, { password: v.password, totp: recovery! })).statusCode).toBe(200);
    expect((await enrol(v.accessToken, { password: v.password, totp: recovery! })).json().code).toBe('invalid_credentials');
    expect((await turnOff(v.accessToken, { password: v.password, totp: recovery! })).json().code).toBe('invalid_credentials');
    expect((await loginWith(v, { totp: recovery! })).json().code).toBe('invalid_credentials');
  });

  it('limits password guessing through the enrol route like login: after 5 failures even the right password gets 429, at login too', async () => {
    const v = await victim();
    const address = randomV4();
    for (let i = 0; i < 5; i++) {
      const guess = await enrol(v.accessToken, { password: `guess-${i}` }, address);
      expect(guess.statusCode).toBe(401);
    }
    const limited = await enrol(v.accessToken, { password: v.password }, address);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await loginWith(v, {}, address)).statusCode).toBe(429);
  });

  it('the operator\'s reset turns the factor off and ends every login: old tokens are refused, the password alone logs in', async () => {
    const v = await victimWithMfa();
    const withCode = (await loginWith(v, { totp: totpCode(v.secret, t.clock.now) })).json();
    const reset = await t.app.inject({ method: 'DELETE', url: `/v1/admin/users/${v.userId}/mfa`, headers: admin });
    expect(reset.statusCode).toBe(204);
    for (const token of [v.accessToken, withCode.access_token]) {
      const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) });
      expect(me.statusCode).toBe(401);
      expect(me.json().code).toBe('token_revoked');
    }
    const refreshed = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: withCode.refresh_token } });
    expect(refreshed.json().code).toBe('token_revoked');
    expect(await t.services.stores.mfa.get(v.userId)).toBeUndefined();
    expect((await loginWith(v, { totp: v.recoveryCodes[1]! })).statusCode).toBe(200); // no factor: the code is ignored
    expect((await loginWith(v)).statusCode).toBe(200);
    const unknown = await t.app.inject({ method: 'DELETE', url: '/v1/admin/users/no-such-user/mfa', headers: admin });
    expect(unknown.statusCode).toBe(404);
    const asViewer = await t.app.inject({ method: 'DELETE', url: `/v1/admin/users/${v.userId}/mfa`, headers: bearer((await loginWith(v)).json().access_token) });
    expect(asViewer.statusCode).toBe(403);
  });
});

describe('attack: a flood of enrolments to burn password work', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_LOGIN_CONCURRENCY: '1', TOLLGATE_LOGIN_QUEUE: '2' } });
  });
  afterAll(() => t.close());

  it('runs the enrol route\'s password checks under the login work bound: the excess gets 503, nothing 500', async () => {
    const v = await seedSubscriber(t.app, { plan: 'flood', titles: '*' });
    const { access_token } = (await login(t.app, v.email, v.password)).json();
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        t.app.inject({ method: 'POST', url: '/v1/me/mfa', remoteAddress: randomV4(), headers: bearer(access_token), payload: { password: 'wrong password' } }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(new Set(statuses)).toEqual(new Set([401, 503]));
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(20);
    for (const r of answers.filter((a) => a.statusCode === 503)) expect(r.json().code).toBe('unavailable');
  });
});
