/**
 * The demo title's source clip, synthesised by ffmpeg (lavfi testsrc2 picture with a running
 * clock, a sine tone) so the demo needs no media download and no licensed content.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { runFfmpeg, type MediaTools } from './ffmpeg.js';

export interface DemoClipOptions {
  readonly durationSec?: number;
  readonly width?: number;
  readonly height?: number;
  readonly tools?: MediaTools;
  readonly onProgress?: (fraction: number) => void;
  readonly signal?: AbortSignal;
}

/** Writes an MP4 (H.264 + AAC, 25 fps) to `path`; nothing is left at `path` if it fails. */
export async function demoClipToFile(path: string, opts: DemoClipOptions = {}): Promise<void> {
  const { durationSec = 12, width = 1280, height = 720 } = opts;
  const target = resolve(path);
  const partial = `${target}.partial`;
  const args = [
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25:duration=${durationSec}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${durationSec}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k',
    '-movflags', '+faststart', '-f', 'mp4', `file:${partial}`,
  ];
  await mkdir(dirname(target), { recursive: true });
  try {
    await runFfmpeg(args, { ...opts, durationSec });
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}
