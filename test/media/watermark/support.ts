// Shared by the watermark tests: a generated clip, HLS variants decrypted back to files, a
// pirate's re-encoded copy, and ffmpeg's own PSNR. Every ffmpeg here runs under `nice`: these tests share a busy machine.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decryptSegment } from '../hls/support.js';

const run = promisify(execFile);

export async function niceFfmpeg(args: string[]): Promise<string> {
  const { stderr } = await run('nice', ['-n', '10', 'ffmpeg', '-hide_banner', '-nostdin', '-y', ...args], { maxBuffer: 16 << 20 });
  return stderr;
}

/**
 * Two slowly turning black-to-white gradients blended: a picture the 240p rung encodes at high
 * fidelity, so that run-to-run encoder noise does not drown what is measured. (On lavfi
 * testsrc2, whose fine detail the 240p rung cannot keep, x264 run twice on the same input
 * already differs by 47.5 dB: see docs/WATERMARK.md.) One gradient alone turns through the
 * same picture every 8.4 s, so a leak would align equally well to every turn; two at
 * incommensurate speeds (periods 8.4 s and 11.6 s) do not repeat within any clip used here.
 * The same clip every run: the seeds place the gradients' ends, and the colours are given
 * (lavfi's default colours are random whatever the seed).
 */
export async function gradientClip(file: string, seconds: number, size = '640x360'): Promise<void> {
  const gradient = (speed: number, seed: number) => `gradients=s=${size}:r=25:d=${seconds}:speed=${speed}:seed=${seed}:c0=black:c1=white,format=yuv420p`;
  const picture = `${gradient(0.03, 7)}[a];${gradient(0.0217, 11)}[b];[a][b]blend=all_mode=average`;
  await niceFfmpeg(['-f', 'lavfi', '-i', picture, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', file]);
}

/** A rendition's segments, decrypted and concatenated as served; `variantOf(n)` picks a, b or none per segment. */
export async function decryptRendition(dir: string, key: Uint8Array, out: string, variantOf: (n: number) => string = () => ''): Promise<number> {
  const playlist = (await readFile(join(dir, 'index.m3u8'), 'utf8')).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  const parts = await Promise.all(playlist.map(async (uri, n) => decryptSegment(await readFile(join(dir, variantOf(n), uri)), key, BigInt(n))));
  await writeFile(out, Buffer.concat(parts));
  return playlist.length;
}

/**
 * A pirate's copy of `recorded`: x264 CRF 28, 854x480, no audio, from `fromSec` on (for
 * `seconds`, or to the end). The cut is made after decoding (-ss after -i), so it starts exactly
 * there: before -i, ffmpeg seeks an MPEG-TS input to a keyframe, and the leak would start up to
 * a segment later than asked.
 */
export async function pirateCopy(recorded: string, leak: string, fromSec = 0, seconds?: number): Promise<void> {
  const length = seconds === undefined ? [] : ['-t', String(seconds)];
  await niceFfmpeg(['-i', recorded, '-ss', String(fromSec), ...length, '-vf', 'scale=854:480', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28', '-an', leak]);
}

/** Luma PSNR of `a` against `b` by ffmpeg's psnr filter, in dB. */
export async function lumaPsnr(a: string, b: string): Promise<number> {
  const stderr = await niceFfmpeg(['-i', a, '-i', b, '-lavfi', 'psnr', '-f', 'null', '-']);
  const m = /PSNR y:([0-9.]+|inf)/.exec(stderr);
  if (!m) throw new Error(`no PSNR in ffmpeg's output: ${stderr.slice(-300)}`);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}
