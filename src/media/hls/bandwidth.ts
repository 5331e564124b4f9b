/**
 * BANDWIDTH and AVERAGE-BANDWIDTH as RFC 8216 §4.3.4.2 defines them, measured on the bytes a
 * player actually downloads (the encrypted segments), not on the encoder's target bitrate.
 */
import { type SizedSegment, peakRate } from '../bandwidth.js';

export interface Bandwidth {
  /** Peak segment bit rate, bits/s. */
  readonly peak: number;
  /** Total bits over total duration, bits/s. */
  readonly average: number;
}

/**
 * Peak = the largest bit rate of any run of contiguous segments whose total duration is between
 * 0.5 and 1.5 times the target duration; a short tail segment is judged together with its
 * neighbour instead of inflating the peak on its own.
 */
export function measureBandwidth(segments: readonly SizedSegment[], targetSec: number): Bandwidth {
  const peak = peakRate(segments, (bits, seconds) => (seconds >= 0.5 * targetSec && seconds <= 1.5 * targetSec ? bits / seconds : undefined));
  const seconds = segments.reduce((sum, s) => sum + s.durationSec, 0);
  const average = (segments.reduce((sum, s) => sum + s.bytes, 0) * 8) / seconds;
  // A playlist too short for any qualifying run (shorter than half a target) falls back to its average.
  return { peak: Math.ceil(Math.max(peak, average)), average: Math.ceil(average) };
}
