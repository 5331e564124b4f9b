/**
 * nginx secure_link_md5 links: the documentation's worked example, and the hash nginx computes
 * over `$uri` (the decoded path). A real nginx checks them in test/e2e/nginx-secure-link.test.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signNginxSecureLink, signNginxSecureLinkAsync } from '../../../src/core/cdn/nginx.js';
import { webCryptoCdnCrypto } from '../../../src/core/cdn/webcrypto.js';
import { nodeCdnCrypto } from '../../../src/server/edge/cdn-crypto.js';

function ours(url: string, secret: string, expires: number, ip?: string): string {
  const verdict = signNginxSecureLink({ url, secret, expires, ...(ip !== undefined ? { ip } : {}) }, nodeCdnCrypto);
  if (!verdict.ok) throw new Error(verdict.detail);
  return verdict.value;
}

describe('nginx secure_link_md5 signer', () => {
  it("reproduces the module documentation's example (nginx-md5-01)", () => {
    expect(ours('/s/link', 'secret', 2147483647, '127.0.0.1')).toBe('/s/link?md5=_e4Nc3iduzkWRm01TBBNYw&expires=2147483647');
  });

  it('hashes the decoded path as `echo -n "$expires$uri$remote_addr secret" | openssl md5 -binary | base64url` does', () => {
    const md5 = (text: Buffer) => createHash('md5').update(text).digest('base64url');
    expect(ours('https://cdn.example.com/vod/a.ts?x=1', 's3cret', 1700000000)).toBe(
      `https://cdn.example.com/vod/a.ts?x=1&md5=${md5(Buffer.from('1700000000/vod/a.ts s3cret'))}&expires=1700000000`,
    );
    expect(ours('/vod/my%20movie/%C3%A9.ts', 's3cret', 1700000000, '2001:db8::1')).toContain(
      `md5=${md5(Buffer.from('1700000000/vod/my movie/é.ts2001:db8::1 s3cret'))}&`,
    );
    // %FF is one raw byte in $uri, not U+FFFD.
    expect(ours('/vod/%ff.ts', 's', 1700000000)).toContain(`md5=${md5(Buffer.concat([Buffer.from('1700000000/vod/'), Buffer.of(0xff), Buffer.from('.ts s')]))}&`);
  });

  it('makes the same links on WebCrypto (MD5 in JS), the documentation example included', async () => {
    for (const [url, secret, expires, ip] of [
      ['/s/link', 'secret', 2147483647, '127.0.0.1'],
      ['https://cdn.example.com/vod/a.ts?x=1', 's3cret', 1700000000],
      ['/vod/my%20movie/%C3%A9.ts', 's3cret', 1700000000, '2001:db8::1'],
      ['/vod/%ff.ts', 's', 1700000000],
      ['/vod//a.ts', 's', 1700000000],
    ] as const) {
      const options = { url, secret, expires, ...(ip !== undefined ? { ip } : {}) };
      expect(await signNginxSecureLinkAsync(options, webCryptoCdnCrypto()), url).toEqual(signNginxSecureLink(options, nodeCdnCrypto));
    }
    expect(await signNginxSecureLinkAsync({ url: '/s/link', secret: 'secret', expires: 2147483647, ip: '127.0.0.1' }, webCryptoCdnCrypto())).toEqual({
      ok: true,
      value: '/s/link?md5=_e4Nc3iduzkWRm01TBBNYw&expires=2147483647',
    });
  });

  it('refuses paths nginx would rewrite before hashing, and bad inputs', () => {
    for (const [url, secret, expires, ip] of [
      ['/vod//a.ts', 's', 1700000000],
      ['/vod/./a.ts', 's', 1700000000],
      ['/vod/../a.ts', 's', 1700000000],
      ['/vod/%2e%2e/a.ts', 's', 1700000000],
      ['/vod/%zz.ts', 's', 1700000000],
      ['/vod/a.ts', '', 1700000000],
      ['/vod/a.ts', 'two words', 1700000000],
      ['/vod/a.ts', 's', 0],
      ['/vod/a.ts', 's', 1700000000, 'not-an-ip'],
    ] as const) {
      const verdict = signNginxSecureLink({ url, secret, expires, ...(ip !== undefined ? { ip } : {}) }, nodeCdnCrypto);
      expect(verdict, url).toMatchObject({ ok: false, code: 'bad_request' });
    }
  });
});
