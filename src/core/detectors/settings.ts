/**
 * Detector settings: one JSON object (TOLLGATE_DETECTORS) keyed by detector name, each with
 * `enabled`, `dry_run` (alert, but take no response), `responses`, `block_minutes` and the
 * detector's thresholds; anything left out takes its default. Validated whole: every problem
 * is named, and an unknown detector, threshold or response is a problem, not ignored.
 */
import { CONCURRENT_NETWORKS } from './concurrent-networks.js';
import { COPIED_URL } from './copied-url.js';
import { CREDENTIAL_STUFFING } from './credential-stuffing.js';
import { IMPOSSIBLE_TRAVEL } from './impossible-travel.js';
import { LICENSE_ABUSE } from './license-abuse.js';
import { RESTREAMING } from './restreaming.js';
import { SENSITIVE_TITLES } from './sensitive-titles.js';
import { SPIKES } from './spikes.js';
import { DETECTOR_NAMES, type DetectorName, type ThresholdSpec } from './types.js';

/** What a detector's finding may trigger besides the alert (which is always raised). */
export const RESPONSES = ['end_session', 'revoke_login', 'require_mfa', 'block_address', 'block_network'] as const;
export type ResponseKind = (typeof RESPONSES)[number];

export const THRESHOLDS: Readonly<Record<DetectorName, ThresholdSpec>> = {
  concurrent_networks: CONCURRENT_NETWORKS,
  impossible_travel: IMPOSSIBLE_TRAVEL,
  copied_url: COPIED_URL,
  restreaming: RESTREAMING,
  credential_stuffing: CREDENTIAL_STUFFING,
  license_abuse: LICENSE_ABUSE,
  spikes: SPIKES,
  sensitive_titles: SENSITIVE_TITLES,
  forensic_watermark: {},
};

export interface DetectorSettings {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly responses: readonly ResponseKind[];
  /** How long a block response lasts. */
  readonly blockMinutes: number;
  readonly thresholds: Readonly<Record<string, number>>;
  /** impossible_travel only: ASNs of VPNs and mobile carriers to skip. */
  readonly ignoredAsns: readonly number[];
}

export type AllDetectorSettings = Readonly<Record<DetectorName, DetectorSettings>>;

const COMMON_KEYS = new Set(['enabled', 'dry_run', 'responses', 'block_minutes', 'ignored_asns']);

/** Parses TOLLGATE_DETECTORS (undefined or empty: every default); problems name the field. */
export function parseDetectorSettings(text: string | undefined): { settings: AllDetectorSettings; problems: string[] } {
  const problems: string[] = [];
  let given: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isObject(parsed)) problems.push('must be a JSON object keyed by detector name');
      else given = parsed;
    } catch {
      problems.push('is not valid JSON');
    }
  }
  for (const name of Object.keys(given)) {
    if (!(DETECTOR_NAMES as readonly string[]).includes(name)) problems.push(`unknown detector "${name}" (known: ${DETECTOR_NAMES.join(', ')})`);
  }
  const settings = Object.fromEntries(DETECTOR_NAMES.map((name) => [name, readOne(name, given[name], problems)])) as Record<DetectorName, DetectorSettings>;
  return { settings, problems };
}

function readOne(name: DetectorName, value: unknown, problems: string[]): DetectorSettings {
  const spec = THRESHOLDS[name];
  const o = value === undefined ? {} : isObject(value) ? value : (problems.push(`${name}: must be an object`), {});
  for (const key of Object.keys(o)) {
    if (!COMMON_KEYS.has(key) && !(key in spec)) problems.push(`${name}: unknown setting "${key}" (known: ${[...COMMON_KEYS, ...Object.keys(spec)].join(', ')})`);
  }
  const flag = (key: string, fallback: boolean): boolean => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') problems.push(`${name}.${key}: must be true or false`);
    return v === true;
  };
  const number = (key: string, d: { default: number; min: number; max: number }): number => {
    const v = o[key];
    if (v === undefined) return d.default;
    if (typeof v !== 'number' || !(v >= d.min && v <= d.max)) {
      problems.push(`${name}.${key}: must be a number from ${d.min} to ${d.max}`);
      return d.default;
    }
    return v;
  };
  const responses = o.responses ?? [];
  if (!Array.isArray(responses) || !responses.every((r) => (RESPONSES as readonly unknown[]).includes(r))) {
    problems.push(`${name}.responses: must be a list of ${RESPONSES.join(', ')}`);
  }
  const asns = o.ignored_asns ?? [];
  if (!Array.isArray(asns) || !asns.every((a) => Number.isInteger(a) && a > 0)) problems.push(`${name}.ignored_asns: must be a list of AS numbers`);
  return {
    enabled: flag('enabled', true),
    dryRun: flag('dry_run', false),
    responses: Array.isArray(responses) ? (responses.filter((r) => (RESPONSES as readonly unknown[]).includes(r)) as ResponseKind[]) : [],
    blockMinutes: number('block_minutes', { default: 60, min: 1, max: 525_600 }),
    thresholds: Object.fromEntries(Object.entries(spec).map(([key, d]) => [key, number(key, d)])),
    ignoredAsns: Array.isArray(asns) ? asns.filter((a): a is number => Number.isInteger(a)) : [],
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
