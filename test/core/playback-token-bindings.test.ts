import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkBindings, isSafeRelativePath, normalizeScope, type PlaybackRequest } from '../../src/core/playback-token-bindings.js';
import { hashUserAgent, type HmacSha256 } from '../../src/core/playback-token-crypto.js';
import type { PlaybackClaims } from '../../src/core/playback-token.js';

const hmac: HmacSha256 = (key, data) => createHmac('sha256', key).update(data).digest();
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15';
const CLAIMS: PlaybackClaims = { sid: 's1', titleId: 'movie1', scope: '', exp: 2_000_000_000 };
const REQUEST: PlaybackRequest = { titleId: 'movie1', path: 'hls/720p/seg_00001.ts', ip: '203.0.113.7' };

function verdictCode(claims: Partial<PlaybackClaims>, request: Partial<PlaybackRequest>): string {
  const v = checkBindings({ ...CLAIMS, ...claims }, { ...REQUEST, ...request });
  return v.ok ? 'ok' : v.code;
}

describe('checkBindings: title and path scope', () => {
  it('grants a path under the whole-title scope', () => {
    expect(checkBindings(CLAIMS, REQUEST)).toEqual({ ok: true, value: undefined });
    expect(verdictCode({}, { path: 'hls/keys/0123456789abcdef' })).toBe('ok');
  });

  it('forbids another title', () => {
    expect(verdictCode({}, { titleId: 'movie2' })).toBe('forbidden');
    expect(verdictCode({}, { titleId: 'Movie1' })).toBe('forbidden');
    expect(verdictCode({}, { titleId: '' })).toBe('forbidden');
  });

  it('matches the scope on whole segments', () => {
    expect(verdictCode({ scope: 'hls' }, { path: 'hls/master.m3u8' })).toBe('ok');
    expect(verdictCode({ scope: 'hls' }, { path: 'hls' })).toBe('ok');
    expect(verdictCode({ scope: 'hls/720p' }, { path: 'hls/720p/seg_1.ts' })).toBe('ok');
    expect(verdictCode({ scope: 'hls' }, { path: 'hls2/master.m3u8' })).toBe('forbidden');
    expect(verdictCode({ scope: 'hls' }, { path: 'hlsx' })).toBe('forbidden');
    expect(verdictCode({ scope: 'hls/720p' }, { path: 'hls/1080p/seg_1.ts' })).toBe('forbidden');
    expect(verdictCode({ scope: 'hls' }, { path: 'dash/manifest.mpd' })).toBe('forbidden');
  });

  it('forbids traversal, plain and encoded', () => {
    const attempts = [
      'hls/../dash/manifest.mpd',
      '../movie2/hls/master.m3u8',
      'hls/..',
      'hls/./master.m3u8',
      '.',
      'hls/%2e%2e/dash/manifest.mpd',
      'hls/%2E%2E/dash',
      'hls/..%2fdash',
      'hls%2f..%2fdash',
      'hls/%252e%252e/dash', // double-encoded
      'hls\\..\\dash',
      'hls/\u0000/x',
      'hls//x',
      '/etc/passwd',
      'hls/',
      '',
    ];
    for (const path of attempts) {
      expect(verdictCode({ scope: 'hls' }, { path })).toBe('forbidden');
      expect(verdictCode({ scope: '' }, { path })).toBe('forbidden');
    }
    // Dots inside names are ordinary characters.
    expect(verdictCode({ scope: 'hls' }, { path: 'hls/..seg.ts' })).toBe('ok');
    expect(verdictCode({ scope: 'hls' }, { path: 'hls/...' })).toBe('ok');
  });

  it('normalises scopes and refuses unsafe ones', () => {
    expect(normalizeScope('')).toBe('');
    expect(normalizeScope('/')).toBe('');
    expect(normalizeScope('//hls/720p//')).toBe('hls/720p');
    expect(normalizeScope('hls//720p')).toBeUndefined();
    expect(normalizeScope('hls/..')).toBeUndefined();
    expect(normalizeScope('a%2fb')).toBeUndefined();
    expect(isSafeRelativePath('hls/720p/seg_00001.ts')).toBe(true);
    expect(isSafeRelativePath('hls/\u007f')).toBe(false);
  });
});

describe('checkBindings: client bindings', () => {
  it('binds to an exact address', () => {
    expect(verdictCode({ ip: '203.0.113.7' }, {})).toBe('ok');
    expect(verdictCode({ ip: '203.0.113.7' }, { ip: '::ffff:203.0.113.7' })).toBe('ok');
    expect(verdictCode({ ip: '203.0.113.7' }, { ip: '203.0.113.8' })).toBe('invalid_token');
    expect(verdictCode({ ip: '2001:db8::1' }, { ip: '2001:DB8:0::0:1' })).toBe('ok');
    expect(verdictCode({ ip: '2001:db8::1' }, { ip: '2001:db8::2' })).toBe('invalid_token');
  });

  it('binds to an IPv4 prefix', () => {
    expect(verdictCode({ ip: '203.0.113.0/24' }, { ip: '203.0.113.250' })).toBe('ok');
    expect(verdictCode({ ip: '203.0.113.0/24' }, { ip: '203.0.114.1' })).toBe('invalid_token');
    expect(verdictCode({ ip: '10.0.0.0/8' }, { ip: '10.255.1.2' })).toBe('ok');
    expect(verdictCode({ ip: '203.0.113.0/25' }, { ip: '203.0.113.128' })).toBe('invalid_token');
  });

  it('binds to an IPv6 prefix', () => {
    expect(verdictCode({ ip: '2001:db8:1234::/48' }, { ip: '2001:db8:1234:ffff::9' })).toBe('ok');
    expect(verdictCode({ ip: '2001:db8:1234::/48' }, { ip: '2001:db8:1235::9' })).toBe('invalid_token');
    expect(verdictCode({ ip: '2001:db8:0:1::/64' }, { ip: '2001:db8:0:1:a:b:c:d' })).toBe('ok');
  });

  it('never matches across families or unparseable addresses', () => {
    expect(verdictCode({ ip: '203.0.113.0/24' }, { ip: '2001:db8::1' })).toBe('invalid_token');
    expect(verdictCode({ ip: '::/0' }, { ip: '203.0.113.1' })).toBe('invalid_token');
    expect(verdictCode({ ip: '203.0.113.7' }, { ip: '' })).toBe('invalid_token');
    expect(verdictCode({ ip: '203.0.113.7' }, { ip: 'unknown' })).toBe('invalid_token');
  });

  it('binds to the user agent by hash', () => {
    const uaHash = hashUserAgent(UA, hmac);
    expect(verdictCode({ uaHash }, { userAgentHash: hashUserAgent(UA, hmac) })).toBe('ok');
    expect(verdictCode({ uaHash }, { userAgentHash: hashUserAgent(`${UA} `, hmac) })).toBe('invalid_token');
    expect(verdictCode({ uaHash }, {})).toBe('invalid_token');
    expect(verdictCode({}, { userAgentHash: 'anything' })).toBe('ok'); // unbound token
  });

  it('checks scope before bindings', () => {
    expect(verdictCode({ ip: '198.51.100.1' }, { titleId: 'movie2' })).toBe('forbidden');
  });
});
