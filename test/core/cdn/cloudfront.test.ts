/**
 * CloudFront signed URLs and cookies, byte for byte against @aws-sdk/cloudfront-signer
 * (the pinned 3.1166) over many URLs, times and conditions, and against the policy text the
 * CloudFront Developer Guide documents.
 */
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cloudFrontSignedCookies, cloudFrontSignedUrl, signCloudFront, signCloudFrontAsync, type CloudFrontOptions } from '../../../src/core/cdn/cloudfront.js';
import { webCryptoRsaSigner } from '../../../src/core/cdn/webcrypto.js';
import { encodeCloudFrontUrl } from '../../../src/core/cdn/cloudfront-url.js';
import { rsaSignerFromPem } from '../../../src/server/edge/cdn-crypto.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const sign = rsaSignerFromPem(PEM);
const KEY_PAIR_ID = 'K2JCJMDEHXQW5F';

const URLS = [
  'https://d111111abcdef8.cloudfront.net/image.jpg',
  'https://d111111abcdef8.cloudfront.net/vod/movie1/index.m3u8',
  'http://cdn.example.com/vod/movie1/seg-00001.ts?quality=hd',
  'https://cdn.example.com/vod/my movie/index.m3u8',
  'https://cdn.example.com/vod/%C3%A9t%C3%A9/a.ts?x=a%2fb&y=c+d',
  'https://cdn.example.com/vod/été/a b.ts?name=Ünïcode&flag',
  'https://cdn.example.com/vod/100%/a.ts',
  "https://cdn.example.com/vod/it's(1)!/a*.ts?q=it's",
  'https://cdn.example.com:8443/vod/a.mpd?a=1&&b=2',
];

function sdkUrl(o: CloudFrontOptions): string {
  return getSignedUrl({
    url: o.url,
    keyPairId: o.keyPairId,
    privateKey: PEM,
    dateLessThan: new Date(o.expires * 1000).toISOString(),
    ...(o.starts !== undefined ? { dateGreaterThan: new Date(o.starts * 1000).toISOString() } : {}),
    ...(o.ip !== undefined ? { ipAddress: o.ip } : {}),
    ...(o.hashAlgorithm === 'SHA256' ? { algorithm: 'SHA256' as const } : {}),
  });
}

const isCannedWildcard = (o: CloudFrontOptions) => o.starts === undefined && o.ip === undefined && o.url.includes('*');

function ours(o: CloudFrontOptions) {
  const verdict = signCloudFront(o, sign);
  if (!verdict.ok) throw new Error(verdict.detail);
  return verdict.value;
}

