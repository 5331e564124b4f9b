/**
 * Shared fixtures for the DRM core tests: communication keys, a node:crypto key-wrap cipher
 * (KEK = HKDF of the communication key, as a server would derive it), the W3C example kids,
 * and a valid entitlement input to vary.
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import type { Entitlement, EntitlementInput, KeyWrapCipher } from '../../../src/core/drm/entitlement.js';
import { DEFAULT_POLICIES } from '../../../src/core/drm/policy.js';
import type { JwtKey } from '../../../src/core/jwt.js';

export const NOW = 1_750_000_000;
export const ISSUER = 'https://tollgate.example';
export const AUDIENCE = 'tollgate-license';

/** W3C EME §9.1 example (FORMATS.md §5): two kids and a key, as base64url and as hex. */
export const W3C = {
  kid1: 'LwVHf8JLtPrv2GUXFW2v_A',
  kid1Hex: '2f05477fc24bb4faefd86517156daffc',
  kid2: '0DdtU9od-Bh5L3xbv0Xf_A',
  kid2Hex: 'd0376d53da1df818792f7c5bbf45dffc',
  key: 'tQ0bJVWb6b0KPL6KtZIy_A',
  keyHex: 'b50d1b25559be9bd0a3cbe8ab59232fc',
} as const;

export interface ComKey {
  readonly jwt: JwtKey;
  readonly secret: Buffer;
}

export function comKey(kid = 'com-1'): ComKey {
  const secret = randomBytes(32);
  return { jwt: { kid, alg: 'HS256', key: createSecretKey(secret) }, secret };
}

/** AES-256-CBC, no padding, under HKDF-SHA256(communication key) for the kid given. */
export function keyWrap(keys: readonly ComKey[], direction: 'encrypt' | 'decrypt'): KeyWrapCipher {
  return (comKid, iv, data) => {
    const com = keys.find((k) => k.jwt.kid === comKid);
    if (!com) throw new Error(`no communication key ${comKid}`);
    const kek = Buffer.from(hkdfSync('sha256', com.secret, new Uint8Array(0), 'tollgate entitlement kek v1', 32));
    const cipher = direction === 'encrypt' ? createCipheriv('aes-256-cbc', kek, iv) : createDecipheriv('aes-256-cbc', kek, iv);
    cipher.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
  };
}

export const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** One key per tier, with the default policies. */
export const TIER_KEYS = {
  audio: { kid: 'a0000000000000000000000000000001', key: hex('11111111111111111111111111111111') },
  sd: { kid: W3C.kid1Hex, key: hex(W3C.keyHex) },
  hd: { kid: W3C.kid2Hex, key: hex('22222222222222222222222222222222') },
  uhd: { kid: 'f0000000000000000000000000000004', key: hex('33333333333333333333333333333333') },
} as const;

export function input(over: Partial<EntitlementInput> = {}): EntitlementInput {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    jti: 'jti-0123456789abcdef',
    sid: 'session-1',
    title: 'big-buck-bunny',
    content_keys: (['audio', 'sd', 'hd', 'uhd'] as const).map((tier) => ({ ...TIER_KEYS[tier], usage_policy: tier })),
    usage_policies: Object.values(DEFAULT_POLICIES),
    license: { duration_sec: 3600 },
    ...over,
  };
}

/** The entitlement a verifier would return for input(over), built directly. */
export function entitlement(over: Partial<EntitlementInput> = {}): Entitlement {
  const { jti, sid, title, content_keys, usage_policies, license } = input(over);
  return { jti, iat: NOW, exp: NOW + 30, sid, title, content_keys, usage_policies, license };
}
