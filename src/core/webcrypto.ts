/**
 * WebCrypto behind core's crypto ports, for edge workers (Cloudflare Workers, Deno, Vercel
 * Edge, Fastly Compute) where node:crypto does not exist: only `globalThis.crypto.subtle`,
 * which is async. Threats: a key used with the wrong algorithm (HS256 keyed with a public
 * key, a weak HMAC secret, a key meant for another curve) and a private JWK member smuggled
 * into a public key. Every call checks that the CryptoKey fits the algorithm and throws
 * otherwise (a configuration bug, never a token to accept); public JWKs are imported from
 * their public members only, for verification only. Signatures are compared inside
 * crypto.subtle.verify, which for HMAC compares in constant time.
 *
 * The server keeps node:crypto (src/server/keys/jwt-crypto.ts, nodeHmac): synchronous
 * one-shot calls are several times faster there (DESIGN.md, the hot path is measured).
 */
import type { JwtAlgorithm, JwtCrypto } from './jwt.js';
import { utf8 } from './base64url.js';
import type { HmacSha256Async } from './playback-token-crypto.js';

/** The part of WebCrypto's SubtleCrypto used here; keys are opaque CryptoKey handles. */
export interface SubtleCryptoLike {
  importKey(format: string, keyData: unknown, algorithm: unknown, extractable: boolean, usages: string[]): Promise<unknown>;
  sign(algorithm: unknown, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: unknown, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

/** What a CryptoKey tells about itself; enough to check it fits an algorithm. */
interface CryptoKeyView {
  readonly type: string;
  readonly usages: readonly string[];
  readonly algorithm: { readonly name: string; readonly namedCurve?: string; readonly length?: number };
}

/** RFC 8725 §3.5 / RFC 7518 §3.2: an HS256 key has at least the hash's 256 bits. */
const MIN_HMAC_KEY_BITS = 256;

const PARAMS: Readonly<Record<JwtAlgorithm, { readonly name: string; readonly hash?: string; readonly namedCurve?: string }>> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', hash: 'SHA-256', namedCurve: 'P-256' },
  HS256: { name: 'HMAC', hash: 'SHA-256' },
};

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

/** core's JwtCrypto on WebCrypto: keys are CryptoKeys (importJwtKey, importJwtPublicKey). */
export function webCryptoJwtCrypto(subtle: SubtleCryptoLike = runtimeSubtle()): JwtCrypto {
  return {
    async sign(alg, key, data) {
      return new Uint8Array(await subtle.sign(PARAMS[alg], keyFor(alg, key, 'sign'), data));
    },
    async verify(alg, key, data, signature) {
      return subtle.verify(PARAMS[alg], keyFor(alg, key, 'verify'), signature, data);
    },
  };
}

/** Imports a public key from a JWKS entry, for verifying access tokens at the edge. */
export async function importJwtPublicKey(
  alg: Exclude<JwtAlgorithm, 'HS256'>,
  jwk: Readonly<Record<string, unknown>>,
  subtle: SubtleCryptoLike = runtimeSubtle(),
): Promise<unknown> {
  // Named public members only: a `d` riding along would make this a private key.
  const publicJwk: Record<string, unknown> = {};
  for (const name of ['kty', 'crv', 'x', 'y'] as const) if (jwk[name] !== undefined) publicJwk[name] = jwk[name];
  return subtle.importKey('jwk', publicJwk, PARAMS[alg], false, ['verify']);
}

/** Imports an HS256 secret (e.g. an entitlement communication key) for signing and verifying. */
export async function importHmacJwtKey(secret: Uint8Array, subtle: SubtleCryptoLike = runtimeSubtle()): Promise<unknown> {
  if (secret.length * 8 < MIN_HMAC_KEY_BITS) throw new TypeError('HS256: the secret must have at least 256 bits');
  return subtle.importKey('raw', secret, PARAMS.HS256, false, ['sign', 'verify']);
}

function keyFor(alg: JwtAlgorithm, key: unknown, use: 'sign' | 'verify'): unknown {
  const k = key as Partial<CryptoKeyView> | null;
  const algorithm = typeof k === 'object' && k !== null ? k.algorithm : undefined;
  const expected = PARAMS[alg];
  const fits =
    algorithm !== undefined &&
    algorithm.name === expected.name &&
    (k?.usages ?? []).includes(use) &&
    (alg !== 'ES256' || algorithm.namedCurve === expected.namedCurve) &&
    (alg !== 'HS256' || (k?.type === 'secret' && (algorithm.length ?? 0) >= MIN_HMAC_KEY_BITS));
  if (!fits) throw new TypeError(`${alg}: key does not fit the algorithm`);
  return key;
}
