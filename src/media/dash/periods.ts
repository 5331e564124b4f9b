/**
 * Key-rotation Periods. With rotation, every rotationSec a new Period starts and every track gets
 * a new key there: a player must fetch a license for each Period, which turns key requests into
 * heartbeats a player cannot skip (what stream-limit checks will count).
 *
 * Periods start on multiples of rotationSec, a multiple of the segment length: that is a segment
 * boundary in every video rung (keyframes are forced on the segment grid) and within one audio
 * frame of an audio segment boundary. A segment belongs to the Period holding its midpoint, so
 * an audio segment that starts a frame early still lands in the Period it plays in; a tail past
 * the last boundary (audio outlasting video by a frame) stays in the last Period.
 */
import { MediaError } from '../ffmpeg.js';
import { SEGMENT_SEC } from './ladder.js';

export function checkRotation(rotationSec: number | undefined): void {
  if (rotationSec === undefined) return;
  if (!Number.isInteger(rotationSec) || rotationSec < SEGMENT_SEC || rotationSec % SEGMENT_SEC !== 0) {
    throw new MediaError('bad_argument', `rotationSec must be a whole multiple of the ${SEGMENT_SEC} s segment length`);
  }
}

/** One Period without rotation; with it, enough to cover the video (a Period never holds just an audio tail). */
export function periodCount(videoEndSec: number, rotationSec: number | undefined): number {
  return rotationSec === undefined ? 1 : Math.max(1, Math.ceil(videoEndSec / rotationSec - 1e-6));
}

export function periodOf(startSec: number, endSec: number, rotationSec: number | undefined, count: number): number {
  if (rotationSec === undefined) return 0;
  return Math.min(count - 1, Math.floor((startSec + endSec) / 2 / rotationSec));
}
