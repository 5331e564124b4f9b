// `tollgate package --watermark` (issue 13): the title is registered with A and B variants of
// each HLS rendition and a watermark key that no key export carries; DASH alone is marked the same
// way and traced on its DASH variants (test/e2e/watermark-trace-dash.test.ts), DASH beside HLS
// too (test/attacks/watermark-dash.test.ts).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingRoot } from '../../src/server/catalog/staging-area.js';
import { gradientClip } from '../media/watermark/support.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');

describe('tollgate package --watermark', () => {
  let dataDir: string;
  const tollgate = (...args: string[]) =>
    run('node', [BIN, ...args], { env: { ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent' } }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-wm-cli-'));
    await gradientClip(join(dataDir, 'clip.mp4'), 6, '320x180');
  }, 120_000);
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('packages A and B variants and keeps the watermark key out of the CPIX export', async () => {
    const res = await tollgate('package', join(dataDir, 'clip.mp4'), '--title', 'wm', '--watermark');
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { protocols: string[]; key_ids: string[] };
    expect(out.protocols).toEqual(['hls']);
    expect(out.key_ids).toHaveLength(2); // the HLS key and the watermark key
    const rendition = join(dataDir, 'media', 'wm', 'hls', '180p');
    expect((await readdir(rendition)).sort()).toEqual(['a', 'b', 'index.m3u8']);
    expect(await readdir(join(rendition, 'b'))).toEqual(await readdir(join(rendition, 'a')));
    const cpix = await tollgate('keys', 'export', '--title', 'wm', '--format', 'cpix');
    expect(cpix.code, cpix.stderr).toBe(0);
    const hlsKid = out.key_ids.find((kid) => cpix.stdout.includes(kid));
    const watermarkKid = out.key_ids.find((kid) => kid !== hlsKid);
    expect(watermarkKid).toBeDefined();
    expect(cpix.stdout).not.toContain(watermarkKid!);
  }, 300_000);

  it('traces: refuses an unknown title and a missing leak file; with no sessions names nobody', async () => {
    const unknown = await tollgate('trace', join(dataDir, 'clip.mp4'), '--title', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('title "nope" does not exist');
    const missing = await tollgate('trace', join(dataDir, 'no-such.mp4'), '--title', 'wm');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no-such.mp4');
    const none = await tollgate('trace', join(dataDir, 'clip.mp4'), '--title', 'wm');
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ title_id: 'wm', sessions_compared: 0, candidates: [] });
  }, 120_000);

  it('packages DASH alone with A and B variants of its video, and traces it', async () => {
    const res = await tollgate('package', join(dataDir, 'clip.mp4'), '--title', 'wm-dash', '--watermark', '--dash');
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { protocols: string[]; key_ids: string[] };
    expect(out.protocols).toEqual(['dash']);
    expect(out.key_ids).toHaveLength(2); // the SD key and the watermark key
    const representation = join(dataDir, 'media', 'wm-dash', 'dash', '180p');
    expect((await readdir(representation)).sort()).toEqual(['a', 'b', 'init-0.m4s']);
    const segments = await readdir(join(representation, 'a'));
    expect(segments.length).toBeGreaterThanOrEqual(3);
    expect(await readdir(join(representation, 'b'))).toEqual(segments);
    const traced = await tollgate('trace', join(dataDir, 'clip.mp4'), '--title', 'wm-dash');
    expect(traced.code, traced.stderr).toBe(0);
    expect(JSON.parse(traced.stdout)).toMatchObject({ title_id: 'wm-dash', segments_read: segments.length, sessions_compared: 0, candidates: [] });
    // The decrypted variants were written to a private scratch folder, removed once traced.
    expect((await readdir(stagingRoot(dataDir))).filter((name) => name.startsWith('trace'))).toEqual([]);
  }, 300_000);
});
