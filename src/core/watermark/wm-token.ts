/**
 * The WM token of ETSI TS 104 002 V1.1.1 (DASH-IF forensic A/B watermarking), direct mode:
 * a CWT (RFC 8392) with integer claim keys in deterministic CBOR, MACed as a COSE_Mac0 with
 * HMAC 256/256 (RFC 9053 alg 5), base64url (clause 5.4). Claims: exp (4), iat (6), wmver
 * (300, = 1), wmvnd (301), wmpatlen (302, bits), wmpattern (304, the pattern as plain bytes:
 * the `bytes` choice of wmpattern-value, not encrypted). An edge reads the pattern and serves,
 * for the segment at position p, variant A or B by bit p of the pattern, most significant bit
 * first (clause 5.4, "big-endian").
 * Threats: a viewer editing the pattern (to fetch the other variant, or another session's
 * sequence), replaying a token after its session, or handing the edge a token that reads two
 * ways. So the token is read cheap-first and strictly: size, CBOR structure (cbor-decode.ts),
 * the one algorithm (a token naming another, e.g. HMAC 256/64, is refused, never downgraded),
 * the MAC in constant time, then exp/nbf, then the claims.
 */
import { decodeBase64url, encodeBase64url } from '../base64url.js';
import { CborMap, CborTag, type CborValue, encodeCbor } from '../cdn/cbor.js';
import { CborError, decodeCbor } from '../cdn/cbor-decode.js';
import { COSE_MAC0_TAG, CWT_TAG, HMAC_256_PROTECTED } from '../cdn/cat.js';
import { type CdnCrypto, type CdnCryptoAsync, type CdnPlan, completeAsync, completeSync } from '../cdn/crypto.js';
import { isUnixSeconds } from '../cdn/encoding.js';
import { deny, grant, type Verdict } from '../errors.js';
import { constantTimeEqual } from '../playback-token-crypto.js';

/** Integer claim keys: RFC 8392 §4 and TS 104 002 Table 1. */
export const WM_CLAIM = { exp: 4, nbf: 5, iat: 6, wmver: 300, wmvnd: 301, wmpatlen: 302, wmsegduration: 303, wmpattern: 304, wmid: 305 } as const;

/** The pattern of a token: `bits` bits, most significant bit of byte 0 first. */
export interface WmPattern {
  readonly bytes: Uint8Array;
  readonly bits: number;
  /** Unix seconds. */
  readonly exp: number;
}

export interface WmTokenInput extends WmPattern {
  readonly iat: number;
  /** wmvnd: uint .size 1. */
  readonly vendor: number;
}

/** wmpatlen is uint .size 2. */
const MAX_PATTERN_BITS = 0xffff;
/** Base64url of the largest token this reads: a 65 535-bit pattern and the envelope. */
const MAX_TOKEN_CHARS = 11_200;

export function signWmToken(input: WmTokenInput, key: Uint8Array, crypto: CdnCrypto): Verdict<string> {
  return completeSync(planWmToken(input, key), crypto);
}

export function signWmTokenAsync(input: WmTokenInput, key: Uint8Array, crypto: CdnCryptoAsync): Promise<Verdict<string>> {
  return completeAsync(planWmToken(input, key), crypto);
}

function planWmToken(t: WmTokenInput, key: Uint8Array): CdnPlan<string> {
  if (key.length < 32) return deny('bad_request', 'the WM token key must be at least 32 bytes');
  if (!(isUnixSeconds(t.exp) && isUnixSeconds(t.iat) && t.exp < 2 ** 32 && t.iat < t.exp)) return deny('bad_request', 'iat and exp must be Unix seconds, iat before exp');
  if (!(Number.isInteger(t.vendor) && t.vendor >= 0 && t.vendor <= 255)) return deny('bad_request', 'wmvnd is one byte');
  if (!(Number.isInteger(t.bits) && t.bits >= 1 && t.bits <= MAX_PATTERN_BITS) || t.bytes.length !== Math.ceil(t.bits / 8)) {
    return deny('bad_request', 'wmpatlen must be 1 to 65535 bits, and the pattern that many bits');
  }
  // Ascending keys: deterministic CBOR (RFC 8949 §4.2.1) for small integer keys.
  const payload = encodeCbor(
    new CborMap([
      [WM_CLAIM.exp, t.exp],
      [WM_CLAIM.iat, t.iat],
      [WM_CLAIM.wmver, 1],
      [WM_CLAIM.wmvnd, t.vendor],
      [WM_CLAIM.wmpatlen, t.bits],
      [WM_CLAIM.wmpattern, t.bytes],
    ]),
  );
  return {
    request: { op: 'hmac', hash: 'sha256', key, data: macInput(payload) },
    finish: (tag) => encodeBase64url(encodeCbor(new CborTag(COSE_MAC0_TAG, [HMAC_256_PROTECTED, new CborMap([]), payload, tag]))),
  };
}

