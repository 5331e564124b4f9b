import { describe, expect, it } from 'vitest';
import { generateAccessKeyPair } from '../../../src/server/keys/jwt-crypto.js';

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
