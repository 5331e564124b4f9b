/**
 * `tollgate users list|disable|enable|revoke|mfa-reset`, `sessions list` and `rentals add`, run as an
 * operator would, beside a running instance on the same data directory.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { enrolMfa } from '../support/mfa.js';
import { registerSyntheticTitle } from '../support/titles.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');

describe('tollgate users, sessions and rentals', () => {
  let t: TestApp;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  const tollgate = (...args: string[]) =>
    run('node', [BIN, ...args], { env: { ...process.env, TOLLGATE_DATA_DIR: t.config.dataDir, TOLLGATE_LOG_LEVEL: 'silent' } }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const bearer = async () => ({ authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` });
  const play = async (titleId: string) => t.app.inject({ method: 'POST', url: '/v1/playback', headers: await bearer(), payload: { title_id: titleId } });

  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 'movie');
    await registerSyntheticTitle(t.services, 'premiere');
    viewer = await seedSubscriber(t.app, { plan: 'movies', titles: ['movie'] });
  });
  afterAll(() => t.close());

  it('rents a title: the user may start it, for the hours given', async () => {
    expect((await play('premiere')).json().code).toBe('not_entitled');
    const res = await tollgate('rentals', 'add', '--email', viewer.email.toUpperCase(), '--title', 'premiere', '--hours', '48', '--playback-hours', '24');
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(res.stdout)).toMatchObject({ email: viewer.email, title_id: 'premiere', playback_hours: 24 });
    expect((await play('premiere')).statusCode).toBe(201);
  });

  it('refuses rentals for unknown users and titles (exit 1) and bad hours (exit 2)', async () => {
    expect(await tollgate('rentals', 'add', '--email', 'nobody@example.com', '--title', 'premiere', '--hours', '1')).toMatchObject({ code: 1, stderr: 'refused: no user with email nobody@example.com\n' });
    expect((await tollgate('rentals', 'add', '--email', viewer.email, '--title', 'nope', '--hours', '1')).code).toBe(1);
    for (const hours of ['0', '-2', 'soon', '100000']) {
      const res = await tollgate('rentals', 'add', '--email', viewer.email, '--title', 'premiere', `--hours=${hours}`);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('--hours must be a number of hours');
    }
    expect((await tollgate('rentals', 'add', '--email', viewer.email, '--title', 'premiere')).stderr).toContain('--hours is required');
  });

  it('lists users and their streams, and streams by email', async () => {
    const { session_id: sessionId } = (await play('movie')).json();
    const users = JSON.parse((await tollgate('users', 'list', '--email', viewer.email)).stdout).users;
    expect(users).toEqual([expect.objectContaining({ user_id: viewer.userId, plan_id: 'movies', disabled: false, devices: [] })]);
    expect(users[0].streams.map((s: { session_id: string }) => s.session_id)).toContain(sessionId);
    const sessions = JSON.parse((await tollgate('sessions', 'list', '--email', viewer.email)).stdout).sessions;
    expect(sessions.map((s: { session_id: string }) => s.session_id)).toContain(sessionId);
    expect(JSON.parse((await tollgate('sessions', 'list')).stdout).sessions.length).toBeGreaterThanOrEqual(sessions.length);
    expect(JSON.parse((await tollgate('users', 'list')).stdout).users.map((u: { email: string }) => u.email)).toContain(viewer.email);
    expect((await tollgate('sessions', 'list', '--email', 'nobody@example.com')).code).toBe(1);
  });

  it('revokes a user: its tokens are refused and its streams end; it may log in again', async () => {
    const auth = await bearer();
    await play('movie');
    const res = await tollgate('users', 'revoke', '--email', viewer.email);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ user_id: viewer.userId, revoked: true });
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: auth })).json().code).toBe('token_revoked');
    expect(JSON.parse((await tollgate('sessions', 'list', '--email', viewer.email)).stdout).sessions).toEqual([]);
    expect((await login(t.app, viewer.email, viewer.password)).statusCode).toBe(200);
  });

  it('disables a user (no login) and enables it again', async () => {
    const disabled = await tollgate('users', 'disable', '--email', viewer.email);
    expect(disabled.code).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ disabled: true });
    expect((await login(t.app, viewer.email, viewer.password)).json().code).toBe('forbidden');
    expect(JSON.parse((await tollgate('users', 'enable', '--email', viewer.email)).stdout)).toMatchObject({ disabled: false });
    expect((await login(t.app, viewer.email, viewer.password)).statusCode).toBe(200);
    expect((await tollgate('users', 'disable', '--email', 'not-an-email')).code).toBe(2);
  });

  it('resets a user\'s second factor: every login ends, and the password alone logs in', async () => {
    const other = await seedSubscriber(t.app, { plan: 'movies', titles: ['movie'] });
    const auth = { authorization: `Bearer ${(await login(t.app, other.email, other.password)).json().access_token}` };
    await enrolMfa(t.app, auth, other.password, t.clock.now);
    expect((await login(t.app, other.email, other.password)).json().code).toBe('mfa_required');
    const res = await tollgate('users', 'mfa-reset', '--email', other.email);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(res.stdout)).toEqual({ user_id: other.userId, email: other.email, mfa: false, revoked: true });
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: auth })).json().code).toBe('token_revoked');
    expect((await login(t.app, other.email, other.password)).statusCode).toBe(200);
    expect((await tollgate('users', 'mfa-reset', '--email', 'nobody@example.com')).code).toBe(1);
    expect((await tollgate('users', 'mfa-reset')).code).toBe(2);
  });
});
