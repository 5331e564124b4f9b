import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBase64url, utf8 } from '../../src/core/base64url.js';
import { mintPlaybackToken, verifyPlaybackToken, verifyPlaybackTokenAsync } from '../../src/core/playback-token.js';
import { hashUserAgent, hashUserAgentAsync, type HmacSha256 } from '../../src/core/playback-token-crypto.js';
import { webCryptoHmacSha256 } from '../../src/core/webcrypto.js';

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
