// The ffmpeg-free fallback: the committed clear sample encrypts through the same path, and
// decrypting the result gives back exactly the sample's bytes.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSampleDir, packageHlsFromClearSample } from '../../../src/media/hls/index.js';
import { decryptSegment, looksLikeClearTs } from './support.js';

const key = randomBytes(16);
const keyId = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-sample-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('assets/demo-sample', () => {
  it('is a small clear HLS tree with two renditions', async () => {
    const sample = demoSampleDir();
    let bytes = 0;
    for (const entry of await readdir(sample, { recursive: true })) {
      const s = await stat(join(sample, entry));
      if (s.isFile()) bytes += s.size;
    }
    expect(bytes).toBeLessThan(1_000_000);
    const master = await readFile(join(sample, 'master.m3u8'), 'utf8');
    expect(master).toContain('240p/index.m3u8');
    expect(master).toContain('360p/index.m3u8');
    expect(looksLikeClearTs(await readFile(join(sample, '240p', 'seg-00000.ts')))).toBe(true);
  });
});

describe('packageHlsFromClearSample', () => {
  it('encrypts the sample, and decryption restores every segment exactly', async () => {
    const sample = demoSampleDir();
    const outDir = join(dir, 'demo', 'hls');
    const result = await packageHlsFromClearSample({ sampleDir: sample, outDir, keyId, key });
    expect(result.renditions.map(({ name, width, height }) => ({ name, width, height }))).toEqual([
      { name: '240p', width: 426, height: 240 },
      { name: '360p', width: 640, height: 360 },
    ]);
    expect(result.durationSec).toBeCloseTo(4, 5);
    const master = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    expect(master).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,RESOLUTION=640x360,CODECS="avc1\.4d401e,mp4a\.40\.2"/);
    for (const rendition of ['240p', '360p']) {
      const list = await readFile(join(outDir, rendition, 'index.m3u8'), 'utf8');
      expect(list).toContain(`#EXT-X-KEY:METHOD=AES-128,URI="../keys/${keyId}"`);
      for (const [sequence, name] of ['seg-00000.ts', 'seg-00001.ts'].entries()) {
        const encrypted = await readFile(join(outDir, rendition, name));
        expect(looksLikeClearTs(encrypted)).toBe(false);
        const clear = await readFile(join(sample, rendition, name));
        expect(decryptSegment(encrypted, key, BigInt(sequence)).equals(clear)).toBe(true);
      }
    }
  });

  it('refuses a tree it cannot fully understand, leaving nothing behind', async () => {
    const bad = join(dir, 'bad-sample');
    await cp(demoSampleDir(), bad, { recursive: true });
    const list = join(bad, '240p', 'index.m3u8');
    await writeFile(list, (await readFile(list, 'utf8')).replace('seg-00001.ts', '../../secret.ts'));
    const parent = await mkdtemp(join(dir, 'out-'));
    await expect(
      packageHlsFromClearSample({ sampleDir: bad, outDir: join(parent, 'hls'), keyId, key }),
    ).rejects.toMatchObject({ reason: 'bad_sample', detail: expect.stringContaining('not a plain file name') });
    expect(await readdir(parent)).toEqual([]);
    await expect(
      packageHlsFromClearSample({ sampleDir: join(dir, 'nowhere'), outDir: join(parent, 'hls'), keyId, key }),
    ).rejects.toMatchObject({ reason: 'bad_sample', detail: expect.stringContaining('master.m3u8') });
    expect(await readdir(parent)).toEqual([]);
  });
});
