/**
 * Threat: a login (refresh family) ends at its absolute lifetime, but what it issued lives on:
 * the access token minted by its last refresh worked for up to 10 more minutes, and playback
 * sessions it started ran for up to 6 hours. And a token validly signed with a long `exp`
 * (a signing bug, a key misused elsewhere) was believed for as long as it claimed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_TYPE } from '../../src/server/identity/service.js';
import { joseJwt } from '../../src/server/keys/jose-jwt.js';
import { login, seedSubscriber, startTestApp, type TestApp, requestLicense } from '../support/app.js';
import { LICENSE_PATHS } from '../support/license-paths.js';
import { registerSyntheticDashTitle, registerSyntheticTitle } from '../support/titles.js';

const LOGIN_TTL_SEC = 3600;

describe.each(LICENSE_PATHS)('attack: tokens outliving the login that issued them (licenses by the %s)', (via) => {
  let t: TestApp;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  let sdKid: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_REFRESH_TOKEN_TTL: String(LOGIN_TTL_SEC) } });
    await registerSyntheticTitle(t.services, 'movie');
    sdKid = (await registerSyntheticDashTitle(t.services, 'drm')).sd.kid;
    viewer = await seedSubscriber(t.app, { titles: ['movie', 'drm'] });
  });
  afterAll(() => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, '') });
  const me = (accessToken: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${accessToken}` } });
  const play = async (accessToken: string, titleId: string, protocol: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/playback',
      headers: { authorization: `Bearer ${accessToken}` },
      payload: { title_id: titleId, protocol },
    });
  const license = (url: string) => requestLicense(t, url, sdKid, via);

  /** Logs in, then moves the clock to a minute before the login ends and refreshes there. */
  async function lastMinuteOfALogin(): Promise<{ accessToken: string; endsAt: number }> {
    const loggedInAt = t.clock.now;
    const first = (await login(t.app, viewer.email, viewer.password)).json();
    const endsAt = loggedInAt + LOGIN_TTL_SEC * 1000;
    t.clock.now = endsAt - 60_000;
    const last = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: first.refresh_token } });
    expect(last.statusCode).toBe(200);
    return { accessToken: last.json().access_token, endsAt };
  }

  it('refuses the last access token of a login once the login has ended', async () => {
    const { accessToken, endsAt } = await lastMinuteOfALogin();
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString());
    expect(claims.exp * 1000).toBeLessThanOrEqual(endsAt);
    expect((await me(accessToken)).statusCode).toBe(200);
    t.clock.now = endsAt + 1_000; // inside the 30 s clock leeway of the token's own exp
    const after = await me(accessToken);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('token_expired');
  });

  it('refuses the manifests and segments of a playback session once its login has ended', async () => {
    const { accessToken, endsAt } = await lastMinuteOfALogin();
    const started = await play(accessToken, 'movie', 'hls');
    expect(started.statusCode).toBe(201);
    expect(Date.parse(started.json().expires_at)).toBeLessThanOrEqual(endsAt);
    const manifestUrl: string = started.json().manifest_url;
    expect((await get(manifestUrl)).statusCode).toBe(200); // verified and cached
    t.clock.now = endsAt + 1_000;
    for (const url of [manifestUrl, manifestUrl.replace('master.m3u8', '360p/seg_00000.ts')]) {
      const res = await get(url);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('token_expired');
    }
  });

  it('refuses licenses for a playback session once its login has ended', async () => {
    const { accessToken, endsAt } = await lastMinuteOfALogin();
    const started = await play(accessToken, 'drm', 'dash');
    expect(started.statusCode).toBe(201);
    const licenseUrl: string = started.json().license_url;
    expect((await license(licenseUrl)).statusCode).toBe(200);
    t.clock.now = endsAt + 1_000;
    const res = await license(licenseUrl);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('token_expired');
  });
});

describe('attack: a validly signed access token that claims too long a life', () => {
  let t: TestApp;
  let userId: string;
  let familyId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const viewer = await seedSubscriber(t.app);
    userId = viewer.userId;
    const token = (await login(t.app, viewer.email, viewer.password)).json().access_token;
    familyId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid;
  });
  afterAll(() => t.close());

  /** A token with the server's own current key, as a signing bug or a misused key would make. */
  async function forge(lifetimeSec: number, iatOffsetSec = 0): Promise<string> {
    const iat = Math.floor(t.clock.now / 1000) + iatOffsetSec;
    const claims = { iss: t.config.publicUrl, aud: ACCESS_TOKEN_AUDIENCE, sub: userId, sid: familyId, iat, exp: iat + lifetimeSec, jti: randomUUID() };
    return joseJwt.sign({ typ: ACCESS_TOKEN_TYPE, key: await t.services.accessKeys.current() }, claims);
  }
  const me = async (token: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });

  it('accepts a token of exactly the configured lifetime (the control)', async () => {
    expect((await me(await forge(t.config.accessTokenTtlSec))).statusCode).toBe(200);
  });

  it('refuses a token whose exp - iat exceeds the configured TTL plus leeway', async () => {
    for (const lifetime of [t.config.accessTokenTtlSec + 31, 86_400, 10 * 365 * 86_400]) {
      const res = await me(await forge(lifetime));
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_token');
    }
  });

  it('refuses a token issued in the future beyond the leeway', async () => {
    const res = await me(await forge(t.config.accessTokenTtlSec, 120));
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_token');
  });
});
