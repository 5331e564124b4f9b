/**
 * WebCrypto behind the CDN signers' ports (crypto.ts), for edge workers that sign CDN URLs
 * where node:crypto does not exist. HMAC-SHA256 and HMAC-SHA1 are crypto.subtle's; MD5 and
 * HMAC-MD5, which WebCrypto lacks, come from md5.ts. Threat: the CloudFront private key
 * leaking or being used for something else — it is imported non-extractable, for signing
 * only, with the one hash of each request.
 */
import { runtimeSubtle, type SubtleCryptoLike } from '../webcrypto.js';
import type { CdnCryptoAsync, RsaSignerAsync } from './crypto.js';
import { hmacMd5, md5 } from './md5.js';

const HASH = { sha256: 'SHA-256', sha1: 'SHA-1' } as const;

export function webCryptoCdnCrypto(subtle: SubtleCryptoLike = runtimeSubtle()): CdnCryptoAsync {
  return {
    async hmac(hash, key, data) {
      if (hash === 'md5') return hmacMd5(key, data);
      const cryptoKey = await subtle.importKey('raw', key, { name: 'HMAC', hash: HASH[hash] }, false, ['sign']);
      return new Uint8Array(await subtle.sign('HMAC', cryptoKey, data));
    },
    md5: async (data) => md5(data),
  };
}

/** A CloudFront signer from an RSA private key in PKCS#8 DER (PEM without its armour, decoded). */
export function webCryptoRsaSigner(pkcs8: Uint8Array, subtle: SubtleCryptoLike = runtimeSubtle()): RsaSignerAsync {
  const keys = new Map<string, Promise<unknown>>();
  return async (hash, data) => {
    let key = keys.get(hash);
    if (key === undefined) {
      key = subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: HASH[hash] }, false, ['sign']);
      keys.set(hash, key);
    }
    return new Uint8Array(await subtle.sign('RSASSA-PKCS1-v1_5', await key, data));
  };
}
