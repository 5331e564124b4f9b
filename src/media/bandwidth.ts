/**
 * The peak bit rate both HLS BANDWIDTH (RFC 8216 §4.3.4.2) and DASH @bandwidth (ISO/IEC 23009-1
 * §5.3.5.2) ask for, measured on the encrypted bytes players download: the largest rate over
 * runs of contiguous segments, each format judging a run by its own rule.
 */

export interface SizedSegment {
  readonly bytes: number;
  readonly durationSec: number;
}

/**
 * A run of contiguous segments: its bits, its seconds in all, and its seconds before its last
 * segment starts. A rule gives the run's rate, or undefined where the run does not count.
 */
export type RunRate = (bits: number, seconds: number, before: number) => number | undefined;

/** The largest rate `rule` gives any run (0 when none counts), in bits/s. */
export function peakRate(segments: readonly SizedSegment[], rule: RunRate): number {
  let peak = 0;
  for (let i = 0; i < segments.length; i++) {
    let bits = 0;
    let seconds = 0;
    for (const s of segments.slice(i)) {
      const before = seconds;
      bits += s.bytes * 8;
      seconds += s.durationSec;
      peak = Math.max(peak, rule(bits, seconds, before) ?? 0);
    }
  }
  return peak;
}
