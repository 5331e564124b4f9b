/**
 * The crypto the CDN signers need, injected so that src/core stays pure (no node:crypto):
 * the server and the CLI pass node:crypto (src/server/edge/cdn-crypto.ts). Synchronous, like
 * the playback token's HmacSha256: signing one URL is a hot-path step once edge mode signs
 * the segment URIs of every manifest it rewrites.
 */

/** The HMAC hashes the CDN formats use: Akamai offers all three, the others SHA-256. */
export type CdnHash = 'sha256' | 'sha1' | 'md5';

export interface CdnCrypto {
  hmac(hash: CdnHash, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Plain MD5, for nginx secure_link_md5 (a keyed MD5 by concatenation, nginx's design, not ours). */
  md5(data: Uint8Array): Uint8Array;
}

/**
 * RSASSA-PKCS1-v1_5 over data with the given hash, by a key the caller holds (CloudFront's
 * key pair): the private key never enters core, only this function does.
 */
export type RsaSigner = (hash: 'sha1' | 'sha256', data: Uint8Array) => Uint8Array;
