/**
 * Entitlement messages: round trips, key wrapping in Axinom's inline form, and every way a
 * message must be refused (time, MAC, kind, audience, alteration). Schema violations are in
 * entitlement-schema.test.ts.
 */
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url, utf8 } from '../../../src/core/base64url.js';
import {
  ENTITLEMENT_TYP,
  mintEntitlementMessage,
  verifyEntitlementMessage,
  type VerifyEntitlementOptions,
} from '../../../src/core/drm/entitlement.js';
import type { JwtKey } from '../../../src/core/jwt.js';
import { mintPlaybackToken } from '../../../src/core/playback-token.js';
import { joseJwt } from '../../../src/server/keys/jose-jwt.js';
import { generateAccessKeyPair } from '../../../src/server/keys/jwt-crypto.js';
import { AUDIENCE, comKey, hex, input, ISSUER, keyWrap, NOW, TIER_KEYS, type ComKey } from './support.js';

const com1 = comKey('com-1');
const com2 = comKey('com-2');

const mint = (over: Parameters<typeof input>[0] = {}, key: ComKey = com1, now = NOW): Promise<string> =>
  mintEntitlementMessage(input(over), { key: key.jwt, jwt: joseJwt, now, encryptKey: keyWrap([key], 'encrypt') });

function options(over: Partial<VerifyEntitlementOptions> = {}): VerifyEntitlementOptions {
  const keys = [com1, com2];
  return {
    resolveKey: (kid) => keys.find((k) => k.jwt.kid === kid)?.jwt,
    jwt: joseJwt,
    now: NOW,
    audience: AUDIENCE,
    issuer: ISSUER,
    decryptKey: keyWrap(keys, 'decrypt'),
    ...over,
  };
}

const verify = (token: string, over: Partial<VerifyEntitlementOptions> = {}) => verifyEntitlementMessage(token, options(over));
const refused = (detail: string) => ({ ok: false, code: 'invalid_token', detail });

function decodeSegment(token: string, index: number): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(decodeBase64url(token.split('.')[index]!)!)) as Record<string, unknown>;
}

/** Signs claims as the minter would, without the minter's checks. */
const signClaims = (claims: Record<string, unknown>, typ = ENTITLEMENT_TYP, key: JwtKey = com1.jwt) =>
  joseJwt.sign({ typ, key }, claims);