describe('CloudFront signer against @aws-sdk/cloudfront-signer', () => {
  const cases: CloudFrontOptions[] = [];
  for (const url of URLS) {
    for (const expires of [1700000300, 2147483647]) {
      cases.push({ url, keyPairId: KEY_PAIR_ID, expires });
      cases.push({ url, keyPairId: KEY_PAIR_ID, expires, starts: expires - 3600 });
      cases.push({ url, keyPairId: KEY_PAIR_ID, expires, ip: '203.0.113.7' });
      cases.push({ url, keyPairId: KEY_PAIR_ID, expires, starts: 1600000000, ip: '198.51.100.0/24', hashAlgorithm: 'SHA256' });
    }
  }

  const comparable = cases.filter((c) => !isCannedWildcard(c));
  it(`signs ${comparable.length} URLs (canned and custom, SHA-1 and SHA-256) exactly as the SDK does`, () => {
    for (const o of comparable) expect(cloudFrontSignedUrl(ours(o)), JSON.stringify(o)).toBe(sdkUrl(o));
  });

  it(`signs the same ${comparable.length} URLs exactly as the SDK does on WebCrypto, with the key as PKCS#8`, async () => {
    const webSign = webCryptoRsaSigner(privateKey.export({ type: 'pkcs8', format: 'der' }));
    for (const o of comparable) {
      const verdict = await signCloudFrontAsync(o, webSign);
      if (!verdict.ok) throw new Error(verdict.detail);
      expect(cloudFrontSignedUrl(verdict.value), JSON.stringify(o)).toBe(sdkUrl(o));
    }
  });

  it('diverges from the SDK on purpose: refuses a canned policy for a URL with "*", which the SDK signs', () => {
    // CloudFront takes wildcards only in custom policies; a canned URL with '*' is ambiguous.
    const canned = cases.filter(isCannedWildcard);
    expect(canned.length).toBeGreaterThan(0);
    for (const o of canned) expect(signCloudFront(o, sign)).toMatchObject({ ok: false, code: 'bad_request' });
  });

  it('sets the same signed cookies as the SDK for URLs it does not re-encode', () => {
    for (const o of cases.filter((c) => encodeCloudFrontUrl(c.url) === c.url && !isCannedWildcard(c))) {
      const sdk = getSignedCookies({
        url: o.url,
        keyPairId: o.keyPairId,
        privateKey: PEM,
        dateLessThan: new Date(o.expires * 1000).toISOString(),
        ...(o.starts !== undefined ? { dateGreaterThan: new Date(o.starts * 1000).toISOString() } : {}),
        ...(o.ip !== undefined ? { ipAddress: o.ip } : {}),
        ...(o.hashAlgorithm === 'SHA256' ? { algorithm: 'SHA256' as const } : {}),
      });
      // The SDK gives CloudFront-Expires as a number; a cookie value is its text.
      expect(cloudFrontSignedCookies(ours(o)), JSON.stringify(o)).toEqual(Object.fromEntries(Object.entries(sdk).map(([k, v]) => [k, String(v)])));
    }
  });

  it('signs a wildcard custom policy for cookies as the SDK does with the same policy text', () => {
    const o: CloudFrontOptions = { url: 'https://d111111abcdef8.cloudfront.net/vod/movie1/*', keyPairId: KEY_PAIR_ID, expires: 1700000300, policy: 'custom' };
    const policy = '{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/vod/movie1/*","Condition":{"DateLessThan":{"AWS:EpochTime":1700000300}}}]}';
    expect(cloudFrontSignedCookies(ours(o))).toEqual(getSignedCookies({ policy, keyPairId: KEY_PAIR_ID, privateKey: PEM }));
  });

  it('diverges from the SDK on purpose: cookies name the percent-encoded URL, as signed URLs do', () => {
    // getSignedCookies puts the URL into the policy as given, getSignedUrl encodes it first;
    // CloudFront matches the policy against the request as the browser sends it (encoded),
    // so Tollgate encodes in both cases.
    const o: CloudFrontOptions = { url: 'https://cdn.example.com/vod/my movie/*', keyPairId: KEY_PAIR_ID, expires: 1700000300, policy: 'custom' };
    const policy = Buffer.from(ours(o).policy!.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64').toString();
    expect(JSON.parse(policy).Statement[0].Resource).toBe('https://cdn.example.com/vod/my%20movie/*');
  });
});

describe('CloudFront policies as the Developer Guide documents them', () => {
  const decode = (b64: string) => Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64').toString();

  it('sends Expires for a canned policy, and signs exactly the documented canned statement', () => {
    const s = ours({ url: 'https://d111111abcdef8.cloudfront.net/image.jpg', keyPairId: KEY_PAIR_ID, expires: 1357034400 });
    expect(s.expires).toBe(1357034400);
    expect(s.policy).toBeUndefined();
    // The guide's canned policy: no whitespace, this member order; verify the signature over it.
    const canned = '{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg","Condition":{"DateLessThan":{"AWS:EpochTime":1357034400}}}]}';
    expect(s.signature).toBe(Buffer.from(sign('sha1', Buffer.from(canned))).toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~'));
  });

  it('sends Policy (CloudFront base64) for a custom policy with start time and address range', () => {
    const s = ours({ url: 'https://d111111abcdef8.cloudfront.net/game_download.zip', keyPairId: KEY_PAIR_ID, expires: 1767290400, starts: 1764612000, ip: '192.0.2.0/24' });
    expect(s.expires).toBeUndefined();
    expect(s.policy).toMatch(/^[A-Za-z0-9~_-]+$/);
    expect(JSON.parse(decode(s.policy!))).toEqual({
      Statement: [
        {
          Resource: 'https://d111111abcdef8.cloudfront.net/game_download.zip',
          Condition: { DateLessThan: { 'AWS:EpochTime': 1767290400 }, DateGreaterThan: { 'AWS:EpochTime': 1764612000 }, IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' } },
        },
      ],
    });
  });

  it('refuses a wildcard in a canned policy, a start with a canned policy, IPv6 and bad times', () => {
    const base = { url: 'https://d.example/vod/*', keyPairId: KEY_PAIR_ID, expires: 1700000300 };
    expect(signCloudFront(base, sign)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(signCloudFront({ ...base, url: 'https://d.example/a.ts', policy: 'canned', starts: 1 }, sign).ok).toBe(false);
    expect(signCloudFront({ ...base, policy: 'custom', ip: '2001:db8::/32' }, sign).ok).toBe(false);
    expect(signCloudFront({ ...base, policy: 'custom', ip: '10.0.0.1/33' }, sign).ok).toBe(false);
    expect(signCloudFront({ ...base, policy: 'custom', starts: 1700000300 }, sign).ok).toBe(false);
    expect(signCloudFront({ ...base, url: 'ftp://d.example/a' }, sign).ok).toBe(false);
    expect(signCloudFront({ ...base, keyPairId: 'K1&Policy=x' }, sign).ok).toBe(false);
  });
});

describe('CloudFront URL encoding against the SDK on generated URLs', () => {
  // A fixed-seed generator: the same 300 URLs every run, drawn from the characters that URL
  // encoders disagree on.
  let seed = 0x5eed;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const ALPHABET = ['a', 'Z', '0', ' ', '%', '%2f', '%C3%A9', '%e9', 'é', '✓', '😀', "'", '(', ')', '!', '~', '+', '&', '=', '-', '_', '.', '@', ':', ',', ';', '$', '[', ']'];
  const piece = (n: number) => Array.from({ length: 1 + (next() % n) }, () => ALPHABET[next() % ALPHABET.length]).join('');

  it('signs 300 generated URLs exactly as the SDK does', () => {
    for (let i = 0; i < 300; i++) {
      const path = Array.from({ length: 1 + (next() % 3) }, () => piece(6)).join('/');
      const query = next() % 2 === 0 ? '' : `?${piece(8)}`;
      const o: CloudFrontOptions = { url: `https://d.example.net/${path}${query}`, keyPairId: KEY_PAIR_ID, expires: 1700000300 + i };
      expect(cloudFrontSignedUrl(ours(o)), o.url).toBe(sdkUrl(o));
    }
  });
});
