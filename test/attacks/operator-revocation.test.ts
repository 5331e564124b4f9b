/**
 * Threat: an account that keeps watching after an operator acts on it. A disabled user logs in
 * again, refreshes, uses the access tokens it holds, or keeps its running streams, keys and
 * licenses; a revoked user's logins and streams live on; a stream the operator ended keeps
 * playing from a gateway's cache.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MARK_RECHECK_MS } from '../../src/server/playback/liveness.js';
import { StoreUnavailableError } from '../../src/server/stores/unavailable.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp, requestLicense } from '../support/app.js';
import { LICENSE_PATHS } from '../support/license-paths.js';
import { registerSyntheticDashTitle, registerSyntheticTitle } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe.each(LICENSE_PATHS)('attack: watching on after the operator disabled or revoked the account (licenses by the %s)', (via) => {
  let t: TestApp;
  let hlsKid: string;
  let sdKid: string;

  beforeAll(async () => {
    t = await startTestApp();
    hlsKid = (await registerSyntheticTitle(t.services, 'movie')).kid;
    sdKid = (await registerSyntheticDashTitle(t.services, 'drm')).sd.kid;
  });
  afterAll(() => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, '') });
  const license = (url: string) => requestLicense(t, url, sdKid, via);

  /** A logged-in viewer watching both titles, each URL fetched once (so gateways cache the tokens). */
  async function watching() {
    const viewer = await seedSubscriber(t.app, { plan: 'everything', titles: '*' });
    const tokens = (await login(t.app, viewer.email, viewer.password)).json();
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const play = (titleId: string, protocol: string) => t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: titleId, protocol } });
    const hls = (await play('movie', 'hls')).json();
    const dash = (await play('drm', 'dash')).json();
    const media: string[] = [hls.manifest_url, hls.manifest_url.replace('master.m3u8', `keys/${hlsKid}`)];
    for (const url of media) expect((await get(url)).statusCode).toBe(200);
    expect((await license(dash.license_url)).statusCode).toBe(200);
    return { ...viewer, auth, refreshToken: tokens.refresh_token as string, media, licenseUrl: dash.license_url as string, sessions: [hls.session_id, dash.session_id] as string[] };
  }

  /** Everything the viewer held is refused, at the latest once the gateways' 2 s mark check is due. */
  async function expectAllStopped(v: Awaited<ReturnType<typeof watching>>) {
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: v.auth });
    expect(me.statusCode).toBe(401);
    expect(me.json().code).toBe('token_revoked');
    const refresh = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: v.refreshToken } });
    expect(refresh.statusCode).toBe(401);
    expect(refresh.json().code).toBe('token_revoked');
    t.clock.now += MARK_RECHECK_MS;
    for (const url of v.media) expect((await get(url)).statusCode, url).toBe(401);
    expect((await license(v.licenseUrl)).statusCode).toBe(401);
    const listed = (await t.app.inject({ method: 'GET', url: `/v1/admin/sessions?user_id=${v.userId}`, headers: admin })).json();
    expect(listed.sessions).toEqual([]);
  }

  it('refuses a disabled user: its tokens, refreshes, streams, keys and licenses, and new logins', async () => {
    const v = await watching();
    const patched = await t.app.inject({ method: 'PATCH', url: `/v1/admin/users/${v.userId}`, headers: admin, payload: { disabled: true } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ user_id: v.userId, disabled: true, streams: [] });
    await expectAllStopped(v);
    const again = await login(t.app, v.email, v.password);
    expect(again.statusCode).toBe(403);
    expect(again.json().code).toBe('forbidden');
  });

  it('lets a re-enabled user log in and watch again (the control)', async () => {
    const v = await watching();
    await t.app.inject({ method: 'PATCH', url: `/v1/admin/users/${v.userId}`, headers: admin, payload: { disabled: true } });
    await t.app.inject({ method: 'PATCH', url: `/v1/admin/users/${v.userId}`, headers: admin, payload: { disabled: false } });
    const tokens = (await login(t.app, v.email, v.password)).json();
    const res = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: { authorization: `Bearer ${tokens.access_token}` }, payload: { title_id: 'movie' } });
    expect(res.statusCode).toBe(201);
  });

  it('refuses keys and licenses to a disabled user even where a login escaped the revocation', async () => {
    const v = await watching();
    // As if the switch raced a login: the flag is set, but nothing was revoked or ended.
    await t.services.stores.users.update(v.userId, { disabledAt: t.clock.now });
    await t.services.entitlements.userChanged(v.userId); // as the operator's switch announces it
    expect((await get(v.media[1]!)).json().code).toBe('not_entitled');
    expect((await license(v.licenseUrl)).json().code).toBe('not_entitled');
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: v.auth });
    expect(me.json().code).toBe('token_revoked');
    const refresh = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: v.refreshToken } });
    expect(refresh.json().code).toBe('token_revoked');
  });

  it('ends every login and stream of a revoked user, who may log in again', async () => {
    const v = await watching();
    const second = (await login(t.app, v.email, v.password)).json();
    const res = await t.app.inject({ method: 'POST', url: `/v1/admin/users/${v.userId}/revoke`, headers: admin });
    expect(res.statusCode).toBe(204);
    await expectAllStopped(v);
    const secondRefresh = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: second.refresh_token } });
    expect(secondRefresh.json().code).toBe('token_revoked');
    expect((await login(t.app, v.email, v.password)).statusCode).toBe(200);
  });

  it('answers 503 to a revoke whose marks failed (Redis down), and marks on the retry', async () => {
    const v = await watching();
    const marking = vi.spyOn(t.services.hot, 'mark').mockRejectedValue(new StoreUnavailableError('Redis', new Error('connect ECONNREFUSED')));
    const revoke = () => t.app.inject({ method: 'POST', url: `/v1/admin/users/${v.userId}/revoke`, headers: admin });
    expect((await revoke()).statusCode).toBe(503);
    marking.mockRestore();
    expect((await revoke()).statusCode).toBe(204);
    t.clock.now += MARK_RECHECK_MS;
    for (const url of v.media) expect((await get(url)).json().code).toBe('token_revoked');
  });

  it('ends one stream the operator ended, and only that one', async () => {
    const v = await watching();
    const [hlsSession, dashSession] = v.sessions;
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/admin/sessions/${hlsSession}`, headers: admin });
    expect(res.statusCode).toBe(204);
    t.clock.now += MARK_RECHECK_MS;
    for (const url of v.media) expect((await get(url)).json().code).toBe('token_revoked');
    expect((await license(v.licenseUrl)).statusCode).toBe(200);
    const listed = (await t.app.inject({ method: 'GET', url: `/v1/admin/sessions?user_id=${v.userId}`, headers: admin })).json();
    expect(listed.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([dashSession]);
  });
});
