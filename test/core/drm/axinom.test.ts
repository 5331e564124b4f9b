/**
 * The mapping onto Axinom's entitlement message v2 (FORMATS.md §6): the shape, UUID key ids,
 * per-DRM policy fields, and license-wide values taken as the strictest of the keys'.
 */
import { describe, expect, it } from 'vitest';
import { toAxinomEntitlement } from '../../../src/core/drm/axinom.js';
import { DEFAULT_POLICIES } from '../../../src/core/drm/policy.js';
import { entitlement, TIER_KEYS } from './support.js';


describe('toAxinomEntitlement', () => {
  it('maps the default four-tier entitlement', () => {
    const message = toAxinomEntitlement(
      entitlement({ license: { duration_sec: 3600, start_datetime: 1_750_000_000, expiration_datetime: 1_750_086_400 } }),
    );
    expect(message).toEqual({
      type: 'entitlement_message',
      version: 2,
      license: {
        start_datetime: '2025-06-15T15:06:40Z',
        expiration_datetime: '2025-06-16T15:06:40Z',
        duration: 3600,
        allow_persistence: false,
      },
      content_keys_source: {
        inline: [
          { id: 'a0000000-0000-0000-0000-000000000001', usage_policy: 'audio' },
          { id: '2f05477f-c24b-b4fa-efd8-6517156daffc', usage_policy: 'sd' },
          { id: 'd0376d53-da1d-f818-792f-7c5bbf45dffc', usage_policy: 'hd' },
          { id: 'f0000000-0000-0000-0000-000000000004', usage_policy: 'uhd' },
        ],
      },
      content_key_usage_policies: [
        { name: 'audio', widevine: { device_security_level: 'SW_SECURE_CRYPTO' }, playready: { min_device_security_level: 2000 } },
        { name: 'sd', widevine: { device_security_level: 'SW_SECURE_CRYPTO' }, playready: { min_device_security_level: 2000 } },
        {
          name: 'hd',
          widevine: { device_security_level: 'HW_SECURE_DECODE', hdcp: '1.0' },
          playready: { min_device_security_level: 3000, analog_video_opl: 200 },
          fairplay: { hdcp: 'TYPE0' },
        },
        {
          name: 'uhd',
          widevine: { device_security_level: 'HW_SECURE_ALL', hdcp: '2.2' },
          playready: { min_device_security_level: 3000, analog_video_opl: 200 },
          fairplay: { hdcp: 'TYPE1' },
        },
      ],
      license_server: { access_control: { prevent_drm_message_reuse: true } },
    });
  });

  it('carries no key material', () => {
    const text = JSON.stringify(toAxinomEntitlement(entitlement()));
    expect(text).not.toMatch(/encrypted_key|"key"/);
    for (const k of Object.values(TIER_KEYS)) expect(text).not.toContain(Buffer.from(k.key).toString('base64'));
  });

  it('maps each level to PlayReady 2000 (software) or 3000 (hardware), never 150', () => {
    const levels = ['SW_SECURE_CRYPTO', 'SW_SECURE_DECODE', 'HW_SECURE_CRYPTO', 'HW_SECURE_DECODE', 'HW_SECURE_ALL'] as const;
    const policies = levels.map((min_security_level, i) => ({ ...DEFAULT_POLICIES.sd, name: `p${i}`, min_security_level }));
    const keys = levels.map((_, i) => ({ ...TIER_KEYS.sd, kid: `${i}`.padStart(32, '0'), usage_policy: `p${i}` }));
    const mapped = toAxinomEntitlement(entitlement({ usage_policies: policies, content_keys: keys })).content_key_usage_policies;
    expect(mapped.map((p) => [p.widevine.device_security_level, p.playready.min_device_security_level])).toEqual([
      ['SW_SECURE_CRYPTO', 2000],
      ['SW_SECURE_DECODE', 2000],
      ['HW_SECURE_CRYPTO', 3000],
      ['HW_SECURE_DECODE', 3000],
      ['HW_SECURE_ALL', 3000],
    ]);
    const sdV2 = { usage_policies: [{ ...DEFAULT_POLICIES.sd, hdcp: 'HDCP_V2' as const }], content_keys: [{ ...TIER_KEYS.sd, usage_policy: 'sd' }] };
    const v2 = toAxinomEntitlement(entitlement(sdV2));
    expect(v2.content_key_usage_policies[0]).toMatchObject({ widevine: { hdcp: '2.0' }, fairplay: { hdcp: 'TYPE0' } });
  });

  it('takes the strictest of the used policies for license-wide values', () => {
    const policies = [
      { ...DEFAULT_POLICIES.sd, license_duration_sec: 900, renewal_interval_sec: 120, allow_persistence: true },
      { ...DEFAULT_POLICIES.audio, license_duration_sec: 1800, renewal_interval_sec: 60, allow_persistence: true },
      // Unused: neither its short duration nor its renewal may tighten the license.
      { ...DEFAULT_POLICIES.hd, license_duration_sec: 10, renewal_interval_sec: 5 },
    ];
    const keys = [
      { ...TIER_KEYS.sd, usage_policy: 'sd' },
      { ...TIER_KEYS.audio, usage_policy: 'audio' },
    ];
    const message = toAxinomEntitlement(entitlement({ usage_policies: policies, content_keys: keys }));
    expect(message.license).toEqual({ duration: 900, allow_persistence: true, widevine: { allow_renewal: true, renewal_delay: 60 } });
    const mixed = toAxinomEntitlement(entitlement({ usage_policies: [policies[0]!, DEFAULT_POLICIES.audio], content_keys: keys }));
    expect(mixed.license).toEqual({ duration: 900, allow_persistence: false, widevine: { allow_renewal: true, renewal_delay: 120 } });
  });
});
