/**
 * Representation@bandwidth as ISO/IEC 23009-1 §5.3.5.2 defines it with MPD@minBufferTime: a
 * client receiving at this rate from any segment start, having first buffered minBufferTime ×
 * bandwidth bits, plays without stalling. Measured on the encrypted bytes players download, and
 * read conservatively per segment (a segment must have fully arrived when its playout starts):
 * the largest bits(i..j) / (minBufferTime + duration(i..j-1)). A short tail segment is judged
 * against the buffer, so it cannot inflate the figure the way a per-segment peak would.
 */
import { type SizedSegment, peakRate } from '../bandwidth.js';

export function dashBandwidth(segments: readonly SizedSegment[], minBufferSec: number): number {
  return Math.ceil(peakRate(segments, (bits, _seconds, before) => bits / (minBufferSec + before)));
}
