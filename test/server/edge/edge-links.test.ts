/**
 * Edge mode's signing of manifest URIs, per provider: each token covers the title's directory
 * only, ends with the session, and binds the address when the format can and the setting asks.
 * Checked against what each edge verifies: nginx's MD5 recomputed as secure_link_md5 does,
 * Akamai's token byte for byte against akamai-edgeauth, CloudFront's policy and signature
 * against @aws-sdk/cloudfront-signer and the public key, Cloudflare's MAC recomputed as
 * is_timed_hmac_valid_v0 does. And the URI resolution that decides what may go to the edge.
 */
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import EdgeAuth from 'akamai-edgeauth';
import { createHash, createHmac, createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EdgeLinks, resolveUnderTitle } from '../../../src/server/edge/edge-links.js';

const NOW = 1_767_000_000_000;
const EXPIRES = 1_767_003_600;
const GRANT = { titleId: 'movie', expires: EXPIRES, ip: '203.0.113.7' };
const AKAMAI_KEY = '52a1'.repeat(8);
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

const link = (links: EdgeLinks, manifest = 'hls/360p/index.m3u8', uri = 'seg_00001.ts') => links.linker(GRANT)(manifest, uri)!;
const query = (url: string) => new URL(url).searchParams;

describe('nginx: secure_link over the title directory', () => {
  const md5 = (text: string) => createHash('md5').update(text).digest('base64url');

  it('signs "<expires>/media/movie/ <secret>" and points under the edge base URL', () => {
    const url = link(new EdgeLinks({ provider: 'nginx', url: 'https://edge.example.com/media', secret: 's3cret' }, 'off', () => NOW));
    expect(url).toBe(`https://edge.example.com/media/movie/hls/360p/seg_00001.ts?md5=${md5(`${EXPIRES}/media/movie/ s3cret`)}&expires=${EXPIRES}`);
  });

  it('binds $remote_addr when TOLLGATE_BIND_IP=exact, and not for prefix (nginx hashes one address)', () => {
    const exact = link(new EdgeLinks({ provider: 'nginx', url: 'https://edge.example.com', secret: 's3cret' }, 'exact', () => NOW));
    expect(query(exact).get('md5')).toBe(md5(`${EXPIRES}/movie/203.0.113.7 s3cret`));
    const prefix = link(new EdgeLinks({ provider: 'nginx', url: 'https://edge.example.com', secret: 's3cret' }, 'prefix', () => NOW));
    expect(query(prefix).get('md5')).toBe(md5(`${EXPIRES}/movie/ s3cret`));
  });
});

describe('Akamai: an ACL token for /<title>/*', () => {
  const reference = (ip?: string) =>
    new EdgeAuth({ key: AKAMAI_KEY, endTime: EXPIRES, ...(ip ? { ip } : {}) }).generateACLToken('/media/movie/*');

  it('is byte-equal to akamai-edgeauth, with and without the address', () => {
    const open = link(new EdgeLinks({ provider: 'akamai', url: 'https://edge.example.com/media', key: AKAMAI_KEY }, 'off', () => NOW));
    expect(open).toBe(`https://edge.example.com/media/movie/hls/360p/seg_00001.ts?__token__=${reference()}`);
    const bound = link(new EdgeLinks({ provider: 'akamai', url: 'https://edge.example.com/media', key: AKAMAI_KEY }, 'exact', () => NOW));
    expect(query(bound).get('__token__')).toBe(reference('203.0.113.7'));
  });
});

