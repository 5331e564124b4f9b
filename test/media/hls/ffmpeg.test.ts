// The shared ffmpeg/ffprobe helpers with the real tools: discovery, probing, progress,
// failures carrying stderr, and abort killing the child.
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClipToFile } from '../../../src/media/ffmpeg-demo.js';
import { locateMediaTools, MediaError, probe, runFfmpeg } from '../../../src/media/ffmpeg.js';

let dir: string;
let clip: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-ffmpeg-test-'));
  clip = join(dir, 'clip.mp4');
  await demoClipToFile(clip, { durationSec: 2, width: 320, height: 180 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('locateMediaTools', () => {
  it('finds ffmpeg and ffprobe on PATH', async () => {
    const tools = await locateMediaTools({ PATH: '/nonexistent:/usr/bin' });
    expect(tools).toEqual({ ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe' });
  });

  it('honours TOLLGATE_FFMPEG and takes ffprobe from beside it', async () => {
    expect(await locateMediaTools({ TOLLGATE_FFMPEG: '/usr/bin/ffmpeg', PATH: '' })).toEqual({
      ffmpeg: '/usr/bin/ffmpeg',
      ffprobe: '/usr/bin/ffprobe',
    });
  });

  it('explains what is missing', async () => {
    await expect(locateMediaTools({ PATH: '/nonexistent' })).rejects.toMatchObject({
      reason: 'tool_missing',
      code: 'unavailable',
      detail: expect.stringContaining('TOLLGATE_FFMPEG'),
    });
    await expect(locateMediaTools({ TOLLGATE_FFMPEG: '/nonexistent/ffmpeg' })).rejects.toThrow(
      /TOLLGATE_FFMPEG=\/nonexistent\/ffmpeg is not an executable/,
    );
    const lonely = join(dir, 'bin');
    await writeFile(join(dir, 'ffmpeg'), '#!/bin/sh\n');
    await chmod(join(dir, 'ffmpeg'), 0o755);
    await expect(locateMediaTools({ TOLLGATE_FFMPEG: join(dir, 'ffmpeg'), PATH: lonely })).rejects.toThrow(/ffprobe/);
  });
});

describe('probe', () => {
  it('describes a video', async () => {
    const info = await probe(clip);
    expect(info).toMatchObject({ width: 320, height: 180, hasAudio: true, hasVideo: true });
    expect(info.durationSec).toBeGreaterThan(1.9);
    expect(info.durationSec).toBeLessThan(2.2);
  });

  it('reports the display size of a rotated (phone) video', async () => {
    const rotated = join(dir, 'portrait.mp4');
    await runFfmpeg(['-i', `file:${clip}`, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
    expect(await probe(rotated)).toMatchObject({ width: 180, height: 320 });
  });

  it('rejects files that are not media, and missing files', async () => {
    const text = join(dir, 'readme.txt');
    await writeFile(text, 'hello\n');
    await expect(probe(text)).rejects.toMatchObject({ reason: 'not_media', detail: expect.stringContaining(text) });
    await expect(probe(join(dir, 'gone.mp4'))).rejects.toMatchObject({ reason: 'input_missing' });
    await expect(probe(dir)).rejects.toMatchObject({ reason: 'input_missing' });
  });

  it('does not let a file name act as an ffmpeg option or protocol', async () => {
    const tricky = join(dir, '-i concat:x');
    await writeFile(tricky, 'not media');
    await expect(probe(tricky)).rejects.toMatchObject({ reason: 'not_media' });
  });
});

describe('runFfmpeg', () => {
  it('reports progress fractions from out_time, ending at 1', async () => {
    const seen: number[] = [];
    const out = join(dir, 'copy.ts');
    await runFfmpeg(['-re', '-i', `file:${clip}`, '-c', 'copy', '-f', 'mpegts', out], {
      durationSec: 2,
      onProgress: (f) => seen.push(f),
    });
    expect(seen.length).toBeGreaterThan(2); // -re: about one report per 0.5 s
    expect(seen.some((f) => f > 0 && f < 1)).toBe(true);
    expect(seen.at(-1)).toBe(1);
    expect((await stat(out)).size).toBeGreaterThan(0);
  });

  it('fails with the tail of stderr', async () => {
    const err = await runFfmpeg(['-i', `file:${join(dir, 'missing.mp4')}`, '-f', 'null', '-']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ reason: 'ffmpeg_failed', detail: expect.stringMatching(/exited with 1: .*No such file/) });
    expect((err as MediaError).stderrTail).toContain('missing.mp4');
  });

  it('says so when the ffmpeg binary cannot be run', async () => {
    await expect(runFfmpeg(['-version'], { tools: { ffmpeg: join(dir, 'gone'), ffprobe: '' } })).rejects.toMatchObject({
      reason: 'tool_missing',
    });
  });

  it('kills ffmpeg on abort and rejects with the abort reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const job = runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=600', '-f', 'null', '-'], {
      durationSec: 600,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(job).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(runFfmpeg(['-version'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
