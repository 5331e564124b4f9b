// packageHls with the real ffmpeg: the ladder, the encryption (checked byte-wise and by ffmpeg
// playing the result over HTTP with the key), and all-or-nothing output on failure and abort.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClipToFile } from '../../../src/media/ffmpeg-demo.js';
import { MediaError } from '../../../src/media/ffmpeg.js';
import { packageHls } from '../../../src/media/hls/index.js';
import type { PackagedHls } from '../../../src/media/hls/index.js';
import { decryptSegment, firstSectionCrcValid, looksLikeClearTs, startOrigin, TS_PACKET } from './support.js';

const run = promisify(execFile);
const key = randomBytes(16);
const keyId = 'kid-3f2a';
const FRAMES = 75; // 3 s at 25 fps

let dir: string;
let clip: string;
let outDir: string;
let result: PackagedHls;
const progress: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-hls-test-'));
  clip = join(dir, 'clip.mp4');
  await demoClipToFile(clip, { durationSec: 3, width: 854, height: 480 });
  outDir = join(dir, 'title', 'hls');
  result = await packageHls({ input: clip, outDir, keyId, key, segmentSec: 2, onProgress: (f) => progress.push(f) });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('packageHls', () => {
  it('builds the ladder up to the source height, never upscaling', () => {
    expect(result.renditions.map(({ name, width, height }) => ({ name, width, height }))).toEqual([
      { name: '240p', width: 426, height: 240 },
      { name: '480p', width: 854, height: 480 },
    ]);
    expect(result.durationSec).toBeCloseTo(3, 1);
    for (const r of result.renditions) expect(r.bandwidth).toBeGreaterThan(0);
  });

  it('writes a multivariant playlist with BANDWIDTH, RESOLUTION and CODECS', async () => {
    const master = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    const inf = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(inf).toHaveLength(2);
    expect(inf[0]).toMatch(/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,RESOLUTION=426x240,CODECS="avc1\.4d40[0-9a-f]{2},mp4a\.40\.2"/);
    expect(inf[1]).toMatch(/RESOLUTION=854x480,CODECS="avc1\.4d40[0-9a-f]{2},mp4a\.40\.2"/);
    expect(master).toContain('240p/index.m3u8\n');
    expect(master).toContain('480p/index.m3u8\n');
  });

  it('publishes only playlists and encrypted segments: no key, no clear media, no staging', async () => {
    expect((await readdir(outDir)).sort()).toEqual(['240p', '480p', 'master.m3u8']);
    expect((await readdir(join(outDir, '240p'))).sort()).toEqual(['index.m3u8', 'seg-00000.ts', 'seg-00001.ts']);
    expect(await readdir(join(dir, 'title'))).toEqual(['hls']);
  });

  it('references the key relatively, without an IV attribute, and aligns segments across renditions', async () => {
    const lists = await Promise.all(['240p', '480p'].map((r) => readFile(join(outDir, r, 'index.m3u8'), 'utf8')));
    for (const list of lists) {
      expect(list).toContain(`#EXT-X-KEY:METHOD=AES-128,URI="../keys/${keyId}"\n`);
      expect(list).not.toContain('IV=');
      expect(list).toContain('#EXT-X-MEDIA-SEQUENCE:0\n');
      expect(list).toContain('#EXT-X-TARGETDURATION:2\n');
      expect(list.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    }
    const durations = lists.map((l) => l.split('\n').filter((x) => x.startsWith('#EXTINF:')));
    expect(durations[0]).toEqual(durations[1]);
    expect(durations[0]).toEqual(['#EXTINF:2.000000,', '#EXTINF:1.000000,']);
  });

  it('encrypts every segment with the key and its sequence-number IV', async () => {
    for (const rendition of ['240p', '480p']) {
      for (const [sequence, name] of ['seg-00000.ts', 'seg-00001.ts'].entries()) {
        const encrypted = await readFile(join(outDir, rendition, name));
        expect(encrypted.length % 16).toBe(0);
        expect(looksLikeClearTs(encrypted)).toBe(false);
        const clear = decryptSegment(encrypted, key, BigInt(sequence));
        expect(looksLikeClearTs(clear)).toBe(true);
        expect(firstSectionCrcValid(clear)).toBe(true);
        // The same bytes under a neighbouring IV fail the first-block check: the IV is really used.
        expect(firstSectionCrcValid(decryptSegment(encrypted, key, BigInt(sequence + 1)))).toBe(false);
        expect(clear.length % TS_PACKET).toBe(0);
      }
    }
  });

  it('plays in ffmpeg from the master playlist over HTTP, every frame of every rendition', async () => {
    const origin = await startOrigin(outDir, keyId, key);
    try {
      const { stderr } = await run('ffmpeg', [
        '-hide_banner', '-nostdin', '-v', 'verbose', '-i', `${origin.url}/master.m3u8`, '-map', '0', '-f', 'null', '-',
      ]);
      const decoded = [...stderr.matchAll(/Input stream #\d+:\d+ \(video\): \d+ packets read \(\d+ bytes\); (\d+) frames decoded/g)];
      expect(decoded.map((m) => Number(m[1]))).toEqual([FRAMES, FRAMES]);
      expect(stderr).not.toMatch(/error while decoding|Invalid data found|decryption/i);
      expect(origin.keyRequests()).toBeGreaterThan(0);
    } finally {
      await origin.close();
    }
  });

  it('does not play in ffmpeg with a wrong key', async () => {
    const origin = await startOrigin(outDir, keyId, randomBytes(16));
    try {
      const play = run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', `${origin.url}/240p/index.m3u8`, '-f', 'null', '-']);
      await expect(play).rejects.toMatchObject({ code: 1 });
    } finally {
      await origin.close();
    }
  });

  it('reports non-decreasing progress ending at 1', () => {
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= (progress[i - 1] ?? 0)))).toBe(true);
    expect(progress.at(-1)).toBe(1);
  });

  it('refuses to overwrite an existing output folder', async () => {
    await expect(packageHls({ input: clip, outDir, keyId, key })).rejects.toMatchObject({ reason: 'output_exists' });
  });
});

