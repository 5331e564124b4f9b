/**
 * The crypto the CDN signers need, injected so that src/core stays pure (no node:crypto):
 * the server and the CLI pass node:crypto (src/server/edge/cdn-crypto.ts), synchronous, like
 * the playback token's HmacSha256 — signing one URL is a hot-path step once edge mode signs
 * the segment URIs of every manifest it rewrites. Edge workers pass WebCrypto
 * (webcrypto.ts), which is async. Each format is written once, as a plan: it validates its
 * input and says which one operation to run on which bytes (CdnCryptoRequest), and turns the
 * result into the token; completeSync and completeAsync run a plan with either kind of crypto.
 */
import { type Denial, grant, type Verdict } from '../errors.js';

/** The HMAC hashes the CDN formats use: Akamai offers all three, the others SHA-256. */
export type CdnHash = 'sha256' | 'sha1' | 'md5';

export interface CdnCrypto {
  hmac(hash: CdnHash, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Plain MD5, for nginx secure_link_md5 (a keyed MD5 by concatenation, nginx's design, not ours). */
  md5(data: Uint8Array): Uint8Array;
}

/** CdnCrypto where the runtime's crypto is async (WebCrypto in edge workers). */
export interface CdnCryptoAsync {
  hmac(hash: CdnHash, key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  md5(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * RSASSA-PKCS1-v1_5 over data with the given hash, by a key the caller holds (CloudFront's
 * key pair): the private key never enters core, only this function does.
 */
export type RsaSigner = (hash: 'sha1' | 'sha256', data: Uint8Array) => Uint8Array;
export type RsaSignerAsync = (hash: 'sha1' | 'sha256', data: Uint8Array) => Promise<Uint8Array>;

/** The one crypto operation a format needs. */
export type CdnCryptoRequest =
  | { readonly op: 'hmac'; readonly hash: CdnHash; readonly key: Uint8Array; readonly data: Uint8Array }
  | { readonly op: 'md5'; readonly data: Uint8Array }
  | { readonly op: 'rsa'; readonly hash: 'sha1' | 'sha256'; readonly data: Uint8Array };

/** A validated signing: the operation to run, and what makes the token of its result. */
export interface CdnSigning<T> {
  readonly request: CdnCryptoRequest;
  finish(result: Uint8Array): T;
}

/** A format's answer before crypto: a refusal of its input, or the signing to complete. */
export type CdnPlan<T> = Denial | CdnSigning<T>;

/** What runs the operations: a CdnCrypto for HMAC and MD5, an RsaSigner for CloudFront. */
export type CdnOperations = CdnCrypto | RsaSigner;
export type CdnOperationsAsync = CdnCryptoAsync | RsaSignerAsync;

export function completeSync<T>(plan: CdnPlan<T>, operations: CdnOperations): Verdict<T> {
  if (!('request' in plan)) return plan;
  return grant(plan.finish(perform(plan.request, operations)));
}

export async function completeAsync<T>(plan: CdnPlan<T>, operations: CdnOperationsAsync): Promise<Verdict<T>> {
  if (!('request' in plan)) return plan;
  return grant(plan.finish(await perform(plan.request, operations)));
}

/** Either kind of operations, answering R: bytes (sync) or a promise of them (async). */
type Operations<R> = { hmac(hash: CdnHash, key: Uint8Array, data: Uint8Array): R; md5(data: Uint8Array): R } | ((hash: 'sha1' | 'sha256', data: Uint8Array) => R);

/** Runs the request with the operations the caller passed; a mismatch is the caller's bug, so it throws. */
function perform<R>(request: CdnCryptoRequest, operations: Operations<R>): R {
  if (request.op === 'rsa') {
    if (typeof operations !== 'function') throw new TypeError('CloudFront signing needs an RSA signer');
    return operations(request.hash, request.data);
  }
  if (typeof operations === 'function') throw new TypeError('this format needs HMAC and MD5, not an RSA signer');
  return request.op === 'md5' ? operations.md5(request.data) : operations.hmac(request.hash, request.key, request.data);
}
