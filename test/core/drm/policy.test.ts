/**
 * Usage-policy evaluation: ClearKey (a software CDM) gets SD and audio keys only, hardware
 * clients what their level and HDCP allow, only requested and listed keys, persistence and
 * license windows; and the tier defaults with their label mapping.
 */
import { describe, expect, it } from 'vitest';
import { mintEntitlementMessage, verifyEntitlementMessage } from '../../../src/core/drm/entitlement.js';
import { CLEARKEY_CLIENT, DEFAULT_POLICIES, defaultPolicyName, evaluateKeys } from '../../../src/core/drm/policy.js';
import type { LicenseClient } from '../../../src/core/drm/policy.js';
import { joseJwt } from '../../../src/server/keys/jose-jwt.js';
import { AUDIENCE, comKey, entitlement, input, ISSUER, keyWrap, NOW, TIER_KEYS } from './support.js';

const KIDS = { audio: TIER_KEYS.audio.kid, sd: TIER_KEYS.sd.kid, hd: TIER_KEYS.hd.kid, uhd: TIER_KEYS.uhd.kid };
const ALL = [KIDS.sd, KIDS.hd, KIDS.uhd, KIDS.audio];
const clearkey: LicenseClient = { ...CLEARKEY_CLIENT, persistent: false };
const hardware = (over: Partial<LicenseClient>): LicenseClient => ({ securityLevel: 'HW_SECURE_ALL', persistent: false, ...over });


const kidsOf = (list: readonly { kid: string }[]) => list.map((k) => k.kid);

describe('ClearKey, a software CDM', () => {
  it('asking for all sd/hd/uhd/audio kids of a verified message gets SD and audio only', async () => {
    const com = comKey();
    const token = await mintEntitlementMessage(input(), { key: com.jwt, jwt: joseJwt, now: NOW, encryptKey: keyWrap([com], 'encrypt') });
    const verified = await verifyEntitlementMessage(token, {
      resolveKey: () => com.jwt,
      jwt: joseJwt,
      now: NOW,
      audience: AUDIENCE,
      issuer: ISSUER,
      decryptKey: keyWrap([com], 'decrypt'),
    });
    if (!verified.ok) throw new Error(verified.detail);
    const decision = evaluateKeys(ALL, verified.value, clearkey, NOW);
    expect(decision.ok).toBe(true);
    if (!decision.ok) return;
    expect(kidsOf(decision.value.granted)).toEqual([KIDS.sd, KIDS.audio]);
    expect(decision.value.granted.map((g) => [g.policy.name, Buffer.from(g.key).toString('hex')])).toEqual([
      ['sd', Buffer.from(TIER_KEYS.sd.key).toString('hex')],
      ['audio', Buffer.from(TIER_KEYS.audio.key).toString('hex')],
    ]);
    expect(decision.value.withheld).toEqual([
      { kid: KIDS.hd, reason: 'security_level' },
      { kid: KIDS.uhd, reason: 'security_level' },
    ]);
  });

  it('is denied when it asks only for HD and UHD, and told why', () => {
    expect(evaluateKeys([KIDS.hd, KIDS.uhd], entitlement(), clearkey, NOW)).toEqual({
      ok: false,
      code: 'not_entitled',
      detail: 'no requested key may be licensed to this client: 2 need a higher security level',
    });
  });
});

describe('hardware clients', () => {
  it('gets every key at HW_SECURE_ALL with HDCP 2.2', () => {
    const d = evaluateKeys(ALL, entitlement(), hardware({ hdcp: 'HDCP_V2_2' }), NOW);
    expect(d.ok && kidsOf(d.value.granted)).toEqual(ALL);
  });

  it('gets HD but not UHD at HW_SECURE_DECODE with HDCP 1', () => {
    const d = evaluateKeys(ALL, entitlement(), hardware({ securityLevel: 'HW_SECURE_DECODE', hdcp: 'HDCP_V1' }), NOW);
    expect(d.ok && kidsOf(d.value.granted)).toEqual([KIDS.sd, KIDS.hd, KIDS.audio]);
    expect(d.ok && d.value.withheld).toEqual([{ kid: KIDS.uhd, reason: 'security_level' }]);
  });

  it('withholds HDCP-protected keys when the client reports no HDCP or too old a version', () => {
    const none = evaluateKeys(ALL, entitlement(), hardware({}), NOW);
    expect(none.ok && none.value.withheld).toEqual([
      { kid: KIDS.hd, reason: 'hdcp' },
      { kid: KIDS.uhd, reason: 'hdcp' },
    ]);
    const v2 = evaluateKeys(ALL, entitlement(), hardware({ hdcp: 'HDCP_V2' }), NOW);
    expect(v2.ok && v2.value.withheld).toEqual([{ kid: KIDS.uhd, reason: 'hdcp' }]);
  });
});

describe('only keys both requested and listed', () => {
  it('sends no key that was not asked for', () => {
    const d = evaluateKeys([KIDS.sd], entitlement(), clearkey, NOW);
    expect(d.ok && d.value).toMatchObject({ granted: [{ kid: KIDS.sd }], withheld: [] });
  });

  it('withholds a requested kid the message does not list (another title)', () => {
    const other = '0123456789abcdef0123456789abcdef';
    const d = evaluateKeys([other, KIDS.sd], entitlement(), clearkey, NOW);
    expect(d.ok && d.value.withheld).toEqual([{ kid: other, reason: 'not_entitled' }]);
    expect(evaluateKeys([other], entitlement(), clearkey, NOW)).toMatchObject({
      ok: false,
      code: 'not_entitled',
      detail: 'no requested key may be licensed to this client: 1 not in the entitlement',
    });
  });

  it('withholds a key whose policy is missing from a hand-built entitlement', () => {
    const e = { ...entitlement(), usage_policies: [DEFAULT_POLICIES.audio] };
    const d = evaluateKeys([KIDS.sd, KIDS.audio], e, clearkey, NOW);
    expect(d.ok && d.value.withheld).toEqual([{ kid: KIDS.sd, reason: 'not_entitled' }]);
  });

  it('answers a kid asked twice once, and denies an empty request', () => {
    const d = evaluateKeys([KIDS.sd, KIDS.sd], entitlement(), clearkey, NOW);
    expect(d.ok && kidsOf(d.value.granted)).toEqual([KIDS.sd]);
    expect(evaluateKeys([], entitlement(), clearkey, NOW)).toMatchObject({ ok: false, code: 'not_entitled', detail: /no key ids requested/ });
  });
});

