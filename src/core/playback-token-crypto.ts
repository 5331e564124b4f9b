/**
 * The crypto the playback token needs, reduced to one injected primitive. Threat: timing
 * side channels — a comparison that stops at the first differing character tells an attacker
 * how much of a forged MAC is right, so MACs are compared in constant time.
 */
import { encodeBase64url, utf8 } from './base64url.js';

/**
 * HMAC-SHA256, synchronous: node:crypto's createHmac in the server, where the token check is
 * on the hot path (a promise per check would cost more than the HMAC itself).
 */
export type HmacSha256 = (key: Uint8Array, data: string) => Uint8Array;

/**
 * HMAC-SHA256 where only an async one exists: WebCrypto's crypto.subtle.sign in edge workers
 * (webCryptoHmacSha256 in webcrypto.ts). Used by verifyPlaybackTokenAsync; same format.
 */
export type HmacSha256Async = (key: Uint8Array, data: string) => Promise<Uint8Array>;

/**
 * Compares two byte strings in time that depends only on their lengths, which are public (a
 * MAC's length is fixed by the format): the loop never stops early.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * A public, fixed key: the user-agent hash is a fingerprint that keeps tokens short and keeps
 * the user agent out of URLs and logs, not a secret. HMAC under a constant key is used as a
 * hash so that the one injected primitive suffices.
 */
const UA_HASH_KEY = utf8('tollgate/ua-hash/v1');
/** 9 bytes = 12 base64url characters: 72 bits, far beyond the number of distinct user agents. */
const UA_HASH_BYTES = 9;

/** The `uaHash` binding for a user agent, as minted into tokens and compared by checkBindings. */
export function hashUserAgent(userAgent: string, hmac: HmacSha256): string {
  return encodeBase64url(hmac(UA_HASH_KEY, userAgent).subarray(0, UA_HASH_BYTES));
}

/** hashUserAgent with an async HMAC (edge workers): the same hash. */
export async function hashUserAgentAsync(userAgent: string, hmac: HmacSha256Async): Promise<string> {
  return encodeBase64url((await hmac(UA_HASH_KEY, userAgent)).subarray(0, UA_HASH_BYTES));
}
