/**
 * Cloudflare `is_timed_hmac_valid_v0` tokens. Cloudflare publishes no implementation, and the
 * MAC printed in its own example does not reproduce (reference/FORMATS.md §4), so the
 * reference here is the documented algorithm, written out independently below as a WAF rule
 * would evaluate `is_timed_hmac_valid_v0(key, http.request.uri, ttl, now, 8[, "s"])`.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signCloudflareUrl, signCloudflareUrlAsync } from '../../../src/core/cdn/cloudflare.js';
import { webCryptoCdnCrypto } from '../../../src/core/cdn/webcrypto.js';
import { nodeCdnCrypto } from '../../../src/server/edge/cdn-crypto.js';

/** The rule, per Cloudflare's documentation: MessageMAC = message || separator || ts "-" mac. */
function isTimedHmacValidV0(key: string, messageMac: string, ttl: number, now: number, separatorLength: number, flags = ''): boolean {
  const match = /^(.+)(\d{10})-(.{43,})$/.exec(messageMac);
  if (match === null) return false;
  const [, head, ts, mac] = match as unknown as [string, string, string, string];
  const message = head.slice(0, head.length - separatorLength);
  const expected = createHmac('sha256', key).update(message + ts).digest(flags === 's' ? 'base64url' : 'base64');
  const given = flags === 's' ? mac : decodeURIComponent(mac);
  return given === expected && now < Number(ts) + ttl;
}

function ours(url: string, secret: string, timestamp: number, urlSafe = false): string {
  const verdict = signCloudflareUrl({ url, secret, timestamp, urlSafe }, nodeCdnCrypto);
  if (!verdict.ok) throw new Error(verdict.detail);
  return verdict.value;
}

const uri = (url: string) => url.replace(/^https?:\/\/[^/]+/, '');

describe('Cloudflare timed-HMAC signer against the documented is_timed_hmac_valid_v0', () => {
  it("signs the documentation's example URI in its documented layout", () => {
    // The WAF example: key "mysecrettoken", /download/cat.jpg, issued 1484063787, ttl 10800.
    const signed = ours('/download/cat.jpg', 'mysecrettoken', 1484063787);
    const mac = createHmac('sha256', 'mysecrettoken').update('/download/cat.jpg1484063787').digest('base64');
    expect(signed).toBe(`/download/cat.jpg?verify=1484063787-${encodeURIComponent(mac)}`);
    expect(signed).toMatch(/^\/download\/cat\.jpg\?verify=\d{10}-[A-Za-z0-9%]{44,}$/);
    expect(isTimedHmacValidV0('mysecrettoken', signed, 10800, 1484063787 + 10799, 8)).toBe(true);
  });

  it('makes URLs the rule accepts within the ttl and refuses after it, for many paths and queries', () => {
    const urls = ['https://example.com/vod/a.m3u8', '/vod/movie 1/seg-1.ts', '/vod/a.ts?quality=hd&lang=en', '/', '/images/%E2%9C%93.png'];
    for (const url of urls) {
      for (const ts of [1484063787, 1700000000, 2000000000]) {
        for (const urlSafe of [false, true]) {
          const signed = uri(ours(url, 'k3y with spaces', ts, urlSafe));
          const flags = urlSafe ? 's' : '';
          expect(isTimedHmacValidV0('k3y with spaces', signed, 300, ts + 299, 8, flags), signed).toBe(true);
          expect(isTimedHmacValidV0('k3y with spaces', signed, 300, ts + 300, 8, flags), signed).toBe(false);
          expect(isTimedHmacValidV0('another key', signed, 300, ts, 8, flags), signed).toBe(false);
          if (urlSafe) expect(signed).toMatch(/-[A-Za-z0-9_-]{43}$/);
        }
      }
    }
  });

  it('makes the same URLs on WebCrypto, the documentation example included', async () => {
    const urls = ['/download/cat.jpg', 'https://example.com/vod/a.m3u8', '/vod/movie 1/seg-1.ts', '/vod/a.ts?quality=hd&lang=en', '/', '/images/%E2%9C%93.png'];
    for (const url of urls) {
      for (const urlSafe of [false, true]) {
        const options = { url, secret: 'mysecrettoken', timestamp: 1484063787, urlSafe };
        expect(await signCloudflareUrlAsync(options, webCryptoCdnCrypto()), url).toEqual(signCloudflareUrl(options, nodeCdnCrypto));
      }
    }
    const signed = await signCloudflareUrlAsync({ url: '/download/cat.jpg', secret: 'mysecrettoken', timestamp: 1484063787 }, webCryptoCdnCrypto());
    expect(signed.ok && isTimedHmacValidV0('mysecrettoken', signed.value, 10800, 1484063787 + 10799, 8)).toBe(true);
  });

  it('binds the token to the path and query it was signed for, and puts it last', () => {
    const signed = ours('/vod/a.ts?x=1', 'secret', 1700000000);
    expect(signed).toMatch(/^\/vod\/a\.ts\?x=1&verify=1700000000-/);
    const token = signed.slice(signed.indexOf('verify='));
    expect(isTimedHmacValidV0('secret', `/vod/b.ts?${token}`, 300, 1700000000, 8)).toBe(false);
    expect(isTimedHmacValidV0('secret', `/vod/a.ts?x=2&${token}`, 300, 1700000000, 8)).toBe(false);
  });

  it('refuses a timestamp that is not ten digits, an empty secret and a URL without a path', () => {
    for (const bad of [
      { url: '/a', secret: 's', timestamp: 999999999 },
      { url: '/a', secret: 's', timestamp: 10000000000 },
      { url: '/a', secret: 's', timestamp: 1700000000.5 },
      { url: '/a', secret: '', timestamp: 1700000000 },
      { url: 'example.com/a', secret: 's', timestamp: 1700000000 },
      { url: '/a', secret: 's', timestamp: 1700000000, parameter: 'a&b' },
    ]) {
      expect(signCloudflareUrl(bad, nodeCdnCrypto), JSON.stringify(bad)).toMatchObject({ ok: false, code: 'bad_request' });
    }
  });
});
