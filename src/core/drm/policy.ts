/**
 * Which of the requested keys a client may have. Threat: a key reaching a client that cannot
 * protect it — an HD or UHD key in a software CDM such as ClearKey, whose keys can be read
 * from memory — or reaching any client for a title or a time the viewer is not entitled to.
 * Per key, the license server (not the player) checks the key's usage policy against what the
 * client is; keys nobody asked for are never sent, and a key the message does not list is
 * withheld, whatever the request says.
 */
import { deny, grant, type Verdict } from '../errors.js';
import type { ContentKey, Entitlement } from './entitlement.js';
import { meetsHdcp, meetsSecurityLevel, type HdcpVersion, type SecurityLevel, type UsagePolicy } from './usage-policy.js';

/** What the license server knows of the requesting client. */
export interface LicenseClient {
  readonly securityLevel: SecurityLevel;
  /** HDCP the client's outputs are known to enforce; unknown counts as none. */
  readonly hdcp?: HdcpVersion;
  /** A persistent (offline) license is asked for. */
  readonly persistent: boolean;
}

/** ClearKey decrypts in software and enforces no output protection. */
export const CLEARKEY_CLIENT = Object.freeze({ securityLevel: 'SW_SECURE_CRYPTO', hdcp: 'NONE' } as const);

export type WithheldReason = 'not_entitled' | 'security_level' | 'hdcp' | 'persistence';

export interface GrantedKey extends ContentKey {
  readonly policy: UsagePolicy;
  /** The longest license for this key now: the license's, the policy's and the window's limits. */
  readonly durationSec: number;
}

export interface KeyDecision {
  readonly granted: readonly GrantedKey[];
  readonly withheld: readonly { readonly kid: string; readonly reason: WithheldReason }[];
}

const REASON_TEXT: Readonly<Record<WithheldReason, string>> = {
  not_entitled: 'not in the entitlement',
  security_level: 'need a higher security level',
  hdcp: 'need HDCP',
  persistence: 'may not be persisted',
};

/**
 * Decides each requested kid (32 lower-case hex). Denies 'not_entitled' outside the license
 * window, and when no key is granted, naming why each was withheld.
 */
export function evaluateKeys(
  requestedKids: readonly string[],
  entitlement: Entitlement,
  client: LicenseClient,
  now: number,
): Verdict<KeyDecision> {
  const { start_datetime: start, expiration_datetime: end, duration_sec } = entitlement.license;
  if (start !== undefined && now < start) return deny('not_entitled', 'the license window has not started');
  if (end !== undefined && now >= end) return deny('not_entitled', 'the license window is over');

  const keys = new Map(entitlement.content_keys.map((k) => [k.kid, k]));
  const policies = new Map(entitlement.usage_policies.map((p) => [p.name, p]));
  const granted: GrantedKey[] = [];
  const withheld: { kid: string; reason: WithheldReason }[] = [];
  for (const kid of new Set(requestedKids)) {
    const key = keys.get(kid);
    const policy = key && policies.get(key.usage_policy);
    // The schema ties every key to a policy; a hand-built entitlement that does not is refused too.
    if (!key || !policy) {
      withheld.push({ kid, reason: 'not_entitled' });
      continue;
    }
    const reason = policyRefusal(policy, client);
    if (reason !== undefined) {
      withheld.push({ kid, reason });
      continue;
    }
    const limits = [duration_sec, policy.license_duration_sec, ...(end === undefined ? [] : [end - now])];
    granted.push({ ...key, policy, durationSec: Math.floor(Math.min(...limits)) });
  }
  if (granted.length === 0) return deny('not_entitled', `no requested key may be licensed to this client: ${summary(withheld)}`);
  return grant({ granted, withheld });
}

/** Why a policy withholds its key from a client, or undefined when it allows it. */
export function policyRefusal(policy: UsagePolicy, client: LicenseClient): WithheldReason | undefined {
  if (!meetsSecurityLevel(client.securityLevel, policy.min_security_level)) return 'security_level';
  if (!meetsHdcp(client.hdcp ?? 'NONE', policy.hdcp)) return 'hdcp';
  if (client.persistent && !policy.allow_persistence) return 'persistence';
  return undefined;
}

/** "2 need a higher security level, 1 not in the entitlement"; never key ids. */
function summary(withheld: readonly { reason: WithheldReason }[]): string {
  if (withheld.length === 0) return 'no key ids requested';
  const counts = new Map<WithheldReason, number>();
  for (const { reason } of withheld) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${REASON_TEXT[reason]}`).join(', ');
}

/**
 * The label of a title's HLS AES-128 key. Its policy is fixed: the AES-128 key route serves it
 * to live HLS sessions of its title, and no DRM license ever carries it.
 */
export const HLS_KEY_LABEL = 'hls';

/**
 * The label of a title's forensic watermark key (issue 13): it keys the A/B pattern and the
 * sessions' payloads. It never leaves Tollgate: no key route, license or CPIX export carries it.
 */
export const WATERMARK_KEY_LABEL = 'watermark';

/** Tollgate's content-key labels that name a DRM tier (HLS AES-128 keys are HLS_KEY_LABEL). */
export type TierLabel = 'audio' | 'sd' | 'hd' | 'uhd';

function tierPolicy(name: TierLabel, min_security_level: SecurityLevel, hdcp: HdcpVersion): UsagePolicy {
  // Analog outputs carry no HDCP: a tier that needs HDCP forbids them too.
  const analog_output_allowed = hdcp === 'NONE';
  const license_duration_sec = 86_400;
  return Object.freeze({ name, min_security_level, hdcp, analog_output_allowed, license_duration_sec, allow_persistence: false });
}

/**
 * The default policy per tier: what a studio audit expects of multi-key content. ClearKey
 * (SW_SECURE_CRYPTO, no HDCP) gets audio and SD; HD needs a hardware decoder and HDCP, UHD
 * the full hardware path and HDCP 2.2. Licenses last up to a day, none persistent.
 */
export const DEFAULT_POLICIES: Readonly<Record<TierLabel, UsagePolicy>> = Object.freeze({
  audio: tierPolicy('audio', 'SW_SECURE_CRYPTO', 'NONE'),
  sd: tierPolicy('sd', 'SW_SECURE_CRYPTO', 'NONE'),
  hd: tierPolicy('hd', 'HW_SECURE_DECODE', 'HDCP_V1'),
  uhd: tierPolicy('uhd', 'HW_SECURE_ALL', 'HDCP_V2_2'),
});

const TIER_LABEL = /^(audio|sd|hd|uhd)(?:@(?:0|[1-9][0-9]{0,8}))?$/;

/**
 * The default policy name for a content-key label: the tier, optionally with a key-rotation
 * period ('sd@3' is the SD key of period 3). Undefined for labels that are no DRM tier.
 */
export function defaultPolicyName(label: string): TierLabel | undefined {
  return TIER_LABEL.exec(label)?.[1] as TierLabel | undefined;
}
