/**
 * The closed claim schema: each violation, in a message with a valid MAC and the right typ,
 * is refused as 'invalid_token' with a detail naming the field (and never its value).
 */
import { describe, expect, it } from 'vitest';
import { decodeBase64url } from '../../../src/core/base64url.js';
import { ENTITLEMENT_TYP, mintEntitlementMessage, verifyEntitlementMessage } from '../../../src/core/drm/entitlement.js';
import { joseJwt } from '../../../src/server/keys/jose-jwt.js';
import { AUDIENCE, comKey, input, ISSUER, keyWrap, NOW } from './support.js';

/** Claims as plain JSON, mutated freely by the cases below. */
type Claims = Record<string, any>;

const com = comKey();

async function validClaims(): Promise<Claims> {
  const encryptKey = keyWrap([com], 'encrypt');
  const token = await mintEntitlementMessage(input(), { key: com.jwt, jwt: joseJwt, now: NOW, encryptKey });
  return JSON.parse(new TextDecoder().decode(decodeBase64url(token.split('.')[1]!)!)) as Claims;
}

async function verifyClaims(claims: Claims) {
  const token = await joseJwt.sign({ typ: ENTITLEMENT_TYP, key: com.jwt }, claims);
  return verifyEntitlementMessage(token, {
    resolveKey: (kid) => (kid === com.jwt.kid ? com.jwt : undefined),
    jwt: joseJwt,
    now: NOW,
    audience: AUDIENCE,
    issuer: ISSUER,
    decryptKey: keyWrap([com], 'decrypt'),
  });
}

const ZERO_KEY = 'AAAAAAAAAAAAAAAAAAAAAA==';

