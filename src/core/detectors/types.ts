/**
 * What every detector shares: the finding it reports for an event that completes a suspicious
 * pattern, and the one method it has. Detectors are pure: they read events (whose `at` is the
 * only clock they know) and keep bounded state in memory; acting on a finding is the server's.
 */
import type { DecisionEvent } from '../events.js';

export const DETECTOR_NAMES = [
  'concurrent_networks',
  'impossible_travel',
  'copied_url',
  'restreaming',
  'credential_stuffing',
  'license_abuse',
  'spikes',
  'sensitive_titles',
  // Not read from events: raised by `tollgate trace` and POST /v1/admin/trace (issue 13).
  'forensic_watermark',
] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export type Severity = 'low' | 'medium' | 'high';

export interface Finding {
  readonly detector: DetectorName;
  /** What the finding is about (e.g. `user:u1`, `network:203.0.113.0/24`): alerts are deduplicated on detector and subject. */
  readonly subject: string;
  readonly severity: Severity;
  readonly summary: string;
  /** Ids of the events that make the case, oldest first. */
  readonly evidence: readonly string[];
  readonly at: number;
  readonly userId?: string;
  readonly sessionId?: string;
  /** The address whose network a block response would block. */
  readonly ip?: string;
}

export interface Detector {
  readonly name: DetectorName;
  /** Reads one event; returns a finding when this event completes a suspicious pattern. */
  observe(event: DecisionEvent): Finding | undefined;
}

/** The thresholds a detector takes, each with its default and allowed range. */
export type ThresholdSpec = Readonly<Record<string, { readonly default: number; readonly min: number; readonly max: number; readonly meaning: string }>>;

export type Thresholds<S extends ThresholdSpec> = { readonly [K in keyof S]: number };

/** A finding about event `e`: its user, session and address, with the evidence (the last 20 ids). */
export function findingOf(detector: DetectorName, e: DecisionEvent, subject: string, severity: Severity, summary: string, evidence: readonly string[]): Finding {
  return {
    detector,
    subject,
    severity,
    summary,
    evidence: evidence.slice(-20),
    at: e.at,
    ...(e.userId !== undefined ? { userId: e.userId } : {}),
    ...(e.sessionId !== undefined ? { sessionId: e.sessionId } : {}),
    ip: e.ip,
  };
}