describe('packageHls failures leave nothing behind', () => {
  async function expectNothingAt(parent: string): Promise<void> {
    await expect(readdir(parent)).resolves.toEqual([]);
  }

  it('rejects a text file as not media', async () => {
    const parent = await mkdtemp(join(dir, 'bad-'));
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'this is not a video\n');
    const err = await packageHls({ input: text, outDir: join(parent, 'hls'), keyId, key }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ reason: 'not_media', code: 'unsupported_media_type' });
    expect((err as MediaError).detail).toMatch(/not a media file/);
    await expectNothingAt(parent);
  });

  it('rejects a missing file', async () => {
    const parent = await mkdtemp(join(dir, 'missing-'));
    const err = await packageHls({ input: join(dir, 'nope.mp4'), outDir: join(parent, 'hls'), keyId, key }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'input_missing', code: 'not_found' });
    expect((err as MediaError).detail).toMatch(/not found/);
    await expectNothingAt(parent);
  });

  it('rejects an audio-only file', async () => {
    const parent = await mkdtemp(join(dir, 'audio-'));
    const audio = join(dir, 'tone.m4a');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', audio]);
    await expect(packageHls({ input: audio, outDir: join(parent, 'hls'), keyId, key })).rejects.toMatchObject({
      reason: 'no_video',
    });
    await expectNothingAt(parent);
  });

  it('rejects a bad key or key id before doing any work', async () => {
    const outDir2 = join(dir, 'never');
    await expect(packageHls({ input: clip, outDir: outDir2, keyId, key: key.subarray(0, 8) })).rejects.toMatchObject({
      reason: 'bad_argument',
    });
    await expect(packageHls({ input: clip, outDir: outDir2, keyId: '../x', key })).rejects.toMatchObject({
      reason: 'bad_argument',
    });
    await expect(readdir(outDir2)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stops on abort, kills ffmpeg and removes its working files', async () => {
    const parent = await mkdtemp(join(dir, 'abort-'));
    // A private TMPDIR (os.tmpdir() reads it per call) so the clear scratch folder can be watched.
    const scratch = await mkdtemp(join(dir, 'tmp-'));
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    const controller = new AbortController();
    try {
      const err = await packageHls({
        input: clip,
        outDir: join(parent, 'hls'),
        keyId,
        key,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'AbortError' });
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    await expectNothingAt(parent);
    await expectNothingAt(scratch);
  });
});