describe('round trip', () => {
  it('mints a JWS with the fixed header and verifies it, keys unwrapped', async () => {
    const token = await mint();
    expect(decodeSegment(token, 0)).toEqual({ alg: 'HS256', typ: 'tollgate-entitlement+jwt', kid: 'com-1' });
    const verdict = await verify(token);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    const expected = input();
    expect(verdict.value).toEqual({
      jti: expected.jti,
      iat: NOW,
      exp: NOW + 30,
      sid: expected.sid,
      title: expected.title,
      content_keys: expected.content_keys,
      usage_policies: expected.usage_policies,
      license: expected.license,
    });
  });

  it('writes the claims as documented, with no key in the clear', async () => {
    const token = await mint({ license: { duration_sec: 600, start_datetime: NOW - 60, expiration_datetime: NOW + 86_400 } });
    const claims = decodeSegment(token, 1);
    expect(Object.keys(claims).sort()).toEqual(
      ['aud', 'content_keys', 'exp', 'iat', 'iss', 'jti', 'license', 'license_server', 'sid', 'title', 'usage_policies'].sort(),
    );
    expect(claims).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      license: { duration_sec: 600, start_datetime: NOW - 60, expiration_datetime: NOW + 86_400 },
      license_server: { prevent_reuse: true },
    });
    const text = new TextDecoder().decode(decodeBase64url(token.split('.')[1]!)!);
    for (const k of Object.values(TIER_KEYS)) {
      expect(text).not.toContain(Buffer.from(k.key).toString('base64'));
      expect(text).not.toContain(Buffer.from(k.key).toString('hex'));
    }
  });

  it('wraps each key as Axinom does: base64(AES-256-CBC(KEK, IV = kid bytes, no padding))', async () => {
    const claims = decodeSegment(await mint(), 1);
    const kek = Buffer.from(hkdfSync('sha256', com1.secret, new Uint8Array(0), 'tollgate entitlement kek v1', 32));
    const entries = claims.content_keys as { kid: string; encrypted_key: string; usage_policy: string }[];
    expect(entries).toHaveLength(4);
    for (const entry of entries) {
      expect(entry.encrypted_key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      const decipher = createDecipheriv('aes-256-cbc', kek, Buffer.from(entry.kid, 'hex')).setAutoPadding(false);
      const key = Buffer.concat([decipher.update(Buffer.from(entry.encrypted_key, 'base64')), decipher.final()]);
      const tier = entry.usage_policy as keyof typeof TIER_KEYS;
      expect(key.toString('hex')).toBe(Buffer.from(TIER_KEYS[tier].key).toString('hex'));
    }
  });

  it('selects the communication key by kid, so rotation just works', async () => {
    for (const key of [com1, com2]) {
      const verdict = await verify(await mint({}, key));
      expect(verdict.ok && verdict.value.content_keys[1]!.key).toEqual(TIER_KEYS.sd.key);
    }
  });

  it('honours ttlSec 1-60 and an unused policy', async () => {
    const claims = decodeSegment(await mint({ ttlSec: 60 }), 1);
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    const oneKey = await mint({ content_keys: [{ ...TIER_KEYS.sd, usage_policy: 'sd' }] });
    expect((await verify(oneKey)).ok).toBe(true);
  });
});

describe('time', () => {
  it('is valid until exp and token_expired from exp on', async () => {
    const token = await mint();
    expect((await verify(token, { now: NOW + 29 })).ok).toBe(true);
    expect(await verify(token, { now: NOW + 30 })).toMatchObject({ ok: false, code: 'token_expired' });
    expect(await verify(token, { now: NOW + 3600 })).toMatchObject({ ok: false, code: 'token_expired' });
  });

  it('refuses a message issued in the future, unless within the leeway', async () => {
    const token = await mint({}, com1, NOW + 10);
    expect(await verify(token)).toMatchObject({ ok: false, code: 'invalid_token', detail: expect.stringMatching(/^iat in the future.*clock skew/) });
    expect((await verify(token, { leeway: 10 })).ok).toBe(true);
  });

  it.each([61, 3600, 0])('refuses a lifetime (exp - iat) of %i seconds even with a valid MAC', async (lifetime) => {
    const claims = { ...decodeSegment(await mint(), 1), exp: NOW + lifetime };
    const verdict = await verify(await signClaims(claims), { leeway: 5 });
    expect(verdict).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(!verdict.ok && verdict.detail).toMatch(/lifetime/);
  });
});

