/**
 * Ranking a title's sessions against the bits read from a leak (issue 13): a session's score is
 * how many read segments agree with its payload; its confidence is the binomial probability of
 * agreeing that often by chance (p = ½ per segment, since payloads are keyed pseudo-random
 * words). A session is named with confidence only when that chance, multiplied by the number of
 * sessions compared (so that searching many does not make a chance match likely), is below
 * `alpha`.
 */
import type { SegmentReading } from '../../media/watermark/detect.js';
import { PATTERN_BITS, payloadBit } from './payload.js';

/** Default bound on the chance that any innocent session is named with confidence. */
export const DEFAULT_ALPHA = 1e-6;

export interface Suspect {
  readonly sessionId: string;
  readonly agree: number;
  readonly read: number;
  /**
   * Chance of agreeing at least this often for a session that did not leak (not corrected):
   * over all read segments, or for a second colluder, over the segments the first suspect
   * does not explain, whichever is smaller.
   */
  readonly pValue: number;
  readonly confident: boolean;
}

/**
 * Sessions best first. A collusion mixes segments of several sessions, so after the first
 * suspect a second pass looks only at the segments that suspect disagrees with: there the
 * other colluder agrees every time, an innocent session half the time. Those segments are
 * chosen by the first suspect's payload alone, so for an innocent the count is still
 * Binomial(n, ½) and the p-value stays honest. The payload repeats every PATTERN_BITS
 * segments, so a reading at a position already read is left out: it would be no new evidence.
 */
export function rankSessions(
  allReadings: readonly SegmentReading[],
  sessionIds: readonly string[],
  watermarkKey: Uint8Array,
  alpha = DEFAULT_ALPHA,
  /** Sessions compared in the whole trace, for the correction (more than these when ranked in groups). */
  compared = sessionIds.length,
): Suspect[] {
  const positions = new Set<number>();
  const readings = allReadings.filter((r) => !positions.has(r.segment % PATTERN_BITS) && positions.add(r.segment % PATTERN_BITS));
  const bits = new Map(sessionIds.map((id) => [id, readings.map((r) => payloadBit(watermarkKey, id, r.segment))]));
  const agreeing = (id: string, only: readonly number[]) => only.filter((i) => bits.get(id)![i] === readings[i]!.bit).length;
  const all = readings.map((_, i) => i);
  const first = sessionIds
    .map((sessionId) => ({ sessionId, agree: agreeing(sessionId, all) }))
    .sort((x, y) => y.agree - x.agree)[0];
  const unexplained = first === undefined ? [] : all.filter((i) => bits.get(first.sessionId)![i] !== readings[i]!.bit);
  const suspects = sessionIds.map((sessionId) => {
    const agree = agreeing(sessionId, all);
    const overall = binomialTail(readings.length, agree);
    const residual = sessionId === first?.sessionId ? 1 : binomialTail(unexplained.length, agreeing(sessionId, unexplained));
    const pValue = Math.min(overall, residual);
    // Two tests per session (overall and residual): the correction counts both.
    return { sessionId, agree, read: readings.length, pValue, confident: pValue * compared * 2 < alpha };
  });
  return suspects.sort((x, y) => x.pValue - y.pValue || y.agree - x.agree);
}

/** P(X ≥ k) for X ~ Binomial(n, ½), summed in log space so long leaks do not underflow early. */
export function binomialTail(n: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  const logFactorial = [0];
  for (let i = 1; i <= n; i++) logFactorial.push(logFactorial[i - 1]! + Math.log(i));
  let total = 0;
  for (let i = k; i <= n; i++) total += Math.exp(logFactorial[n]! - logFactorial[i]! - logFactorial[n - i]! - n * Math.LN2);
  return Math.min(1, total);
}
