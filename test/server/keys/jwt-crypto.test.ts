import { createSecretKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/core/base64url.js';
import { generateAccessKeyPair, nodeJwtCrypto } from '../../../src/server/keys/jwt-crypto.js';

const DATA = utf8('header.payload');

describe('generateAccessKeyPair', () => {
  it.each([
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }, ['crv', 'kty', 'x']],
    ['ES256', { kty: 'EC', crv: 'P-256' }, ['crv', 'kty', 'x', 'y']],
  ] as const)('%s: publishes only public JWK members', (alg, shape, members) => {
    const pair = generateAccessKeyPair(alg);
    expect(pair.publicJwk).toMatchObject(shape);
    expect(Object.keys(pair.publicJwk).sort()).toEqual(members);
    expect(pair.privateKey.type).toBe('private');
  });
});

describe('nodeJwtCrypto', () => {
  it.each(['EdDSA', 'ES256'] as const)('%s: 64-byte signatures that verify and fail when tampered', async (alg) => {
    const pair = generateAccessKeyPair(alg);
    const sig = await nodeJwtCrypto.sign(alg, pair.privateKey, DATA);
    expect(sig.length).toBe(64);
    expect(await nodeJwtCrypto.verify(alg, pair.publicKey, DATA, sig)).toBe(true);
    expect(await nodeJwtCrypto.verify(alg, pair.publicKey, utf8('header.payloaD'), sig)).toBe(false);
  });

  it('ES256: a DER signature of the same data does not verify', async () => {
    const pair = generateAccessKeyPair('ES256');
    const der = sign('sha256', DATA, { key: pair.privateKey, dsaEncoding: 'der' });
    expect(await nodeJwtCrypto.verify('ES256', pair.publicKey, DATA, der)).toBe(false);
  });

  it('HS256: 32-byte MAC, compared in constant time, any length mismatch false', async () => {
    const key = createSecretKey(randomBytes(32));
    const mac = await nodeJwtCrypto.sign('HS256', key, DATA);
    expect(mac.length).toBe(32);
    expect(await nodeJwtCrypto.verify('HS256', key, DATA, mac)).toBe(true);
    expect(await nodeJwtCrypto.verify('HS256', key, DATA, mac.subarray(0, 16))).toBe(false);
    expect(await nodeJwtCrypto.verify('HS256', key, DATA, Uint8Array.from([...mac, 0]))).toBe(false);
  });

  it('throws when a key does not fit its algorithm', async () => {
    const ed = generateAccessKeyPair('EdDSA');
    const es = generateAccessKeyPair('ES256');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const pem = ed.publicKey.export({ type: 'spki', format: 'pem' });
    const misuses: [Parameters<typeof nodeJwtCrypto.verify>[0], unknown][] = [
      ['HS256', ed.publicKey], // the HS/RS confusion, at the primitive
      ['HS256', createSecretKey(randomBytes(16))], // below 256 bits
      ['HS256', pem], // a PEM string is not a key handle
      ['EdDSA', es.publicKey],
      ['ES256', ed.publicKey],
      ['ES256', p384.publicKey],
    ];
    for (const [alg, key] of misuses) {
      await expect(nodeJwtCrypto.verify(alg, key, DATA, new Uint8Array(64))).rejects.toThrow(TypeError);
    }
    await expect(nodeJwtCrypto.sign('EdDSA', ed.publicKey, DATA)).rejects.toThrow(TypeError);
  });
});