/** [name, mutation, expected detail fragment] */
const VIOLATIONS: [string, (c: Claims) => void, RegExp][] = [
  ['an unknown top-level claim', (c) => (c.admin = true), /claims has an unknown member/],
  ['sid missing', (c) => delete c.sid, /claims\.sid is missing/],
  ['sid not a string', (c) => (c.sid = 42), /sid must be/],
  ['sid with a space', (c) => (c.sid = 'a b'), /sid must be/],
  ['title too long', (c) => (c.title = 't'.repeat(129)), /title must be/],
  ['jti too short', (c) => (c.jti = 'short'), /jti must be/],
  ['jti with a dot', (c) => (c.jti = 'jti.0123456789abcdef'), /jti must be/],
  ['jti not a string', (c) => (c.jti = 12345678901234567), /jti must be/],
  ['iat fractional', (c) => (c.iat = NOW - 0.5), /iat and exp must be integers/],
  ['aud a list', (c) => (c.aud = [AUDIENCE]), /iss and aud must be strings/],
  ['content_keys not a list', (c) => (c.content_keys = { kid: 'x' }), /content_keys must be a list/],
  ['content_keys empty', (c) => (c.content_keys = []), /content_keys must be a list/],
  [
    'content_keys with 65 keys',
    (c) => (c.content_keys = Array.from({ length: 65 }, (_, i) => ({ ...c.content_keys[1], kid: i.toString(16).padStart(32, '0') }))),
    /content_keys must be a list of 1-64/,
  ],
  ['a content key not an object', (c) => (c.content_keys[0] = 'key'), /content_keys\[0\] must be an object/],
  ['a kid in upper case', (c) => (c.content_keys[1].kid = c.content_keys[1].kid.toUpperCase()), /content_keys\[1\]\.kid must be 32/],
  ['a kid of 31 digits', (c) => (c.content_keys[1].kid = c.content_keys[1].kid.slice(1)), /content_keys\[1\]\.kid must be 32/],
  ['a kid as a UUID', (c) => (c.content_keys[0].kid = '2f05477f-c24b-b4fa-efd8-6517156daffc'), /kid must be 32/],
  ['a duplicate kid', (c) => (c.content_keys[2].kid = c.content_keys[1].kid), /content_keys\[2\]\.kid is a duplicate/],
  ['encrypted_key unpadded', (c) => (c.content_keys[0].encrypted_key = ZERO_KEY.slice(0, 22)), /encrypted_key must be padded base64/],
  ['encrypted_key base64url', (c) => (c.content_keys[0].encrypted_key = '-_AAAAAAAAAAAAAAAAAAAA=='), /encrypted_key must be padded base64/],
  ['encrypted_key of 15 bytes', (c) => (c.content_keys[0].encrypted_key = 'AAAAAAAAAAAAAAAAAAAA'), /encrypted_key must be padded base64 of 16/],
  ['encrypted_key of 32 bytes', (c) => (c.content_keys[0].encrypted_key = ZERO_KEY.slice(0, 22) + ZERO_KEY), /encrypted_key/],
  ['encrypted_key not a string', (c) => (c.content_keys[0].encrypted_key = null), /encrypted_key must be padded base64/],
  ['a key with the key in the clear', (c) => (c.content_keys[0].k = 'tQ0bJVWb6b0KPL6KtZIy_A'), /content_keys\[0\] has an unknown member/],
  ['a key naming an unknown policy', (c) => (c.content_keys[3].usage_policy = 'premium'), /content_keys\[3\]\.usage_policy names no policy/],
  ['usage_policies empty', (c) => (c.usage_policies = []), /usage_policies must be a list/],
  [
    '17 usage policies',
    (c) => (c.usage_policies = Array.from({ length: 17 }, (_, i) => ({ ...c.usage_policies[0], name: `p${i}` }))),
    /usage_policies must be a list of 1-16/,
  ],
  ['an unknown security level', (c) => (c.usage_policies[1].min_security_level = 'L3'), /usage_policies\[1\]\.min_security_level/],
  ['a lower-case security level', (c) => (c.usage_policies[1].min_security_level = 'sw_secure_crypto'), /min_security_level/],
  ['an unknown HDCP version', (c) => (c.usage_policies[2].hdcp = 'HDCP_V3'), /usage_policies\[2\]\.hdcp/],
  ['license_duration_sec 0', (c) => (c.usage_policies[0].license_duration_sec = 0), /license_duration_sec must be/],
  ['license_duration_sec fractional', (c) => (c.usage_policies[0].license_duration_sec = 1.5), /license_duration_sec must be/],
  ['license_duration_sec over a year', (c) => (c.usage_policies[0].license_duration_sec = 367 * 86_400), /license_duration_sec must be/],
  ['renewal longer than the license', (c) => (c.usage_policies[0].renewal_interval_sec = 86_401), /renewal_interval_sec/],
  ['renewal as a string', (c) => (c.usage_policies[0].renewal_interval_sec = '60'), /renewal_interval_sec/],
  ['allow_persistence as a string', (c) => (c.usage_policies[0].allow_persistence = 'false'), /allow_persistence must be a boolean/],
  ['analog_output_allowed missing', (c) => delete c.usage_policies[0].analog_output_allowed, /analog_output_allowed is missing/],
  ['a policy name with a space', (c) => (c.usage_policies[0].name = 'all keys'), /name must be/],
  ['a duplicate policy name', (c) => (c.usage_policies[1].name = c.usage_policies[0].name), /usage_policies\[1\]\.name is a duplicate/],
  ['a policy with an unknown member', (c) => (c.usage_policies[3].widevine = {}), /usage_policies\[3\] has an unknown member/],
  ['license missing', (c) => delete c.license, /claims\.license is missing/],
  ['license.duration_sec missing', (c) => (c.license = {}), /license\.duration_sec is missing/],
  ['license.start_datetime as ISO text', (c) => (c.license.start_datetime = '2025-01-01T00:00:00Z'), /start_datetime must be Unix seconds/],
  ['license window ending at its start', (c) => Object.assign(c.license, { start_datetime: NOW, expiration_datetime: NOW }), /must be after/],
  ['license with an unknown member', (c) => (c.license.allow_persistence = true), /license has an unknown member/],
  ['license_server.prevent_reuse false', (c) => (c.license_server.prevent_reuse = false), /license_server must be exactly/],
  ['license_server with more', (c) => (c.license_server.concurrency_limit = 9), /license_server must be exactly/],
  ['license_server missing', (c) => delete c.license_server, /license_server is missing/],
];

describe('entitlement claim schema', () => {
  it('accepts the minted claims as they are', async () => {
    expect((await verifyClaims(await validClaims())).ok).toBe(true);
  });

  it.each(VIOLATIONS)('refuses %s', async (_name, mutate, detail) => {
    const claims = await validClaims();
    mutate(claims);
    const verdict = await verifyClaims(claims);
    expect(verdict).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(!verdict.ok && verdict.detail).toMatch(detail);
    expect(!verdict.ok && verdict.detail).toMatch(/^entitlement message: /);
  });

  it('never echoes a value in the detail', async () => {
    const claims = await validClaims();
    claims.content_keys[0].usage_policy = '<script>alert(1)</script>';
    const verdict = await verifyClaims(claims);
    expect(!verdict.ok && verdict.detail).not.toContain('script');
  });
});
