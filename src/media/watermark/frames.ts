/**
 * A video read as what the watermark lives in: per frame, the mean luma of each of the
 * GRID×GRID blocks. ffmpeg decodes and shrinks the frames (area averaging) to SAMPLE pixels per
 * block side in 8-bit grey; summing those here keeps the sub-level precision that a ±1 mark
 * needs and that rounding to a GRID×GRID picture would lose.
 */
import { spawn } from 'node:child_process';
import { fileInput, locateMediaTools, MediaError, type MediaTools } from '../ffmpeg.js';
import { GRID } from './pattern.js';

const SAMPLE = 8;
const SIDE = GRID * SAMPLE;

export interface BlockFrames {
  /** Frames per second the video was resampled to. */
  readonly fps: number;
  /** One GRID×GRID array of block means (row by row) per frame. */
  readonly frames: Float64Array[];
}

export async function readBlockFrames(file: string, fps: number, tools?: MediaTools, signal?: AbortSignal): Promise<BlockFrames> {
  const { ffmpeg } = tools ?? (await locateMediaTools());
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', fileInput(file), '-an',
    '-vf', `fps=${fps},scale=${SIDE}:${SIDE}:flags=area,format=gray`, '-f', 'rawvideo', 'pipe:1',
  ];
  const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4096)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new MediaError('not_media', `cannot decode ${file}: ${stderr.trim().split('\n').pop() ?? ''}`, stderr);
  const pixels = Buffer.concat(chunks);
  const frames: Float64Array[] = [];
  for (let offset = 0; offset + SIDE * SIDE <= pixels.length; offset += SIDE * SIDE) {
    const means = new Float64Array(GRID * GRID);
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const block = Math.floor(y / SAMPLE) * GRID + Math.floor(x / SAMPLE);
        means[block]! += pixels[offset + y * SIDE + x]!;
      }
    }
    for (let b = 0; b < means.length; b++) means[b]! /= SAMPLE * SAMPLE;
    frames.push(means);
  }
  return { fps, frames };
}
