/**
 * Threats to the CDN tokens Tollgate signs: a token that an edge reads as covering more than
 * was signed — another path, a later expiry, another client, a wildcard — because the signer
 * let attacker-influenced text (a URL, a session id, a key pair id) change the token's
 * structure, or signed text the edge never compares. Each test builds the token an attacker
 * would want and shows the signer refuses it, or that the edge's own check refuses its use.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signAkamaiToken } from '../../src/core/cdn/akamai.js';
import { signCat } from '../../src/core/cdn/cat.js';
import { signCloudflareUrl } from '../../src/core/cdn/cloudflare.js';
import { signCloudFront } from '../../src/core/cdn/cloudfront.js';
import { signNginxSecureLink } from '../../src/core/cdn/nginx.js';
import { nodeCdnCrypto } from '../../src/server/edge/cdn-crypto.js';

const KEY = '52a1'.repeat(8);
const noRsa = () => new Uint8Array(256); // the attacks are refused before anything is signed

describe('attack: Akamai token field smuggling', () => {
  it('refuses a session id or payload carrying "~exp=…~acl=/*" that would extend or widen the token', () => {
    for (const field of ['sessionId', 'payload', 'ip'] as const) {
      const verdict = signAkamaiToken({ key: KEY, acl: '/vod/movie1/*', expires: 1700000300, [field]: 'x~exp=9999999999~acl=/*' }, nodeCdnCrypto);
      expect(verdict, field).toMatchObject({ ok: false, code: 'bad_request' });
    }
  });

  it('refuses an ACL that joins a second ACL with "!"', () => {
    expect(signAkamaiToken({ key: KEY, acl: '/vod/movie1/*!/*', expires: 1700000300 }, nodeCdnCrypto).ok).toBe(false);
  });

  it('escapes the smuggled text instead when escape-early is on, so the edge sees one field', () => {
    const verdict = signAkamaiToken({ key: KEY, acl: '/vod/*', expires: 1700000300, sessionId: 'x~exp=9999999999', escapeEarly: true }, nodeCdnCrypto);
    expect(verdict.ok && verdict.value.split('~').filter((f) => f.startsWith('exp='))).toEqual(['exp=1700000300']);
  });
});

describe('attack: CloudFront policy widening', () => {
  it('refuses a canned policy with a wildcard, which would cover a whole tree', () => {
    expect(signCloudFront({ url: 'https://d.example.net/vod/*', keyPairId: 'K2JCJMDEHXQW5F', expires: 1700000300 }, noRsa).ok).toBe(false);
  });

  it('keeps a URL that carries JSON inside the Resource string', () => {
    const verdict = signCloudFront({ url: 'https://d.example.net/a.ts?x="}],"Resource":"*', keyPairId: 'K2JCJMDEHXQW5F', expires: 1700000300, policy: 'custom' }, noRsa);
    expect(verdict.ok).toBe(true);
    const policy = verdict.ok ? JSON.parse(Buffer.from(verdict.value.policy!.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64').toString()) : undefined;
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0].Resource).toBe('https://d.example.net/a.ts?x=%22%7D%5D%2C%22Resource%22%3A%22*');
  });

  it('refuses a key pair id that would inject its own query parameters', () => {
    expect(signCloudFront({ url: 'https://d.example.net/a.ts', keyPairId: 'K&Policy=e30_', expires: 1700000300 }, noRsa).ok).toBe(false);
  });

  it('refuses an address condition it cannot write exactly (IPv6, bad masks, loose octets)', () => {
    for (const ip of ['2001:db8::/32', '10.0.0.1/33', '010.0.0.1', '10.0.0.1/8/8', '10.0.0']) {
      expect(signCloudFront({ url: 'https://d.example.net/a.ts', keyPairId: 'K2JCJMDEHXQW5F', expires: 1700000300, ip }, noRsa).ok, ip).toBe(false);
    }
  });
});

describe('attack: nginx secure_link path confusion', () => {
  it('refuses to sign a path nginx would normalise into another file before hashing', () => {
    for (const url of ['/vod/movie1/../movie2/seg.ts', '/vod/movie1/%2e%2e/movie2/seg.ts', '/vod//seg.ts', '/vod/./seg.ts']) {
      expect(signNginxSecureLink({ url, secret: 'secret', expires: 1700000300 }, nodeCdnCrypto).ok, url).toBe(false);
    }
  });
});

describe('attack: Cloudflare token moved to another URI', () => {
  it('signs path and query together, so the token does not verify on another path or query', () => {
    const verdict = signCloudflareUrl({ url: '/vod/movie1/seg.ts?q=hd', secret: 'secret', timestamp: 1700000000 }, nodeCdnCrypto);
    const mac = verdict.ok ? decodeURIComponent(verdict.value.split('-').pop()!) : '';
    const macFor = (message: string) => createHmac('sha256', 'secret').update(`${message}1700000000`).digest('base64');
    expect(mac).toBe(macFor('/vod/movie1/seg.ts?q=hd'));
    expect(mac).not.toBe(macFor('/vod/movie2/seg.ts?q=hd'));
    expect(mac).not.toBe(macFor('/vod/movie1/seg.ts?q=uhd'));
  });
});

describe('attack: CAT claims that cannot be written exactly', () => {
  it('refuses inherited property names as URI parts instead of throwing or writing garbage', () => {
    const claims = { exp: 1700000300, catu: [{ part: '__proto__' as 'path', match: 'prefix' as const, value: '/' }] };
    expect(signCat(claims, { kid: 'k', key: new Uint8Array(32) }, nodeCdnCrypto)).toMatchObject({ ok: false, code: 'bad_request' });
  });

  it('refuses two rules for one URI part, whose meaning differs between readers', () => {
    const catu = [
      { part: 'path' as const, match: 'prefix' as const, value: '/vod/movie1/' },
      { part: 'path' as const, match: 'prefix' as const, value: '/' },
    ];
    expect(signCat({ exp: 1700000300, catu }, { kid: 'k', key: new Uint8Array(32) }, nodeCdnCrypto).ok).toBe(false);
  });
});
