/**
 * Entitlement messages: the entitlement proxy's instruction to the license server, "give this
 * playback session these keys under these policies". Threats: a forged or altered message (a
 * key added, a policy relaxed), a captured one replayed, a message of another kind (an access
 * or playback token) or for another license server passed off as one, and key material read
 * from a message in transit or in a log. Hence: HS256 under a communication key chosen by
 * `kid` (as Axinom's License Service Message), an explicit `typ`, one audience, seconds-long
 * (exp - iat <= 60) and single-use (`jti`, which the license server consumes once across
 * instances), and content keys wrapped under a key-encryption key, never in the clear.
 *
 * Format: JWS compact, header {"alg":"HS256","typ":"tollgate-entitlement+jwt","kid":<com key>},
 * claims per entitlement-schema.ts. Checks go through the injected JwtCodec (jose in the
 * server, with Tollgate's strict rules in front): structure, MAC, time, issuer, audience, then
 * the closed claim schema, then unwrapping.
 */
import { deny, grant, type Verdict } from '../errors.js';
import type { JwtCodec, JwtKey } from '../jwt.js';
import {
  MAX_MESSAGE_TTL_SEC,
  parseEntitlementClaims,
  type EntitlementClaims,
  type LicenseTerms,
  type WrappedContentKey,
} from './entitlement-schema.js';
import { decodeBase64, encodeBase64, hexToBytes, isKidHex, KEY_BYTES } from './kid.js';
import type { UsagePolicy } from './usage-policy.js';

export type { LicenseTerms, WrappedContentKey } from './entitlement-schema.js';

export const ENTITLEMENT_TYP = 'tollgate-entitlement+jwt';
export const DEFAULT_MESSAGE_TTL_SEC = 30;
/** 64 wrapped keys and 16 policies fit in about 22 000 characters; the default 8192 would not. */
const MAX_MESSAGE_LENGTH = 32_768;

/**
 * AES-256-CBC without padding, IV = the 16 kid bytes (Axinom's inline `encrypted_key` form),
 * under the key-encryption key the implementation derives from communication key `comKid`.
 * Injected so core stays standard JS; the MAC over the message, not the cipher, gives integrity.
 */
export type KeyWrapCipher = (comKid: string, iv: Uint8Array, data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** A content key in the clear, as the minter is given it and the verifier returns it. */
export interface ContentKey {
  /** 32 lower-case hex digits. */
  readonly kid: string;
  readonly key: Uint8Array;
  readonly usage_policy: string;
}

/** What a message grants: the same in the minter's input and the verifier's result. */
interface EntitlementGrant {
  /** A fresh random id (16-128 base64url characters); the license server accepts it once. */
  readonly jti: string;
  readonly sid: string;
  readonly title: string;
  readonly content_keys: readonly ContentKey[];
  readonly usage_policies: readonly UsagePolicy[];
  readonly license: LicenseTerms;
}

export interface EntitlementInput extends EntitlementGrant {
  readonly issuer: string;
  /** The license server the message is for. */
  readonly audience: string;
  /** Seconds, 1-60; default 30. */
  readonly ttlSec?: number;
}

/** A verified message, keys unwrapped. `exp` tells the server how long to remember the jti. */
export interface Entitlement extends EntitlementGrant {
  readonly iat: number;
  readonly exp: number;
}

/** Mints a message. Throws on input the license server would refuse: that is a minting bug. */
export async function mintEntitlementMessage(
  input: EntitlementInput,
  opts: { readonly key: JwtKey; readonly jwt: JwtCodec; readonly now: number; readonly encryptKey: KeyWrapCipher },
): Promise<string> {
  if (opts.key.alg !== 'HS256') throw new TypeError('mintEntitlementMessage: communication keys are HS256');
  const ttl = input.ttlSec ?? DEFAULT_MESSAGE_TTL_SEC;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_MESSAGE_TTL_SEC) {
    throw new TypeError(`mintEntitlementMessage: ttlSec must be 1-${MAX_MESSAGE_TTL_SEC}`);
  }
  const wrapped: WrappedContentKey[] = [];
  for (const k of input.content_keys) {
    if (!isKidHex(k.kid) || k.key.length !== KEY_BYTES) throw new TypeError('mintEntitlementMessage: a content key is malformed');
    const encrypted = await opts.encryptKey(opts.key.kid, hexToBytes(k.kid), k.key);
    wrapped.push({ kid: k.kid, encrypted_key: encodeBase64(checked(encrypted)), usage_policy: k.usage_policy });
  }
  const iat = Math.floor(opts.now);
  const claims: EntitlementClaims = {
    iss: input.issuer,
    aud: input.audience,
    iat,
    exp: iat + ttl,
    jti: input.jti,
    sid: input.sid,
    title: input.title,
    content_keys: wrapped,
    usage_policies: input.usage_policies,
    license: input.license,
    license_server: { prevent_reuse: true },
  };
  const parsed = parseEntitlementClaims({ ...claims });
  if (typeof parsed === 'string') throw new TypeError(`mintEntitlementMessage: ${parsed}`);
  return opts.jwt.sign({ typ: ENTITLEMENT_TYP, key: opts.key }, { ...parsed });
}

export interface VerifyEntitlementOptions {
  /** Communication keys by kid; only HS256 keys are accepted. */
  resolveKey(kid: string): JwtKey | undefined | Promise<JwtKey | undefined>;
  readonly jwt: JwtCodec;
  /** Unix seconds. */
  readonly now: number;
  /** This license server. */
  readonly audience: string;
  readonly issuer: string;
  readonly decryptKey: KeyWrapCipher;
  /** Clock skew tolerated, seconds; default 0 (the minter is usually this very process). */
  readonly leeway?: number;
}

/**
 * Verifies a message: 'token_expired' once exp has passed, 'invalid_token' for everything
 * else. Does not consume the jti: the caller does that once, after this succeeds.
 */
export async function verifyEntitlementMessage(token: string, opts: VerifyEntitlementOptions): Promise<Verdict<Entitlement>> {
  const verified = await opts.jwt.verify(
    token,
    {
      typ: ENTITLEMENT_TYP,
      algorithms: ['HS256'],
      issuer: opts.issuer,
      audience: opts.audience,
      now: opts.now,
      leeway: opts.leeway ?? 0,
      maxLength: MAX_MESSAGE_LENGTH,
      resolveKey: opts.resolveKey,
    },
  );
  if (!verified.ok) return verified;
  const claims = parseEntitlementClaims(verified.value.claims);
  if (typeof claims === 'string') return deny('invalid_token', `entitlement message: ${claims}`);
  // The codec has checked the header kid (a valid label that resolved to the MAC key).
  const comKid = verified.value.header.kid as string;
  const keys: ContentKey[] = [];
  for (const k of claims.content_keys) {
    // The schema has checked that encrypted_key decodes to 16 bytes.
    const key = await opts.decryptKey(comKid, hexToBytes(k.kid), decodeBase64(k.encrypted_key)!);
    keys.push({ kid: k.kid, key: checked(key), usage_policy: k.usage_policy });
  }
  const { jti, iat, exp, sid, title, usage_policies, license } = claims;
  return grant({ jti, iat, exp, sid, title, content_keys: keys, usage_policies, license });
}

/** CBC without padding maps 16 bytes to 16 bytes; anything else is a broken cipher. */
function checked(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== KEY_BYTES) throw new TypeError('key wrap cipher returned the wrong length');
  return bytes;
}
