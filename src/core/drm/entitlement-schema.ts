/**
 * The closed schema of entitlement-message claims. Threat: a signed message that says more
 * or other than its minter meant and a lenient reader acts on — an unknown member read as a
 * grant, a key pointing at a policy nobody wrote (and so checked against none), a lifetime
 * of hours where seconds were promised, a count of keys that costs the server. Every member
 * is typed, unknown members are refused at every level, and the details name the faulty
 * field, never its value. Used on both sides: the verifier refuses, the minter throws, so
 * nothing is minted that the license server would refuse.
 */
import { isKidHex, KEY_BYTES, decodeBase64 } from './kid.js';
import { isHdcpVersion, isSecurityLevel, type UsagePolicy } from './usage-policy.js';

/** A content key as the message carries it: wrapped under the key-encryption key. */
export interface WrappedContentKey {
  /** 32 lower-case hex digits. */
  readonly kid: string;
  /** Standard padded base64 of AES-256-CBC(KEK, IV = kid bytes, no padding)(key). */
  readonly encrypted_key: string;
  readonly usage_policy: string;
}

/** The license window: Unix seconds, and the longest license the server may issue. */
export interface LicenseTerms {
  readonly start_datetime?: number;
  readonly expiration_datetime?: number;
  readonly duration_sec: number;
}

export interface EntitlementClaims {
  readonly iss: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly sid: string;
  readonly title: string;
  readonly content_keys: readonly WrappedContentKey[];
  readonly usage_policies: readonly UsagePolicy[];
  readonly license: LicenseTerms;
  readonly license_server: { readonly prevent_reuse: true };
}

/** Seconds-long by construction: a leaked message is worthless a minute later. */
export const MAX_MESSAGE_TTL_SEC = 60;
/** A title has a handful of tiers and rotation periods; more is an attack on the server. */
export const MAX_CONTENT_KEYS = 64;
const MAX_POLICIES = 16;
/** A year and a day: longer "rentals" are a minting bug. */
const MAX_LICENSE_DURATION_SEC = 366 * 86_400;
/** 9999-12-31T23:59:59Z, the last instant an ISO 8601 datetime (Axinom's form) can write. */
const MAX_DATETIME = 253_402_300_799;

const JTI = /^[A-Za-z0-9_-]{16,128}$/;
const POLICY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const POLICY_MEMBERS = ['name', 'min_security_level', 'license_duration_sec', 'allow_persistence', 'hdcp', 'analog_output_allowed'];
const TOP_LEVEL = ['iss', 'aud', 'iat', 'exp', 'jti', 'sid', 'title', 'content_keys', 'usage_policies', 'license', 'license_server'];

/** Returns the typed claims, or a sentence naming the first fault. */
export function parseEntitlementClaims(claims: Record<string, unknown>): EntitlementClaims | string {
  const fault = members(claims, 'claims', TOP_LEVEL, []);
  if (fault) return fault;
  const { iss, aud, iat, exp, jti } = claims;
  if (typeof iss !== 'string' || typeof aud !== 'string') return 'iss and aud must be strings';
  if (!isInteger(iat) || !isInteger(exp)) return 'iat and exp must be integers';
  if (exp <= iat || exp - iat > MAX_MESSAGE_TTL_SEC) return `lifetime (exp - iat) must be 1-${MAX_MESSAGE_TTL_SEC} seconds`;
  if (typeof jti !== 'string' || !JTI.test(jti)) return 'jti must be 16-128 base64url characters';
  if (!isLabel(claims.sid)) return 'sid must be 1-128 visible ASCII characters';
  if (!isLabel(claims.title)) return 'title must be 1-128 visible ASCII characters';

  const policies = parsePolicies(claims.usage_policies);
  if (typeof policies === 'string') return policies;
  const keys = parseKeys(claims.content_keys, new Set(policies.map((p) => p.name)));
  if (typeof keys === 'string') return keys;
  const license = parseLicense(claims.license);
  if (typeof license === 'string') return license;
  const server = claims.license_server;
  if (!isObject(server) || members(server, 'license_server', ['prevent_reuse'], []) || server.prevent_reuse !== true) {
    return 'license_server must be exactly {prevent_reuse: true}';
  }
  return {
    iss, aud, iat, exp, jti, sid: claims.sid, title: claims.title,
    content_keys: keys, usage_policies: policies, license, license_server: { prevent_reuse: true },
  };
}

