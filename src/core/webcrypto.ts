/**
 * WebCrypto behind core's crypto ports, for edge workers (Cloudflare Workers, Deno, Vercel
 * Edge, Fastly Compute) where node:crypto does not exist: only `globalThis.crypto.subtle`,
 * which is async. Access tokens verify at the edge with jose itself (docs/STREAMING.md).
 *
 * The server keeps node:crypto (nodeHmac): synchronous one-shot calls are several times
 * faster there (DESIGN.md, the hot path is measured).
 */
import { utf8 } from './base64url.js';
import type { HmacSha256Async } from './playback-token-crypto.js';

/** The part of WebCrypto's SubtleCrypto used here; keys are opaque CryptoKey handles. */
export interface SubtleCryptoLike {
  importKey(format: string, keyData: unknown, algorithm: unknown, extractable: boolean, usages: string[]): Promise<unknown>;
  sign(algorithm: unknown, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}

/** The runtime's own WebCrypto; throws where there is none (a runtime Tollgate cannot run on). */
export function runtimeSubtle(): SubtleCryptoLike {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCryptoLike } }).crypto?.subtle;
  if (subtle === undefined) throw new TypeError('WebCrypto (globalThis.crypto.subtle) is not available');
  return subtle;
}

/**
 * HMAC-SHA256 for verifyPlaybackTokenAsync and hashUserAgentAsync. Each secret is imported
 * once and its CryptoKey cached against the secret's array (resolveKey returns the same array
 * for a kid), since importKey costs about as much as the signature itself.
 */
export function webCryptoHmacSha256(subtle: SubtleCryptoLike = runtimeSubtle()): HmacSha256Async {
  const imported = new WeakMap<Uint8Array, Promise<unknown>>();
  return async (secret, data) => {
    let key = imported.get(secret);
    if (key === undefined) {
      key = subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      imported.set(secret, key);
    }
    return new Uint8Array(await subtle.sign('HMAC', await key, utf8(data)));
  };
}
