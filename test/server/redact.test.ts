import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../src/server/monitor/redact.js';

const TOKEN = 'tgp1.k1.ZXhwCnNpZAp0aXRsZQ.Q2mFv9l1bq0D3tT-Xh_8dY2pVwK4sR7nJmLcA5eGhU0';

describe('redactUrl', () => {
  it.each([
    ['a plain stream URL', `/v1/stream/${TOKEN}/movie/hls/master.m3u8`, '/v1/stream/[redacted]/movie/hls/master.m3u8'],
    ['an encoded route segment', `/v1/%73tream/${TOKEN}/movie/a.ts`, '/v1/stream/[redacted]/movie/a.ts'],
    ['any case, double slashes', `//V1/STREAM//not-a-token/movie/a.ts`, '//V1/STREAM//[redacted]/movie/a.ts'],
    ['a license URL', '/v1/license/s/opaque/movie/widevine', '/v1/license/s/[redacted]/movie/widevine'],
    ['a doubly encoded token anywhere', `/x/%2574gp1.k.a.b?y=1`, '/x/[redacted]?y=1'],
    ['token and CDN query values, any case', '/v1/media/m/a.ts?TG=abc&Signature=s&Policy=p&keep=1', '/v1/media/m/a.ts?TG=[redacted]&Signature=[redacted]&Policy=[redacted]&keep=1'],
    ['a JWT in the query', '/x?q=eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2ln', '/x?q=[redacted]'],
    ['broken and non-printable escapes, re-escaped', '/v1/media/m/%c0%ae%zz%0a', '/v1/media/m/%c0%ae%zz%0a'],
  ])('%s', (_name, url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});

describe('redactText', () => {
  it('cuts token-shaped strings, plain or percent-encoded, and leaves other text alone', () => {
    expect(redactText(`Unsupported type application/x-${TOKEN}`)).toBe('Unsupported type application/x-[redacted]');
    expect(redactText(`seen %74%67%70%31%2e${TOKEN.slice(5)} here`)).toBe('seen [redacted] here');
    expect(redactText('100% of "movie" is fine')).toBe('100% of "movie" is fine');
  });
});