describe('persistence', () => {
  it('withholds keys whose policy forbids persistence from a persistent-license request', () => {
    const persistent = { ...clearkey, persistent: true };
    expect(evaluateKeys([KIDS.sd, KIDS.audio], entitlement(), persistent, NOW)).toMatchObject({
      ok: false,
      code: 'not_entitled',
      detail: 'no requested key may be licensed to this client: 2 may not be persisted',
    });
    const policies = [{ ...DEFAULT_POLICIES.sd, allow_persistence: true }, DEFAULT_POLICIES.audio, DEFAULT_POLICIES.hd, DEFAULT_POLICIES.uhd];
    const d = evaluateKeys([KIDS.sd, KIDS.audio], entitlement({ usage_policies: policies }), persistent, NOW);
    expect(d.ok && d.value).toMatchObject({ granted: [{ kid: KIDS.sd }], withheld: [{ kid: KIDS.audio, reason: 'persistence' }] });
  });

  it('names each reason when nothing is granted', () => {
    const d = evaluateKeys([KIDS.sd, KIDS.hd], entitlement(), { ...clearkey, persistent: true }, NOW);
    expect(!d.ok && d.detail).toBe('no requested key may be licensed to this client: 1 may not be persisted, 1 need a higher security level');
  });
});

describe('license window', () => {
  const window = { duration_sec: 3600, start_datetime: NOW - 100, expiration_datetime: NOW + 600 };

  it('denies before the start and from the expiration on', () => {
    const e = entitlement({ license: window });
    expect(evaluateKeys(ALL, e, clearkey, NOW - 101)).toEqual({ ok: false, code: 'not_entitled', detail: 'the license window has not started' });
    expect(evaluateKeys(ALL, e, clearkey, NOW + 600)).toEqual({ ok: false, code: 'not_entitled', detail: 'the license window is over' });
    expect(evaluateKeys(ALL, e, clearkey, NOW - 100).ok).toBe(true);
  });

  it('limits each license to the smallest of license, policy and window', () => {
    const short = [{ ...DEFAULT_POLICIES.sd, license_duration_sec: 120 }, DEFAULT_POLICIES.audio, DEFAULT_POLICIES.hd, DEFAULT_POLICIES.uhd];
    const d = evaluateKeys([KIDS.sd, KIDS.audio], entitlement({ license: window, usage_policies: short }), clearkey, NOW);
    expect(d.ok && d.value.granted.map((g) => g.durationSec)).toEqual([120, 600]);
    const late = evaluateKeys([KIDS.audio], entitlement({ license: window }), clearkey, NOW + 590.5);
    expect(late.ok && late.value.granted[0]!.durationSec).toBe(9);
    const open = evaluateKeys([KIDS.audio], entitlement({ license: { duration_sec: 300 } }), clearkey, NOW);
    expect(open.ok && open.value.granted[0]!.durationSec).toBe(300);
  });
});

describe('defaults', () => {
  it('ClearKey is SW_SECURE_CRYPTO without HDCP, frozen', () => {
    expect(CLEARKEY_CLIENT).toEqual({ securityLevel: 'SW_SECURE_CRYPTO', hdcp: 'NONE' });
    expect(Object.isFrozen(CLEARKEY_CLIENT)).toBe(true);
  });

  it('has one named policy per tier', () => {
    const common = { license_duration_sec: 86_400, allow_persistence: false };
    const open = { ...common, min_security_level: 'SW_SECURE_CRYPTO', hdcp: 'NONE', analog_output_allowed: true };
    expect(DEFAULT_POLICIES).toEqual({
      audio: { ...open, name: 'audio' },
      sd: { ...open, name: 'sd' },
      hd: { ...common, name: 'hd', min_security_level: 'HW_SECURE_DECODE', hdcp: 'HDCP_V1', analog_output_allowed: false },
      uhd: { ...common, name: 'uhd', min_security_level: 'HW_SECURE_ALL', hdcp: 'HDCP_V2_2', analog_output_allowed: false },
    });
    expect(Object.isFrozen(DEFAULT_POLICIES) && Object.isFrozen(DEFAULT_POLICIES.sd)).toBe(true);
  });

  it.each([
    ['audio', 'audio'],
    ['sd', 'sd'],
    ['hd', 'hd'],
    ['uhd', 'uhd'],
    ['sd@3', 'sd'],
    ['uhd@0', 'uhd'],
    ['audio@123456789', 'audio'],
    ['hls', undefined],
    ['SD', undefined],
    ['sd@', undefined],
    ['sd@01', undefined],
    ['sd@-1', undefined],
    ['sd@1.5', undefined],
    ['hd@1@2', undefined],
    ['sdx', undefined],
    ['', undefined],
  ])('maps the label %j to the policy %j', (label, name) => {
    expect(defaultPolicyName(label)).toBe(name);
  });
});
