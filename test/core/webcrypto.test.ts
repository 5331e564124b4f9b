import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBase64url, utf8 } from '../../src/core/base64url.js';
import { signJwt } from '../../src/core/jwt.js';
import { verifyJwt, type VerifyOptions } from '../../src/core/jwt-verify.js';
import { mintPlaybackToken, verifyPlaybackToken, verifyPlaybackTokenAsync } from '../../src/core/playback-token.js';
import { hashUserAgent, hashUserAgentAsync, type HmacSha256 } from '../../src/core/playback-token-crypto.js';
import { importHmacJwtKey, importJwtPublicKey, webCryptoHmacSha256, webCryptoJwtCrypto } from '../../src/core/webcrypto.js';
import { generateAccessKeyPair, nodeJwtCrypto } from '../../src/server/keys/jwt-crypto.js';

const nodeHmac: HmacSha256 = (key, data) => createHmac('sha256', key).update(data).digest();
const webHmac = webCryptoHmacSha256();
const SECRET = utf8('k1-secret-0123456789abcdef0123456789');
const NOW = 1_750_000_000;

describe('WebCrypto HMAC and verifyPlaybackTokenAsync', () => {
  const token = mintPlaybackToken({ sid: 's1', titleId: 'movie', scope: 'hls', exp: NOW + 60, ip: '203.0.113.9/24' }, { kid: 'k1', secret: SECRET }, nodeHmac);
  const cases: Record<string, [string, number]> = {
    genuine: [token, NOW],
    expired: [token, NOW + 60],
    'flipped MAC': [token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), NOW],
    'changed payload': [token.replace(/\.([^.]+)\.([^.]+)$/, `.${encodeBase64url(utf8(`${NOW + 9999}\ns1\nmovie\n\n\n`))}.$2`), NOW],
    'unknown kid': [token.replace('tgp1.k1.', 'tgp1.k9.'), NOW],
    malformed: ['tgp1.k1..x', NOW],
    JWT: ['eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo', NOW],
  };

  it('computes the same HMAC as node:crypto', async () => {
    expect(await webHmac(SECRET, 'tgp1.k1.abc')).toEqual(new Uint8Array(nodeHmac(SECRET, 'tgp1.k1.abc')));
    expect(await hashUserAgentAsync('Mozilla/5.0 (X11)', webHmac)).toBe(hashUserAgent('Mozilla/5.0 (X11)', nodeHmac));
  });

  for (const [name, [input, now]] of Object.entries(cases)) {
    it(`gives the sync verifier's verdict for a ${name} token`, async () => {
      const resolveKey = (kid: string) => (kid === 'k1' ? SECRET : undefined);
      const sync = verifyPlaybackToken(input, { now, resolveKey, hmac: nodeHmac });
      const viaWebCrypto = await verifyPlaybackTokenAsync(input, { now, resolveKey: async (kid) => resolveKey(kid), hmac: webHmac });
      expect(viaWebCrypto).toEqual(sync);
      expect(sync.ok).toBe(name === 'genuine');
    });
  }

  it('keeps interleaved verifications apart (scratch buffers are used only between awaits)', async () => {
    const other = mintPlaybackToken({ sid: 's2', titleId: 'other', exp: NOW + 60 }, { kid: 'k1', secret: SECRET }, nodeHmac);
    const ctx = { now: NOW, resolveKey: async () => SECRET, hmac: webHmac };
    const verdicts = await Promise.all([token, other, token, other].map((t) => verifyPlaybackTokenAsync(t, ctx)));
    expect(verdicts.map((v) => v.ok && v.value.titleId)).toEqual(['movie', 'other', 'movie', 'other']);
  });

  it('fails closed on a broken clock', async () => {
    await expect(verifyPlaybackTokenAsync(token, { now: NaN, resolveKey: () => SECRET, hmac: webHmac })).rejects.toThrow(TypeError);
  });
});

describe('WebCrypto JwtCrypto', () => {
  const web = webCryptoJwtCrypto();
  const opts = (resolveKey: VerifyOptions['resolveKey'], algorithms: VerifyOptions['algorithms']): VerifyOptions => ({
    typ: 'at+jwt', algorithms, issuer: 'https://tg.example', audience: 'api', now: NOW, leeway: 0, resolveKey,
  });
  const claims = { iss: 'https://tg.example', aud: 'api', exp: NOW + 60, sub: 'u1' };

  for (const alg of ['EdDSA', 'ES256'] as const) {
    it(`verifies ${alg} tokens node:crypto signed, from the public JWK alone`, async () => {
      const pair = generateAccessKeyPair(alg);
      const token = await signJwt({ typ: 'at+jwt', key: { kid: 'a1', alg, key: pair.privateKey } }, claims, nodeJwtCrypto);
      const key = { kid: 'a1', alg, key: await importJwtPublicKey(alg, { ...pair.publicJwk, d: 'AAAA' }) };
      expect((await verifyJwt(token, opts(() => key, [alg]), web)).ok).toBe(true);
      const tampered = token.replace(/\.[^.]+\./, `.${encodeBase64url(utf8(JSON.stringify({ ...claims, sub: 'u2' })))}.`);
      expect(await verifyJwt(tampered, opts(() => key, [alg]), web)).toMatchObject({ ok: false, code: 'invalid_token' });
    });
  }

  it('signs and verifies HS256 as node:crypto does', async () => {
    const secret = utf8('a communication key of 32+ bytes!!');
    const key = { kid: 'c1', alg: 'HS256' as const, key: await importHmacJwtKey(secret) };
    const token = await signJwt({ typ: 'at+jwt', key }, claims, web);
    const { createSecretKey } = await import('node:crypto');
    const nodeToken = await signJwt({ typ: 'at+jwt', key: { ...key, key: createSecretKey(secret) } }, claims, nodeJwtCrypto);
    expect(token).toBe(nodeToken);
    expect((await verifyJwt(token, opts(() => key, ['HS256']), web)).ok).toBe(true);
  });

  it('refuses a key that does not fit the algorithm, and a short HMAC secret', async () => {
    const ed = await importJwtPublicKey('EdDSA', generateAccessKeyPair('EdDSA').publicJwk);
    const p256 = await importJwtPublicKey('ES256', generateAccessKeyPair('ES256').publicJwk);
    const hs = await importHmacJwtKey(new Uint8Array(32));
    const data = utf8('x');
    const sig = new Uint8Array(64);
    await expect(web.verify('HS256', ed, data, sig.subarray(0, 32))).rejects.toThrow(/does not fit/);
    await expect(web.verify('ES256', ed, data, sig)).rejects.toThrow(/does not fit/);
    await expect(web.verify('EdDSA', p256, data, sig)).rejects.toThrow(/does not fit/);
    await expect(web.sign('EdDSA', ed, data)).rejects.toThrow(/does not fit/); // a public key never signs
    await expect(web.verify('EdDSA', hs, data, sig)).rejects.toThrow(/does not fit/);
    await expect(web.verify('HS256', generateKeyPairSync('ed25519').publicKey, data, sig)).rejects.toThrow(/does not fit/);
    await expect(importHmacJwtKey(new Uint8Array(31))).rejects.toThrow(/256 bits/);
  });
});