function parsePolicies(value: unknown): UsagePolicy[] | string {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_POLICIES) {
    return `usage_policies must be a list of 1-${MAX_POLICIES} policies`;
  }
  const out: UsagePolicy[] = [];
  for (const [i, p] of value.entries()) {
    const at = `usage_policies[${i}]`;
    if (!isObject(p)) return `${at} must be an object`;
    const fault = members(p, at, POLICY_MEMBERS, ['renewal_interval_sec']);
    if (fault) return fault;
    const { name, min_security_level, license_duration_sec, renewal_interval_sec } = p;
    const { allow_persistence, hdcp, analog_output_allowed } = p;
    if (typeof name !== 'string' || !POLICY_NAME.test(name)) return `${at}.name must be 1-64 characters [A-Za-z0-9_.-]`;
    if (out.some((q) => q.name === name)) return `${at}.name is a duplicate`;
    if (!isSecurityLevel(min_security_level)) return `${at}.min_security_level is not a known level`;
    if (!isDuration(license_duration_sec)) return `${at}.license_duration_sec must be 1-${MAX_LICENSE_DURATION_SEC} seconds`;
    if (renewal_interval_sec !== undefined && !(isDuration(renewal_interval_sec) && renewal_interval_sec <= license_duration_sec)) {
      return `${at}.renewal_interval_sec must be 1 second to license_duration_sec`;
    }
    if (typeof allow_persistence !== 'boolean') return `${at}.allow_persistence must be a boolean`;
    if (!isHdcpVersion(hdcp)) return `${at}.hdcp is not a known HDCP version`;
    if (typeof analog_output_allowed !== 'boolean') return `${at}.analog_output_allowed must be a boolean`;
    out.push({
      name, min_security_level, license_duration_sec, allow_persistence, hdcp, analog_output_allowed,
      ...(renewal_interval_sec === undefined ? {} : { renewal_interval_sec }),
    });
  }
  return out;
}

function parseKeys(value: unknown, policyNames: ReadonlySet<string>): WrappedContentKey[] | string {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_CONTENT_KEYS) {
    return `content_keys must be a list of 1-${MAX_CONTENT_KEYS} keys`;
  }
  const out: WrappedContentKey[] = [];
  for (const [i, k] of value.entries()) {
    const at = `content_keys[${i}]`;
    if (!isObject(k)) return `${at} must be an object`;
    const fault = members(k, at, ['kid', 'encrypted_key', 'usage_policy'], []);
    if (fault) return fault;
    const { kid, encrypted_key, usage_policy } = k;
    if (!isKidHex(kid)) return `${at}.kid must be 32 lower-case hex digits`;
    if (out.some((o) => o.kid === kid)) return `${at}.kid is a duplicate`;
    if (typeof encrypted_key !== 'string' || decodeBase64(encrypted_key)?.length !== KEY_BYTES) {
      return `${at}.encrypted_key must be padded base64 of ${KEY_BYTES} bytes`;
    }
    if (typeof usage_policy !== 'string' || !policyNames.has(usage_policy)) {
      return `${at}.usage_policy names no policy in usage_policies`;
    }
    out.push({ kid, encrypted_key, usage_policy });
  }
  return out;
}

function parseLicense(value: unknown): LicenseTerms | string {
  if (!isObject(value)) return 'license must be an object';
  const fault = members(value, 'license', ['duration_sec'], ['start_datetime', 'expiration_datetime']);
  if (fault) return fault;
  const { start_datetime: start, expiration_datetime: end, duration_sec } = value;
  if (!isDuration(duration_sec)) return `license.duration_sec must be 1-${MAX_LICENSE_DURATION_SEC} seconds`;
  if (start !== undefined && !isDatetime(start)) return 'license.start_datetime must be Unix seconds';
  if (end !== undefined && !isDatetime(end)) return 'license.expiration_datetime must be Unix seconds';
  if (start !== undefined && end !== undefined && end <= start) return 'license.expiration_datetime must be after start_datetime';
  return {
    duration_sec,
    ...(start === undefined ? {} : { start_datetime: start }),
    ...(end === undefined ? {} : { expiration_datetime: end }),
  };
}

/** The first missing required or unknown member of `obj`, or undefined; undefined values count as absent. */
function members(
  obj: Record<string, unknown>,
  at: string,
  required: readonly string[],
  optional: readonly string[],
): string | undefined {
  for (const name of required) if (obj[name] === undefined) return `${at}.${name} is missing`;
  for (const name of Object.keys(obj)) {
    if (!required.includes(name) && !optional.includes(name)) return `${at} has an unknown member`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInteger(value: unknown): value is number {
  return Number.isSafeInteger(value);
}

function isDuration(value: unknown): value is number {
  return isInteger(value) && value >= 1 && value <= MAX_LICENSE_DURATION_SEC;
}

function isDatetime(value: unknown): value is number {
  return isInteger(value) && value >= 0 && value <= MAX_DATETIME;
}

/** Session and title ids: Tollgate's own short ASCII labels. */
function isLabel(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21-\x7e]{1,128}$/.test(value);
}
