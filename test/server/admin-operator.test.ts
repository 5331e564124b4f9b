/** The operator's admin routes answer with what they promise: users with streams, filters, and refusals of bad input. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('the operator routes', () => {
  let t: TestApp;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  let sessionId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 'movie');
    await registerSyntheticTitle(t.services, 'other');
    viewer = await seedSubscriber(t.app, { plan: 'movies', titles: ['movie'] });
    const token = (await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password, device_id: 'tv-1' } })).json().access_token;
    sessionId = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: { authorization: `Bearer ${token}` }, payload: { title_id: 'movie' } })).json().session_id;
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'PATCH' | 'POST', url: string, payload?: object) => t.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });

  it('finds a user by email in any case, with plan, devices and active streams', async () => {
    const res = await call('GET', `/v1/admin/users?email=${encodeURIComponent(viewer.email.toUpperCase())}`);
    expect(res.statusCode).toBe(200);
    const [user] = res.json().users;
    expect(user).toMatchObject({ user_id: viewer.userId, email: viewer.email, plan_id: 'movies', disabled: false });
    expect(user.devices).toEqual([expect.objectContaining({ device_id: 'tv-1', name: null })]);
    expect(user.streams).toEqual([expect.objectContaining({ session_id: sessionId, title_id: 'movie', device_id: 'tv-1', protocol: 'hls' })]);
    expect((await call('GET', '/v1/admin/users?email=nobody%40example.com')).json()).toEqual({ users: [] });
    expect((await call('GET', '/v1/admin/users')).json().users.map((u: { user_id: string }) => u.user_id)).toContain(viewer.userId);
  });

  it('lists active streams by user and by title', async () => {
    const byUser = (await call('GET', `/v1/admin/sessions?user_id=${viewer.userId}`)).json().sessions;
    expect(byUser.map((s: { session_id: string }) => s.session_id)).toEqual([sessionId]);
    expect((await call('GET', `/v1/admin/sessions?user_id=${viewer.userId}&title_id=other`)).json()).toEqual({ sessions: [] });
  });

  it('changes the plan only to a plan that exists', async () => {
    await call('POST', '/v1/admin/plans', { id: 'all', titles: '*' });
    expect((await call('PATCH', `/v1/admin/users/${viewer.userId}`, { plan_id: 'all' })).json().plan_id).toBe('all');
    expect((await call('PATCH', `/v1/admin/users/${viewer.userId}`, { plan_id: 'nope' })).json().code).toBe('not_found');
    expect((await call('PATCH', '/v1/admin/users/nobody', { disabled: true })).json().code).toBe('not_found');
    expect((await call('PATCH', `/v1/admin/users/${viewer.userId}`, { email: 'x@example.com' })).statusCode).toBe(400);
    await call('PATCH', `/v1/admin/users/${viewer.userId}`, { plan_id: 'movies' });
  });

  it('grants rentals only of existing titles to existing users, for a sane number of hours', async () => {
    const ok = await call('POST', `/v1/admin/users/${viewer.userId}/rentals`, { title_id: 'other', hours: 48, playback_hours: 24 });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ title_id: 'other', expires_at: new Date(t.clock.now + 48 * 3_600_000).toISOString(), playback_hours: 24 });
    expect((await call('POST', `/v1/admin/users/${viewer.userId}/rentals`, { title_id: 'nope', hours: 1 })).json().code).toBe('not_found');
    expect((await call('POST', '/v1/admin/users/nobody/rentals', { title_id: 'other', hours: 1 })).json().code).toBe('not_found');
    for (const hours of [0, -1, 100_000]) {
      expect((await call('POST', `/v1/admin/users/${viewer.userId}/rentals`, { title_id: 'other', hours })).statusCode).toBe(400);
    }
    const token = (await login(t.app, viewer.email, viewer.password)).json().access_token;
    const titles = (await t.app.inject({ method: 'GET', url: '/v1/titles', headers: { authorization: `Bearer ${token}` } })).json().titles;
    expect(titles.map((x: { id: string }) => x.id).sort()).toEqual(['movie', 'other']);
  });

  it('answers 404 for revoking an unknown user and ending an unknown stream', async () => {
    expect((await call('POST', '/v1/admin/users/nobody/revoke')).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/admin/sessions/nope', headers: admin })).statusCode).toBe(404);
  });
});
