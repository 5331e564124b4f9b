import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');

describe('the tollgate command', () => {
  let dataDir: string;
  const env = () => ({ ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent' });
  const tollgate = (...args: string[]) =>
    run('node', [BIN, ...args], { env: env() }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-cli-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('prints help', async () => {
    const res = await tollgate('--help');
    expect(res.code).toBe(0);
    for (const c of ['demo', 'serve', 'users add', 'plans add', 'keys rotate']) expect(res.stdout).toContain(c);
  });

  it('creates plans and users that can log in, with a 0600 master key', { timeout: 60_000 }, async () => {
    const plan = await tollgate('plans', 'add', '--id', 'family', '--titles', 'a,b', '--max-streams', '3', '--stream-limit-mode', 'evict_oldest', '--count-by', 'device');
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toEqual({ id: 'family', titles: ['a', 'b'], max_streams: 3, stream_limit_mode: 'evict_oldest', count_by: 'device', max_devices: null, require_mfa: false, countries: {}, allowed_origins: [] });
    const strict = await tollgate('plans', 'add', '--id', 'strict', '--all', '--max-devices', '5', '--require-mfa');
    expect(JSON.parse(strict.stdout)).toEqual({ id: 'strict', titles: '*', max_streams: null, stream_limit_mode: 'refuse', count_by: 'session', max_devices: 5, require_mfa: true, countries: {}, allowed_origins: [] });
    const relaxed = await tollgate('plans', 'add', '--id', 'strict', '--all', '--no-require-mfa');
    expect(JSON.parse(relaxed.stdout)).toMatchObject({ max_devices: 5, require_mfa: false });
    expect((await tollgate('plans', 'add', '--id', 'strict', '--all', '--max-devices', '0')).code).not.toBe(0);
    const user = await tollgate('users', 'add', '--email', 'cli@example.com', '--password', 'from the cli', '--plan', 'family');
    expect(user.code).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ email: 'cli@example.com', plan_id: 'family' });
    expect((await stat(join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);

    const services = await compose(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent' }));
    const app = buildApp(services);
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'cli@example.com', password: 'from the cli' } });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
      await services.close();
    }
  });

  it('rotates keys; the new access key signs only after the JWKS cache lifetime', async () => {
    const before = Date.now();
    const res = await tollgate('keys', 'rotate');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ access_kid: expect.stringMatching(/^ac-/), playback_kid: expect.stringMatching(/^pl-/) });
    expect(Date.parse(out.access_signs_from) - before).toBeGreaterThanOrEqual(60_000);
  });

  it('refuses bad usage with exit 2, a refusal with exit 1, bad config with exit 78', async () => {
    const usage = await tollgate('plans', 'add', '--id', 'x');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--titles');
    const unknown = await tollgate('frobnicate');
    expect(unknown.code).toBe(2);
    const refused = await tollgate('users', 'add', '--email', 'n@example.com', '--password', 'long enough', '--plan', 'missing');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('missing');
    const config = await run('node', [BIN, 'keys', 'rotate'], { env: { ...env(), TOLLGATE_PORT: 'x' } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(config.code).toBe(78);
    expect(config.stderr).toContain('TOLLGATE_PORT');
  });

  it('refuses, as the admin API does, an email that is not name@domain', async () => {
    await tollgate('plans', 'add', '--id', 'emails', '--all');
    for (const email of ['no-at-sign', 'two@@example.com', 'a b@example.com', `${'x'.repeat(250)}@example.com`]) {
      const res = await tollgate('users', 'add', '--email', email, '--password', 'long enough', '--plan', 'emails');
      expect({ email, code: res.code }).toEqual({ email, code: 2 });
      expect(res.stderr).toContain('--email');
    }
  });
});
