/**
 * node:crypto behind core's CDN signer interfaces. The CloudFront private key is parsed once
 * here and stays a KeyObject: core only ever receives a function that signs with it.
 */
import { createHash, createHmac, createPrivateKey, createSign } from 'node:crypto';
import type { CdnCrypto, RsaSigner } from '../../core/cdn/crypto.js';

export const nodeCdnCrypto: CdnCrypto = {
  hmac: (hash, key, data) => createHmac(hash, key).update(data).digest(),
  md5: (data) => createHash('md5').update(data).digest(),
};

/** An RSA signer from a PEM private key (PKCS#1 or PKCS#8); throws if the text is not one. */
export function rsaSignerFromPem(pem: string): RsaSigner {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error('the CloudFront private key must be an RSA key');
  return (hash, data) => createSign(hash === 'sha256' ? 'RSA-SHA256' : 'RSA-SHA1').update(data).sign(key);
}