describe('refused: forged, other kind, other audience, altered', () => {
  it('refuses a message under an unknown key or a forged MAC', async () => {
    const claims = decodeSegment(await mint(), 1);
    const stranger = comKey('com-1'); // same kid, other secret
    expect(await verify(await signClaims(claims, ENTITLEMENT_TYP, stranger.jwt))).toEqual(refused('signature is invalid'));
    expect(await verify(await signClaims(claims, ENTITLEMENT_TYP, comKey('com-9').jwt))).toEqual(refused('unknown kid'));
  });

  it('refuses an access token (at+jwt) with the same key and claims', async () => {
    const claims = decodeSegment(await mint(), 1);
    expect(await verify(await signClaims(claims, 'at+jwt'))).toEqual(refused('typ missing or wrong'));
  });

  it('refuses an asymmetric message: communication keys are HS256 only', async () => {
    const pair = generateAccessKeyPair('EdDSA');
    const ed: JwtKey = { kid: 'com-1', alg: 'EdDSA', key: pair.privateKey };
    const claims = decodeSegment(await mint(), 1);
    expect(await verify(await signClaims(claims, ENTITLEMENT_TYP, ed))).toEqual(refused('alg missing or not allowed'));
  });

  it('refuses a playback token', async () => {
    const secret = new Uint8Array(32).fill(7);
    const hmac = (key: Uint8Array, data: string) => new Uint8Array(createHmac('sha256', key).update(data).digest());
    const playback = mintPlaybackToken({ sid: 'session-1', titleId: 'big-buck-bunny', exp: NOW + 30 }, { kid: 'com-1', secret }, hmac);
    expect(await verify(playback)).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  it('refuses a message for another license server or from another issuer', async () => {
    expect(await verify(await mint({ audience: 'another-license-server' }))).toEqual(refused('aud missing or wrong'));
    expect(await verify(await mint({ issuer: 'https://evil.example' }))).toEqual(refused('iss missing or wrong'));
  });

  it('refuses a message whose encrypted_key was changed', async () => {
    const token = await mint();
    const [h, , s] = token.split('.') as [string, string, string];
    const claims = decodeSegment(token, 1);
    const keys = claims.content_keys as { encrypted_key: string }[];
    const wrapped = Buffer.from(keys[0]!.encrypted_key, 'base64');
    wrapped[0]! ^= 1;
    keys[0]!.encrypted_key = wrapped.toString('base64');
    const tampered = `${h}.${encodeBase64url(utf8(JSON.stringify(claims)))}.${s}`;
    expect(await verify(tampered)).toMatchObject({ ok: false, code: 'invalid_token', detail: 'signature is invalid' });
  });

  it('refuses a message longer than 32 KiB before parsing it', async () => {
    expect(await verify('a'.repeat(32_769))).toEqual(refused('token too long'));
  });
});

describe('minting refuses what the license server would refuse', () => {
  const sdKey = { ...TIER_KEYS.sd, usage_policy: 'sd' };
  it.each([
    ['ttlSec 61', { ttlSec: 61 }],
    ['ttlSec 0', { ttlSec: 0 }],
    ['a kid not 32 lower-case hex', { content_keys: [{ ...sdKey, kid: sdKey.kid.toUpperCase() }] }],
    ['a 15-byte key', { content_keys: [{ ...sdKey, key: hex('00'.repeat(15)) }] }],
    ['a key naming no policy', { content_keys: [{ ...sdKey, usage_policy: 'premium' }] }],
    ['no keys', { content_keys: [] }],
    ['a short jti', { jti: 'abc' }],
    ['a policy with an unknown member', { usage_policies: input().usage_policies.map((p) => ({ ...p, widevine: {} })) }],
  ])('%s', async (_name, over) => {
    await expect(mint(over as Parameters<typeof input>[0])).rejects.toThrow(TypeError);
  });

  it('65 keys', async () => {
    const keys = Array.from({ length: 65 }, (_, i) => ({ ...sdKey, kid: i.toString(16).padStart(32, '0') }));
    await expect(mint({ content_keys: keys })).rejects.toThrow(/content_keys/);
  });

  it('a key that is not an HS256 communication key', async () => {
    const ed: JwtKey = { kid: 'com-1', alg: 'EdDSA', key: generateAccessKeyPair('EdDSA').privateKey };
    await expect(
      mintEntitlementMessage(input(), { key: ed, jwt: joseJwt, now: NOW, encryptKey: keyWrap([com1], 'encrypt') }),
    ).rejects.toThrow(/HS256/);
  });

  it('a key-wrap cipher that pads', async () => {
    const padding = () => new Uint8Array(32);
    await expect(mintEntitlementMessage(input(), { key: com1.jwt, jwt: joseJwt, now: NOW, encryptKey: padding })).rejects.toThrow(
      /wrong length/,
    );
  });
});