/** The pattern of a valid, unexpired token; or why not (invalid_token, token_expired). */
export function verifyWmToken(token: string, key: Uint8Array, nowSec: number, crypto: CdnCrypto): Verdict<WmPattern> {
  const opened = openWmToken(token);
  return opened.ok ? checkWmToken(opened.value, crypto.hmac('sha256', key, opened.value.macInput), nowSec) : opened;
}

export async function verifyWmTokenAsync(token: string, key: Uint8Array, nowSec: number, crypto: CdnCryptoAsync): Promise<Verdict<WmPattern>> {
  const opened = openWmToken(token);
  return opened.ok ? checkWmToken(opened.value, await crypto.hmac('sha256', key, opened.value.macInput), nowSec) : opened;
}

/** The variant an edge serves for segment (position) `segment`: bit `segment mod bits`, MSB first. */
export function wmVariant(pattern: WmPattern, segment: number): 'a' | 'b' {
  const p = segment % pattern.bits;
  return ((pattern.bytes[p >> 3]! >> (7 - (p & 7))) & 1) === 0 ? 'a' : 'b';
}

interface OpenedToken {
  readonly macInput: Uint8Array;
  readonly tag: Uint8Array;
  readonly payload: Uint8Array;
}

function openWmToken(token: string): Verdict<OpenedToken> {
  const bad = (why: string) => deny('invalid_token', `WM token: ${why}`);
  if (token.length > MAX_TOKEN_CHARS) return bad('too long');
  const bytes = decodeBase64url(token);
  if (bytes === undefined) return bad('not base64url');
  let envelope: CborValue;
  try {
    envelope = decodeCbor(bytes);
  } catch (error) {
    if (error instanceof CborError) return bad(error.message);
    throw error;
  }
  if (envelope instanceof CborTag && envelope.tag === CWT_TAG) envelope = envelope.value;
  if (!(envelope instanceof CborTag && envelope.tag === COSE_MAC0_TAG)) return bad('not a COSE_Mac0');
  const parts = envelope.value;
  if (!Array.isArray(parts) || parts.length !== 4) return bad('a COSE_Mac0 has four parts');
  const [protectedHeader, unprotected, payload, tag] = parts as CborValue[];
  if (!isBytes(protectedHeader) || !constantTimeEqual(protectedHeader, HMAC_256_PROTECTED)) return bad('the algorithm must be HMAC 256/256 (alg 5), protected');
  if (!(unprotected instanceof CborMap) || !isBytes(payload) || !isBytes(tag) || tag.length !== 32) return bad('malformed COSE_Mac0');
  return grant({ macInput: macInput(payload), tag, payload });
}

function checkWmToken(opened: OpenedToken, expectedTag: Uint8Array, nowSec: number): Verdict<WmPattern> {
  const bad = (why: string) => deny('invalid_token', `WM token: ${why}`);
  if (!constantTimeEqual(expectedTag, opened.tag)) return bad('MAC does not verify');
  let claims: CborValue;
  try {
    claims = decodeCbor(opened.payload);
  } catch (error) {
    if (error instanceof CborError) return bad(error.message);
    throw error;
  }
  if (!(claims instanceof CborMap)) return bad('the claims are not a map');
  const { entries } = claims;
  const claim = (key: number) => entries.find(([k]) => k === key)?.[1];
  const exp = claim(WM_CLAIM.exp);
  const nbf = claim(WM_CLAIM.nbf);
  if (typeof exp !== 'number' || typeof claim(WM_CLAIM.iat) !== 'number') return bad('exp and iat are required');
  if (nowSec >= exp) return deny('token_expired', 'WM token: expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || nowSec < nbf)) return bad('not valid yet');
  if (claim(WM_CLAIM.wmver) !== 1) return bad('wmver must be 1');
  const vendor = claim(WM_CLAIM.wmvnd);
  if (typeof vendor !== 'number' || vendor < 0 || vendor > 255) return bad('wmvnd must be one byte');
  const bits = claim(WM_CLAIM.wmpatlen);
  const pattern = claim(WM_CLAIM.wmpattern);
  if (pattern === undefined) return bad('no wmpattern: indirect mode is not supported');
  if (!isBytes(pattern)) return bad('wmpattern must be plain bytes (an encrypted pattern is not supported)');
  if (typeof bits !== 'number' || bits < 1 || bits > MAX_PATTERN_BITS || pattern.length !== Math.ceil(bits / 8)) return bad('wmpatlen must match the pattern');
  return grant({ bytes: pattern, bits, exp });
}

/** MAC_structure of RFC 9052 §6.3 for a COSE_Mac0 with no external data. */
function macInput(payload: Uint8Array): Uint8Array {
  return encodeCbor(['MAC0', HMAC_256_PROTECTED, new Uint8Array(0), payload]);
}

function isBytes(value: CborValue | undefined): value is Uint8Array {
  return Object.prototype.toString.call(value) === '[object Uint8Array]';
}
