/**
 * `tollgate package` off a terminal, `package --replace`, `titles list` and `titles remove`,
 * run as an operator would, beside a running instance on the same data directory.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClipToFile } from '../../src/media/ffmpeg-demo.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');

describe('tollgate package, titles list and titles remove', () => {
  let t: TestApp;
  let scratch: string;
  let clip: string;
  const tollgate = (...args: string[]) =>
    run('node', [BIN, ...args], { env: { ...process.env, TOLLGATE_DATA_DIR: t.config.dataDir, TOLLGATE_LOG_LEVEL: 'silent' } }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const keyIds = async (id: string) => (await t.services.stores.titles.contentKeys(id)).map((k) => k.kid);
  const startSession = async (): Promise<string> => {
    const viewer = await seedSubscriber(t.app, { plan: `p-${Math.random().toString(36).slice(2, 8)}`, titles: ['show'] });
    const bearer = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const res = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: bearer, payload: { title_id: 'show' } });
    expect(res.statusCode).toBe(201);
    return res.json().session_id;
  };

  beforeAll(async () => {
    t = await startTestApp();
    scratch = await mkdtemp(join(tmpdir(), 'tollgate-titles-cli-'));
    clip = join(scratch, 'clip.mp4');
    await demoClipToFile(clip, { durationSec: 4, width: 640, height: 360 });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('packages with a progress line per step when its output is not a terminal', { timeout: 120_000 }, async () => {
    const res = await tollgate('package', clip, '--title', 'show');
    expect(res.code).toBe(0);
    expect(res.stderr).not.toContain('\r');
    const lines = res.stderr.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^packaging show: \d{1,3}%( hls (encoded|encrypted) .+)?$/);
    expect(lines[0]).toBe('packaging show: 0%');
    expect(lines.some((l) => l.includes('hls encoded'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^packaging show: 100% hls encrypted \w+$/);
    expect(JSON.parse(res.stdout)).toMatchObject({ id: 'show', protocols: ['hls'] });
  });

  it('lists the registered titles with their protocols and key ids', async () => {
    const res = await tollgate('titles', 'list');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      titles: [expect.objectContaining({ id: 'show', protocols: ['hls'], key_ids: await keyIds('show') })],
    });
  });

  it('refuses to package over a title unless told to replace it, and to replace one that does not exist', async () => {
    const again = await tollgate('package', clip, '--title', 'show');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('title "show" already exists (--replace replaces it)');
    const missing = await tollgate('package', clip, '--title', 'other', '--replace');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('title "other" does not exist');
  });

  it('replaces a title: new keys and files, the old ones gone, its running sessions ended', { timeout: 120_000 }, async () => {
    const before = await keyIds('show');
    const session = await startSession();
    const res = await tollgate('package', clip, '--title', 'show', '--name', 'Show, recut', '--replace');
    expect(res.code).toBe(0);
    const after = await keyIds('show');
    expect(JSON.parse(res.stdout)).toMatchObject({ id: 'show', name: 'Show, recut', key_ids: after });
    expect(after.some((kid) => before.includes(kid))).toBe(false);
    expect(await t.services.stores.playbackSessions.get(session)).toMatchObject({ endedReason: 'title_replaced' });
    expect(await readdir(join(t.config.dataDir, 'media'))).toEqual(['show']);
  });

  it('removes a title: record, keys, media folder; its sessions end; a second removal is refused', async () => {
    const kids = await keyIds('show');
    const session = await startSession();
    const res = await tollgate('titles', 'remove', 'show');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ id: 'show', removed: true, ended_sessions: 1 });
    expect(await t.services.stores.titles.get('show')).toBeUndefined();
    for (const kid of kids) expect(await t.services.stores.titles.contentKey(kid)).toBeUndefined();
    expect(await readdir(join(t.config.dataDir, 'media'))).toEqual([]);
    expect(await t.services.stores.playbackSessions.get(session)).toMatchObject({ endedReason: 'title_removed' });
    expect(JSON.parse((await tollgate('titles', 'list')).stdout)).toEqual({ titles: [] });
    const again = await tollgate('titles', 'remove', 'show');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('title "show" does not exist');
  });
});
