/**
 * Tollgate's entitlement onto Axinom DRM's entitlement message v2 (FORMATS.md §6), so a
 * license-service adapter can forward a verified entitlement to a commercial service for
 * Widevine, PlayReady and FairPlay. Threat: a translation that loosens what was granted. Each
 * field maps to the same or a stricter one, and where Axinom has one value per license and
 * Tollgate one per key, the strictest of the keys' values is taken.
 *
 *   Tollgate                               Axinom v2
 *   license.start/expiration_datetime      license.start/expiration_datetime (ISO 8601, UTC)
 *   license.duration_sec, policies'        license.duration = the smallest of them
 *     license_duration_sec
 *   policies' allow_persistence            license.allow_persistence = true only if all allow it
 *   policies' renewal_interval_sec         license.widevine {allow_renewal, renewal_delay = smallest}
 *   content_keys[].kid, usage_policy       content_keys_source.inline[{id: UUID, usage_policy}];
 *                                          no encrypted_key: it is wrapped under Tollgate's KEK,
 *                                          so the service must hold the keys (CPIX export)
 *   usage_policies[].name                  content_key_usage_policies[].name
 *     min_security_level                   widevine.device_security_level (same vocabulary);
 *                                          playready.min_device_security_level: SW_* → 2000,
 *                                          HW_* → 3000 (150 admits test clients: never written)
 *     hdcp                                 widevine.hdcp "1.0" | "2.0" | "2.2";
 *                                          fairplay.hdcp TYPE0 (any HDCP) | TYPE1 (HDCP 2.2);
 *                                          NONE writes neither
 *     analog_output_allowed: false         playready.analog_video_opl 200 (the strictest level)
 *   license_server.prevent_reuse           license_server.access_control.prevent_drm_message_reuse
 *
 * The result is the inner message: the adapter wraps it in Axinom's License Service Message
 * ({version: 1, com_key_id, message}) and signs that with Axinom's communication key.
 */
import type { Entitlement } from './entitlement.js';
import { kidToUuid } from './kid.js';
import type { HdcpVersion, SecurityLevel, UsagePolicy } from './usage-policy.js';

export interface AxinomUsagePolicy {
  readonly name: string;
  readonly widevine: { readonly device_security_level: SecurityLevel; readonly hdcp?: string };
  readonly playready: { readonly min_device_security_level: 2000 | 3000; readonly analog_video_opl?: 200 };
  readonly fairplay?: { readonly hdcp: 'TYPE0' | 'TYPE1' };
}

export interface AxinomEntitlementMessage {
  readonly type: 'entitlement_message';
  readonly version: 2;
  readonly license: {
    readonly start_datetime?: string;
    readonly expiration_datetime?: string;
    readonly duration: number;
    readonly allow_persistence: boolean;
    readonly widevine?: { readonly allow_renewal: true; readonly renewal_delay: number };
  };
  readonly content_keys_source: { readonly inline: readonly { readonly id: string; readonly usage_policy: string }[] };
  readonly content_key_usage_policies: readonly AxinomUsagePolicy[];
  readonly license_server: { readonly access_control: { readonly prevent_drm_message_reuse: true } };
}

const WIDEVINE_HDCP: Readonly<Record<HdcpVersion, string | undefined>> = {
  NONE: undefined,
  HDCP_V1: '1.0',
  HDCP_V2: '2.0',
  HDCP_V2_2: '2.2',
};

export function toAxinomEntitlement(entitlement: Entitlement): AxinomEntitlementMessage {
  const { license, content_keys, usage_policies } = entitlement;
  // Only policies some key uses decide license-wide values; an unused one must not tighten them.
  const used = usage_policies.filter((p) => content_keys.some((k) => k.usage_policy === p.name));
  const renewals = used.flatMap((p) => (p.renewal_interval_sec === undefined ? [] : [p.renewal_interval_sec]));
  return {
    type: 'entitlement_message',
    version: 2,
    license: {
      ...(license.start_datetime === undefined ? {} : { start_datetime: isoDatetime(license.start_datetime) }),
      ...(license.expiration_datetime === undefined ? {} : { expiration_datetime: isoDatetime(license.expiration_datetime) }),
      duration: Math.min(license.duration_sec, ...used.map((p) => p.license_duration_sec)),
      allow_persistence: used.length > 0 && used.every((p) => p.allow_persistence),
      ...(renewals.length === 0 ? {} : { widevine: { allow_renewal: true, renewal_delay: Math.min(...renewals) } }),
    },
    content_keys_source: { inline: content_keys.map((k) => ({ id: kidToUuid(k.kid), usage_policy: k.usage_policy })) },
    content_key_usage_policies: usage_policies.map(toAxinomPolicy),
    license_server: { access_control: { prevent_drm_message_reuse: true } },
  };
}

function toAxinomPolicy(p: UsagePolicy): AxinomUsagePolicy {
  const widevineHdcp = WIDEVINE_HDCP[p.hdcp];
  return {
    name: p.name,
    widevine: { device_security_level: p.min_security_level, ...(widevineHdcp === undefined ? {} : { hdcp: widevineHdcp }) },
    playready: {
      min_device_security_level: p.min_security_level.startsWith('HW_') ? 3000 : 2000,
      ...(p.analog_output_allowed ? {} : { analog_video_opl: 200 as const }),
    },
    ...(p.hdcp === 'NONE' ? {} : { fairplay: { hdcp: p.hdcp === 'HDCP_V2_2' ? ('TYPE1' as const) : ('TYPE0' as const) } }),
  };
}

/** Unix seconds as ISO 8601 UTC without milliseconds ("2025-06-15T14:13:20Z"). */
function isoDatetime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