describe('CloudFront: a custom policy on <edge>/<title>/*', () => {
  const settings = { provider: 'cloudfront' as const, url: 'https://d111.cloudfront.net/media', keyPairId: 'K2JCJMDEHXQW5F', privateKeyPem: PEM };
  const decode = (text: string) => Buffer.from(text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

  it.each([
    ['off', undefined],
    ['exact', '203.0.113.7/32'],
    ['prefix', '203.0.113.0/24'],
  ] as const)('bind %s: the policy, verified with the public key and equal to the SDK signature', (bind, sourceIp) => {
    const url = link(new EdgeLinks(settings, bind, () => NOW));
    const params = query(url);
    const policy = decode(params.get('Policy')!);
    expect(JSON.parse(policy.toString())).toEqual({
      Statement: [
        {
          Resource: 'https://d111.cloudfront.net/media/movie/*',
          Condition: { DateLessThan: { 'AWS:EpochTime': EXPIRES }, ...(sourceIp ? { IpAddress: { 'AWS:SourceIp': sourceIp } } : {}) },
        },
      ],
    });
    expect(createVerify('RSA-SHA1').update(policy).verify(publicKey, decode(params.get('Signature')!))).toBe(true);
    const sdk = new URL(getSignedUrl({ url: url.split('?')[0]!, keyPairId: settings.keyPairId, privateKey: PEM, policy: policy.toString() })).searchParams;
    expect(params.get('Signature')).toBe(sdk.get('Signature'));
    expect(params.get('Key-Pair-Id')).toBe(settings.keyPairId);
  });

  it('an IPv6 viewer gets no address condition (CloudFront takes IPv4 only)', () => {
    const url = new EdgeLinks(settings, 'exact', () => NOW).linker({ ...GRANT, ip: '2001:db8::1' })('hls/360p/index.m3u8', 'seg_00001.ts')!;
    expect(decode(query(url).get('Policy')!).toString()).not.toContain('IpAddress');
  });
});

describe('Cloudflare: each URI signed on its own', () => {
  const links = new EdgeLinks({ provider: 'cloudflare', url: 'https://cdn.example.com', secret: 'cf-secret' }, 'exact', () => NOW);

  it('the MAC of path and timestamp, as is_timed_hmac_valid_v0 checks it, issued now', () => {
    const url = link(links);
    const [ts, mac] = query(url).get('verify')!.split('-');
    expect(Number(ts)).toBe(NOW / 1000);
    expect(mac).toBe(createHmac('sha256', 'cf-secret').update(`/movie/hls/360p/seg_00001.ts${ts}`).digest('base64'));
  });

  it('leaves a DASH $Number$ template on Tollgate: one MAC cannot cover many files', () => {
    expect(links.linker(GRANT)('dash/manifest.mpd', 'v/seg-$Number%05d$.m4s')).toBeUndefined();
    expect(links.linker(GRANT)('dash/manifest.mpd', 'v/init-0.m4s')).toMatch(/^https:\/\/cdn\.example\.com\/movie\/dash\/v\/init-0\.m4s\?verify=/);
  });
});

describe('which URIs go to the edge', () => {
  it('resolves relative URIs under the title, keeping queries and DASH templates', () => {
    expect(resolveUnderTitle('hls/360p/index.m3u8', 'seg_1.ts')).toBe('hls/360p/seg_1.ts');
    expect(resolveUnderTitle('hls/360p/index.m3u8', './a/../seg_1.ts?x=1')).toBe('hls/360p/seg_1.ts?x=1');
    expect(resolveUnderTitle('hls/360p/index.m3u8', '../audio/seg_1.aac')).toBe('hls/audio/seg_1.aac');
    expect(resolveUnderTitle('dash/manifest.mpd', 'v0/seg-$Number%05d$.m4s')).toBe('dash/v0/seg-$Number%05d$.m4s');
  });

  it('keeps on Tollgate what is absolute, rooted, leaves the title, or is not a plain path', () => {
    for (const uri of ['https://elsewhere.example/seg.ts', '/movie/hls/seg.ts', '//evil.example/x.ts', '../../../other/hls/seg.ts', 'a%2f..%2fb.ts', '', '?x', 'data:text/plain,x', 'seg%00.ts']) {
      expect(resolveUnderTitle('hls/360p/index.m3u8', uri), uri).toBeUndefined();
    }
  });
});
