// `tollgate package --watermark` (issue 13): the title is registered with A and B variants of
// each HLS rendition, each variant segment hard-linked under its edge name in v/, and a
// watermark key that no key export carries; DASH alone is marked the same way and traced on its
// DASH variants (test/e2e/watermark-trace-dash.test.ts), DASH beside HLS too
// (test/attacks/watermark-dash.test.ts).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATERMARK_KEY_LABEL } from '../../src/core/drm/policy.js';
import { variantName, variantNameKey } from '../../src/media/watermark/variant-names.js';
import { compose } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { stagingRoot } from '../../src/server/catalog/staging-area.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
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
    expect((await readdir(rendition)).sort()).toEqual(['a', 'b', 'index.m3u8', 'v']);
    expect(await readdir(join(rendition, 'b'))).toEqual(await readdir(join(rendition, 'a')));
    const cpix = await tollgate('keys', 'export', '--title', 'wm', '--format', 'cpix');
    expect(cpix.code, cpix.stderr).toBe(0);
    const hlsKid = out.key_ids.find((kid) => cpix.stdout.includes(kid));
    const watermarkKid = out.key_ids.find((kid) => kid !== hlsKid);
    expect(watermarkKid).toBeDefined();
    expect(cpix.stdout).not.toContain(watermarkKid!);
  }, 300_000);

  it('links every variant segment under its edge name in v/: the same file (one inode), the name derived from the watermark key', async () => {
    const services = await compose(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent' }));
    let watermarkKey: Uint8Array;
    try {
      const record = (await services.stores.titles.contentKeys('wm')).find((k) => k.label === WATERMARK_KEY_LABEL)!;
      watermarkKey = openContentKey(services.sealer, record.kid, record.sealed);
    } finally {
      await services.close();
    }
    const nameKey = variantNameKey(watermarkKey);
    const rendition = join(dataDir, 'media', 'wm', 'hls', '180p');
    const segments = await readdir(join(rendition, 'a'));
    expect(segments.length).toBeGreaterThanOrEqual(2);
    const expected = new Map<string, string>();
    for (const variant of ['a', 'b'] as const) {
      for (const file of segments) {
        const n = Number(/^seg-(\d+)\.ts$/.exec(file)![1]);
        expected.set(`${variantName(nameKey, 'hls/180p', n, variant)}.ts`, join(rendition, variant, file));
      }
    }
    expect((await readdir(join(rendition, 'v'))).sort()).toEqual([...expected.keys()].sort());
    expect(expected.size).toBe(2 * segments.length); // no two names alike
    for (const [name, original] of expected) {
      const [linked, source] = await Promise.all([stat(join(rendition, 'v', name)), stat(original)]);
      expect(linked.ino, name).toBe(source.ino);
      expect(linked.dev).toBe(source.dev);
      expect(source.nlink).toBe(2);
    }
  });

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
    expect((await readdir(representation)).sort()).toEqual(['a', 'b', 'init-0.m4s', 'v']);
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
