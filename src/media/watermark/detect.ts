/**
 * Reading the A/B sequence out of a leaked copy (issue 13). Everything here works on block
 * means (frames.ts), each frame with its own mean removed, so a re-encode that shifts the
 * brightness, or a scale to another size, changes nothing that is compared.
 *
 * 1. Alignment: the leak is a cut of the title; the offset (in frames) at which its frames
 *    best match the title's own frames (the mean of A and B) is searched over the whole title.
 * 2. Decision: per segment of the title, the leak minus that mean is correlated with B − A over
 *    the segment's frames: positive reads B (bit 1), negative reads A (bit 0).
 */
import type { BlockFrames } from './frames.js';

/** Leak frames compared per candidate offset: enough to be unambiguous, few enough to be quick. */
const ALIGN_SAMPLES = 240;

export interface SegmentReading {
  readonly segment: number;
  readonly bit: 0 | 1;
  /** The correlation; its size says how clearly the segment read. */
  readonly score: number;
}

function centred(frame: Float64Array): Float64Array {
  const mean = frame.reduce((s, v) => s + v, 0) / frame.length;
  return frame.map((v) => v - mean);
}

/** A leak placed in the title, ready to be read on any segment grid. */
export interface AlignedLeak {
  /** Where the leak starts in the title, in seconds. */
  readonly offsetSec: number;
  /** The segments read on a grid of `segmentSec` lengths (numbered from 0 in the grid's order). */
  read(segmentSec: readonly number[]): SegmentReading[];
}

/** `a` and `b`: the title's variants decoded at leak.fps. The alignment is done once, here. */
export function alignLeak(leak: BlockFrames, a: BlockFrames, b: BlockFrames): AlignedLeak {
  const count = Math.min(a.frames.length, b.frames.length);
  const mean = Array.from({ length: count }, (_, j) => centred(a.frames[j]!.map((v, k) => (v + b.frames[j]![k]!) / 2)));
  const diff = Array.from({ length: count }, (_, j) => centred(b.frames[j]!.map((v, k) => v - a.frames[j]![k]!)));
  const frames = leak.frames.map(centred);
  const offset = bestOffset(frames, mean);
  return {
    offsetSec: offset / leak.fps,
    // Segments the leak covers for less than half are not read.
    read(segmentSec) {
      const segments: SegmentReading[] = [];
      let start = 0;
      for (const [segment, seconds] of segmentSec.entries()) {
        const first = Math.round(start * leak.fps);
        start += seconds;
        const end = Math.min(count, Math.round(start * leak.fps));
        let score = 0;
        let covered = 0;
        for (let j = Math.max(first, offset); j < end && j - offset < frames.length; j++) {
          const l = frames[j - offset]!;
          const m = mean[j]!;
          const d = diff[j]!;
          for (let k = 0; k < l.length; k++) score += (l[k]! - m[k]!) * d[k]!;
          covered++;
        }
        if (covered * 2 >= end - first && covered > 0) segments.push({ segment, bit: score > 0 ? 1 : 0, score });
      }
      return segments;
    },
  };
}

/** The offset of the leak's first frame in the title's frames with the least squared distance. */
function bestOffset(leak: Float64Array[], title: Float64Array[]): number {
  const step = Math.max(1, Math.floor(leak.length / ALIGN_SAMPLES));
  let best = 0;
  let bestError = Infinity;
  for (let offset = 0; offset < title.length; offset++) {
    let error = 0;
    let compared = 0;
    for (let i = 0; i < leak.length && offset + i < title.length; i += step) {
      const l = leak[i]!;
      const t = title[offset + i]!;
      for (let k = 0; k < l.length; k++) error += (l[k]! - t[k]!) ** 2;
      compared++;
    }
    // Offsets near the end compare few frames: demand at least half the samples.
    if (compared * step * 2 < Math.min(leak.length, title.length)) break;
    if (error / compared < bestError) {
      bestError = error / compared;
      best = offset;
    }
  }
  return best;
}
