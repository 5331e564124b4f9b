// Marking (issue 13): `packageHls` with a watermark key makes variants A and B of every video
// rendition, cut at the same times, encrypted with the same key, invisible (PSNR ≥ 45 dB
// against an unmarked encode at the same settings, by ffmpeg's psnr filter) and still
// carrying the keyed pattern (B−A per block has the pattern's sign).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageHls } from '../../../src/media/hls/index.js';
import { readBlockFrames } from '../../../src/media/watermark/frames.js';
import { GRID, patternSigns } from '../../../src/media/watermark/pattern.js';
import { decryptRendition, gradientClip, lumaPsnr } from './support.js';

const key = randomBytes(16);
const watermarkKey = randomBytes(16);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-wm-mark-'));
  await gradientClip(join(dir, 'clip.mp4'), 12);
  const common = { input: join(dir, 'clip.mp4'), keyId: 'kid-wm', key, segmentSec: 4 };
  await packageHls({ ...common, outDir: join(dir, 'marked'), watermarkKey });
  await packageHls({ ...common, outDir: join(dir, 'plain') });
  await decryptRendition(join(dir, 'plain', '240p'), key, join(dir, 'plain.ts'));
  for (const v of ['a', 'b']) await decryptRendition(join(dir, 'marked', '240p'), key, join(dir, `${v}.ts`), () => v);
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('packageHls --watermark', () => {
  it('stores A and B side by side under one playlist that names each segment once', async () => {
    const rendition = join(dir, 'marked', '240p');
    expect((await readdir(rendition)).sort()).toEqual(['a', 'b', 'index.m3u8', 'v']);
    const a = (await readdir(join(rendition, 'a'))).sort();
    expect(a).toEqual(['seg-00000.ts', 'seg-00001.ts', 'seg-00002.ts']);
    expect((await readdir(join(rendition, 'b'))).sort()).toEqual(a);
    expect(await readdir(join(rendition, 'v'))).toHaveLength(6); // both variants under their edge names
    const playlist = await readFile(join(rendition, 'index.m3u8'), 'utf8');
    expect(playlist).toContain('\nseg-00000.ts\n');
    expect(playlist).not.toMatch(/[ab]\/seg/);
    expect(playlist).toBe(await readFile(join(dir, 'plain', '240p', 'index.m3u8'), 'utf8'));
  });

  it('marks invisibly: each variant ≥ 45 dB luma PSNR against the unmarked encode', async () => {
    for (const v of ['a', 'b']) expect(await lumaPsnr(join(dir, `${v}.ts`), join(dir, 'plain.ts'))).toBeGreaterThanOrEqual(45);
  }, 120_000);

  it('A and B differ by the keyed pattern: B−A per block has its sign', async () => {
    const [a, b] = await Promise.all(['a', 'b'].map((v) => readBlockFrames(join(dir, `${v}.ts`), 25)));
    const signs = patternSigns(watermarkKey);
    expect(a!.frames.length).toBe(b!.frames.length);
    let agree = 0;
    for (let block = 0; block < GRID * GRID; block++) {
      const diff = a!.frames.reduce((sum, frame, f) => sum + b!.frames[f]![block]! - frame[block]!, 0);
      if (Math.sign(diff) === signs[block]) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(0.95 * GRID * GRID);
  }, 120_000);
});
