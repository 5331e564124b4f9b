/**
 * packageDash on bad input and bad arguments: a MediaError with a reason, and nothing published —
 * no outDir, no staging folder beside it — whether it fails before ffmpeg runs or after.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../../src/media/ffmpeg.js';
import { type KeyResolver, packageDash } from '../../../src/media/dash/index.js';
import { keyBook, makeClip } from './support.js';

let dir: string;
/** 2 s at 320x180: one SD rung and audio, so each run that gets as far as ffmpeg stays cheap. */
let clip: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-dash-errors-'));
  clip = await makeClip(dir, { durationSec: 2, width: 320, height: 180 });
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs packageDash into a fresh parent folder and expects a MediaError with `reason` and an empty parent. */
async function expectRefused(reason: string, options: { input?: string; keys?: KeyResolver; rotationSec?: number; clearDir?: (out: string) => string }) {
  const parent = await mkdtemp(join(dir, 'out-'));
  const outDir = join(parent, 'dash');
  const run = packageDash({
    input: options.input ?? clip,
    outDir,
    keys: options.keys ?? keyBook().resolve,
    rotationSec: options.rotationSec,
    clearDir: options.clearDir?.(outDir),
  });
  await expect(run).rejects.toBeInstanceOf(MediaError);
  await expect(run).rejects.toMatchObject({ reason });
  expect(await readdir(parent)).toEqual([]);
}

describe('packageDash refuses', () => {
  it('a file that is not a video: text, or random bytes named .mp4', async () => {
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'this is not a video\n');
    await expectRefused('not_media', { input: text });
    const garbage = join(dir, 'broken.mp4');
    await writeFile(garbage, randomBytes(4096));
    await expectRefused('not_media', { input: garbage });
  });

  it('audio without video', async () => {
    const audio = join(dir, 'tone.m4a');
    await new Promise((resolve, reject) =>
      execFile('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', audio], (e) => (e ? reject(e) : resolve(null))),
    );
    await expectRefused('no_video', { input: audio });
  });

  it('a missing input', () => expectRefused('input_missing', { input: join(dir, 'nope.mp4') }));

  it('a rotation that is not a whole multiple of the 2 s segments', async () => {
    for (const rotationSec of [3, 0, -2, 1.5, Number.NaN]) await expectRefused('bad_argument', { rotationSec });
  });

  it('a clear folder inside the published one', () => expectRefused('bad_argument', { clearDir: (out) => join(out, 'clear') }));

  it('an existing outDir, which it leaves alone', async () => {
    const outDir = join(dir, 'taken');
    await mkdir(outDir);
    await writeFile(join(outDir, 'keep.txt'), 'mine');
    await expect(packageDash({ input: clip, outDir, keys: keyBook().resolve })).rejects.toMatchObject({ reason: 'output_exists' });
    expect(await readdir(outDir)).toEqual(['keep.txt']);
  });
});

it('stops on abort mid-way (after encoding, while encrypting) and publishes nothing', async () => {
  const parent = await mkdtemp(join(dir, 'out-'));
  const controller = new AbortController();
  const book = keyBook();
  const run = packageDash({
    input: clip,
    outDir: join(parent, 'dash'),
    signal: controller.signal,
    keys: (label) => {
      controller.abort(new Error('stopped by the test'));
      return book.resolve(label);
    },
  });
  await expect(run).rejects.toThrow('stopped by the test');
  expect(await readdir(parent)).toEqual([]);
}, 30_000);

describe('packageDash, after encoding, refuses keys that would defeat the tiers', () => {
  it('one KID for two labels', async () => {
    const kid = randomBytes(16).toString('hex');
    await expectRefused('bad_argument', { keys: () => ({ kid, key: new Uint8Array(randomBytes(16)) }) });
  }, 30_000);

  it('one key under two KIDs', async () => {
    const key = new Uint8Array(randomBytes(16));
    await expectRefused('bad_argument', { keys: () => ({ kid: randomBytes(16).toString('hex'), key }) });
  }, 30_000);

  it('a malformed KID or key', async () => {
    await expectRefused('bad_argument', { keys: () => ({ kid: 'not-hex', key: new Uint8Array(16) }) });
    await expectRefused('bad_argument', { keys: () => ({ kid: randomBytes(16).toString('hex'), key: new Uint8Array(8) }) });
  }, 60_000);
});
