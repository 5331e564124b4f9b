/**
 * The watchtower's settings: the detectors (TOLLGATE_DETECTORS, one JSON object, see
 * core/detectors/settings.ts), how long a repeat finding adds to an open alert, and the alert
 * webhook. A webhook URL without a secret is refused: unsigned alerts could be forged.
 */
import { type AllDetectorSettings, parseDetectorSettings } from '../../core/detectors/index.js';
import type { Reader } from '../config-reader.js';

export interface WatchtowerConfig {
  readonly detectors: AllDetectorSettings;
  /** A finding within this long of its open alert's last one adds to it. */
  readonly dedupeSec: number;
  readonly webhookUrl: string | undefined;
  readonly webhookSecret: string | undefined;
  /** Attempts per alert, the first included; waits double from 1 s, at most 60 s. */
  readonly webhookAttempts: number;
}

export function readWatchtowerConfig(read: Reader, problems: string[]): WatchtowerConfig {
  const { settings, problems: detectorProblems } = parseDetectorSettings(read.optional('TOLLGATE_DETECTORS'));
  problems.push(...detectorProblems.map((p) => `TOLLGATE_DETECTORS: ${p}`));
  const webhookUrl = read.optionalUrl('TOLLGATE_ALERT_WEBHOOK_URL', ['http:', 'https:']);
  const webhookSecret = read.optional('TOLLGATE_ALERT_WEBHOOK_SECRET');
  if (webhookUrl !== undefined && (webhookSecret === undefined || webhookSecret.length < 16)) {
    problems.push('TOLLGATE_ALERT_WEBHOOK_SECRET: must be set, at least 16 characters, when TOLLGATE_ALERT_WEBHOOK_URL is (alerts are signed with it)');
  }
  return {
    detectors: settings,
    dedupeSec: read.integer('TOLLGATE_ALERT_DEDUPE_SECONDS', 3600, 0, 30 * 86400),
    webhookUrl,
    webhookSecret,
    webhookAttempts: read.integer('TOLLGATE_ALERT_WEBHOOK_ATTEMPTS', 6, 1, 20),
  };
}
