/**
 * The usage-policy vocabulary of entitlement messages, shared with the commercial DRM services
 * (Axinom's content_key_usage_policies, Widevine's policy fields) so a policy maps onto theirs
 * without loss. Threat this vocabulary exists for: a low-security client (a software CDM such
 * as ClearKey, whose keys can be read from memory) receiving a high-value key. Levels and HDCP
 * versions are ordered, so "at least" is one comparison.
 */

/** Widevine's robustness levels, weakest first (the order is the meaning). */
export const SECURITY_LEVELS = [
  'SW_SECURE_CRYPTO',
  'SW_SECURE_DECODE',
  'HW_SECURE_CRYPTO',
  'HW_SECURE_DECODE',
  'HW_SECURE_ALL',
] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

/** Output protection on digital outputs, weakest first. */
export const HDCP_VERSIONS = ['NONE', 'HDCP_V1', 'HDCP_V2', 'HDCP_V2_2'] as const;
export type HdcpVersion = (typeof HDCP_VERSIONS)[number];

/** What a client must be and may do to receive a key. Field names are the wire names. */
export interface UsagePolicy {
  /** 1–64 characters [A-Za-z0-9_.-]; content keys refer to it. */
  readonly name: string;
  readonly min_security_level: SecurityLevel;
  /** How long a license for the key may last, seconds. */
  readonly license_duration_sec: number;
  /** How often a client must renew (the concurrency heartbeat); absent = no renewal asked. */
  readonly renewal_interval_sec?: number;
  /** Whether a persistent (offline) license may carry the key. */
  readonly allow_persistence: boolean;
  /** Minimum HDCP version on digital outputs. */
  readonly hdcp: HdcpVersion;
  /** Passed to CDMs that enforce it; a server cannot observe analog outputs. */
  readonly analog_output_allowed: boolean;
}

export function isSecurityLevel(value: unknown): value is SecurityLevel {
  return typeof value === 'string' && (SECURITY_LEVELS as readonly string[]).includes(value);
}

export function isHdcpVersion(value: unknown): value is HdcpVersion {
  return typeof value === 'string' && (HDCP_VERSIONS as readonly string[]).includes(value);
}

/** True when `have` is at least `need` in the ordering above. */
export function meetsSecurityLevel(have: SecurityLevel, need: SecurityLevel): boolean {
  return SECURITY_LEVELS.indexOf(have) >= SECURITY_LEVELS.indexOf(need);
}

export function meetsHdcp(have: HdcpVersion, need: HdcpVersion): boolean {
  return HDCP_VERSIONS.indexOf(have) >= HDCP_VERSIONS.indexOf(need);
}
