import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBase64url, decodeBase64url, utf8 } from '../../src/core/base64url.js';
import {
  MAX_PLAYBACK_TOKEN_LENGTH,
  mintPlaybackToken,
  verifyPlaybackToken,
  type PlaybackClaims,
  type PlaybackTokenInput,
  type PlaybackVerifyContext,
} from '../../src/core/playback-token.js';
import { hashUserAgent, type HmacSha256 } from '../../src/core/playback-token-crypto.js';

const hmac: HmacSha256 = (key, data) => createHmac('sha256', key).update(data).digest();
const SECRET = utf8('k1-secret-0123456789abcdef0123456789');
const OTHER_SECRET = utf8('k2-secret-0123456789abcdef0123456789');
const KEY = { kid: 'k1', secret: SECRET };
const NOW = 1_750_000_000;
const CLAIMS: PlaybackTokenInput = { sid: 'ses_abc123', titleId: 'movie1', scope: 'hls', exp: NOW + 300 };

const ctx = (over: Partial<PlaybackVerifyContext> = {}): PlaybackVerifyContext => ({
  now: NOW,
  resolveKey: (kid) => ({ k1: SECRET, k2: OTHER_SECRET })[kid],
  hmac,
  ...over,
});

/** Signs an arbitrary payload text under k1, as a buggy or hostile minter with the key would. */
function signRaw(payloadText: string, kid = 'k1', secret = SECRET): string {
  const signed = `tgp1.${kid}.${encodeBase64url(utf8(payloadText))}`;
  return `${signed}.${encodeBase64url(hmac(secret, signed))}`;
}

/** Replaces the payload of a token, keeping its MAC. */
function withPayload(token: string, payloadText: string): string {
  const [prefix, kid, , mac] = token.split('.');
  return `${prefix}.${kid}.${encodeBase64url(utf8(payloadText))}.${mac}`;
}

function payloadOf(token: string): string {
  return new TextDecoder().decode(decodeBase64url(token.split('.')[2]!)!);
}

function expectDenied(token: string, code: string, c = ctx()): void {
  const v = verifyPlaybackToken(token, c);
  expect(v.ok).toBe(false);
  if (!v.ok) expect(v.code).toBe(code);
}

describe('playback token: format and round trip', () => {
  it('round-trips the claims and has the documented shape', () => {
    const token = mintPlaybackToken(CLAIMS, KEY, hmac);
    expect(token).toMatch(/^tgp1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(token.split('.')).toHaveLength(4); // never JWS compact (3 parts)
    expect(payloadOf(token)).toBe(`${NOW + 300}\nses_abc123\nmovie1\nhls\n\n`);
    const v = verifyPlaybackToken(token, ctx());
    expect(v).toEqual({ ok: true, value: { ...CLAIMS } });
  });

  it('defaults the scope to the whole title and normalises slashes', () => {
    const whole = verifyPlaybackToken(mintPlaybackToken({ sid: 's', titleId: 't', exp: NOW + 1 }, KEY, hmac), ctx());
    expect(whole.ok && whole.value.scope).toBe('');
    const slashed = verifyPlaybackToken(mintPlaybackToken({ ...CLAIMS, scope: '/hls/720p/' }, KEY, hmac), ctx());
    expect(slashed.ok && slashed.value.scope).toBe('hls/720p');
  });

  it('stores an IP prefix as its masked network and carries the UA hash', () => {
    const uaHash = hashUserAgent('Mozilla/5.0 (X11; Linux x86_64)', hmac);
    expect(uaHash).toMatch(/^[A-Za-z0-9_-]{12}$/);
    const token = mintPlaybackToken({ ...CLAIMS, ip: '203.0.113.77/24', uaHash }, KEY, hmac);
    const v = verifyPlaybackToken(token, ctx());
    expect(v).toEqual({ ok: true, value: { ...CLAIMS, ip: '203.0.113.0/24', uaHash } });
    const v6 = verifyPlaybackToken(mintPlaybackToken({ ...CLAIMS, ip: '2001:DB8:0:0:1::7/48' }, KEY, hmac), ctx());
    expect(v6.ok && v6.value.ip).toBe('2001:db8::/48');
    const exact = verifyPlaybackToken(mintPlaybackToken({ ...CLAIMS, ip: '::ffff:198.51.100.4' }, KEY, hmac), ctx());
    expect(exact.ok && exact.value.ip).toBe('198.51.100.4');
  });

  it('round-trips unicode identifiers', () => {
    const claims = { sid: 'sés-ü', titleId: 'фильм-1', scope: 'hls/日本', exp: NOW + 10 };
    expect(verifyPlaybackToken(mintPlaybackToken(claims, KEY, hmac), ctx())).toEqual({ ok: true, value: claims });
  });

  it('verifies with whichever key the kid names (rotation)', () => {
    const token = mintPlaybackToken(CLAIMS, { kid: 'k2', secret: OTHER_SECRET }, hmac);
    expect(verifyPlaybackToken(token, ctx()).ok).toBe(true);
    expectDenied(token, 'invalid_token', ctx({ resolveKey: (kid) => (kid === 'k1' ? SECRET : undefined) }));
  });

  it('refuses to mint what it could not verify', () => {
    const bad: [PlaybackTokenInput, string][] = [
      [{ ...CLAIMS, sid: '' }, 'sid'],
      [{ ...CLAIMS, sid: 'a\nb' }, 'sid'],
      [{ ...CLAIMS, titleId: 'm\u0000' }, 'sid'],
      [{ ...CLAIMS, exp: 1.5 }, 'exp'],
      [{ ...CLAIMS, exp: 0 }, 'exp'],
      [{ ...CLAIMS, scope: 'hls/../dash' }, 'scope'],
      [{ ...CLAIMS, scope: 'hls/%2e%2e' }, 'scope'],
      [{ ...CLAIMS, ip: '203.0.113.1/33' }, 'ip'],
      [{ ...CLAIMS, ip: 'example.com' }, 'ip'],
      [{ ...CLAIMS, uaHash: 'not a hash' }, 'uaHash'],
      [{ ...CLAIMS, sid: 'x'.repeat(800) }, 'too long'],
    ];
    for (const [claims, message] of bad) expect(() => mintPlaybackToken(claims, KEY, hmac)).toThrow(message);
    expect(() => mintPlaybackToken(CLAIMS, { kid: 'k.1', secret: SECRET }, hmac)).toThrow('kid');
    expect(() => mintPlaybackToken(CLAIMS, { kid: '', secret: SECRET }, hmac)).toThrow('kid');
    expect(() => mintPlaybackToken(CLAIMS, KEY, () => new Uint8Array(20))).toThrow('32 bytes');
  });
});

describe('playback token: tampering', () => {
  const token = mintPlaybackToken({ ...CLAIMS, ip: '203.0.113.0/24', uaHash: 'AAAAAAAAAAAA' }, KEY, hmac);
  const fields = payloadOf(token).split('\n');

  it('detects a change to each claim field under the old MAC', () => {
    const replacements = [String(NOW + 999_999), 'ses_other', 'movie2', '', '0.0.0.0/0', 'BBBBBBBBBBBB'];
    replacements.forEach((value, i) => {
      const changed = fields.map((f, j) => (j === i ? value : f)).join('\n');
      expectDenied(withPayload(token, changed), 'invalid_token');
    });
    expectDenied(withPayload(token, fields.slice(0, 5).join('\n')), 'invalid_token'); // binding dropped
  });

  it('detects a flipped bit anywhere in the MAC and a non-canonical spelling of it', () => {
    const mac = token.slice(-43);
    const body = token.slice(0, -43);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < 43; i++) {
      const c = alphabet.indexOf(mac[i]!);
      const flipped = alphabet[c ^ (i === 42 ? 4 : 1)]!; // last char: flip a data bit
      expectDenied(body + mac.slice(0, i) + flipped + mac.slice(i + 1), 'invalid_token');
    }
    // The last character carries 4 data bits and 2 must-be-zero bits: set one of those.
    const last = alphabet[alphabet.indexOf(mac[42]!) | 1]!;
    expectDenied(body + mac.slice(0, 42) + last, 'invalid_token');
  });

  it('detects a changed kid, marker, or a MAC made with another key', () => {
    expectDenied(token.replace('tgp1.k1.', 'tgp1.k2.'), 'invalid_token'); // known kid, wrong key
    expectDenied(token.replace('tgp1.k1.', 'tgp1.k9.'), 'invalid_token'); // unknown kid
    expectDenied(token.replace('tgp1.', 'tgp2.'), 'invalid_token');
    expectDenied(token.replace('tgp1.', 'TGP1.'), 'invalid_token');
    expectDenied(signRaw(payloadOf(token), 'k1', OTHER_SECRET), 'invalid_token');
    expectDenied(token.slice(0, -1), 'invalid_token');
    expectDenied(token + 'A', 'invalid_token');
  });

  it('never hands a kid with path or SQL characters to the key resolver', () => {
    const seen: string[] = [];
    const spy = ctx({ resolveKey: (kid) => (seen.push(kid), undefined) });
    for (const kid of ['../../dev/null', "x' OR '1'='1", 'a\u0000b', 'k'.repeat(65), '']) {
      expectDenied(`tgp1.${kid}.${token.split('.').slice(2).join('.')}`, 'invalid_token', spy);
    }
    expect(seen).toEqual([]);
  });

  it('rejects a JWT, even one HMAC-signed with the same secret', () => {
    const header = encodeBase64url(utf8(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'k1' })));
    const body = encodeBase64url(utf8(JSON.stringify({ sid: 'ses_abc123', titleId: 'movie1', exp: NOW + 300 })));
    const jwt = `${header}.${body}.${encodeBase64url(hmac(SECRET, `${header}.${body}`))}`;
    expectDenied(jwt, 'invalid_token');
    expectDenied(`tgp1.${jwt}`, 'invalid_token');
  });

  it('rejects correctly signed but malformed claims', () => {
    for (const text of [
      'not-enough-fields',
      `${NOW + 9}\ns\nt\n\n\n\nextra`,
      `0${NOW + 9}\ns\nt\n\n\n`, // leading zero: one spelling per value
      `${NOW + 9}.5\ns\nt\n\n\n`,
      `-1\ns\nt\n\n\n`,
      `0\ns\nt\n\n\n`,
      `99999999999999999\ns\nt\n\n\n`,
      `${NOW + 9}\n\nt\n\n\n`, // empty sid
      `${NOW + 9}\ns\n\n\n\n`, // empty title
    ]) {
      expectDenied(signRaw(text), 'invalid_token');
    }
    // Invalid UTF-8 in the payload, correctly signed.
    const signed = `tgp1.k1.${encodeBase64url(new Uint8Array([0x31, 0x0a, 0xff, 0x0a, 0x74, 0x0a, 0x0a, 0x0a]))}`;
    expectDenied(`${signed}.${encodeBase64url(hmac(SECRET, signed))}`, 'invalid_token');
  });
});

describe('playback token: time', () => {
  const token = mintPlaybackToken(CLAIMS, KEY, hmac);

  it('is valid until the second before exp and expired from exp on', () => {
    expect(verifyPlaybackToken(token, ctx({ now: CLAIMS.exp - 1 })).ok).toBe(true);
    expect(verifyPlaybackToken(token, ctx({ now: CLAIMS.exp - 0.001 })).ok).toBe(true);
    expectDenied(token, 'token_expired', ctx({ now: CLAIMS.exp }));
    expectDenied(token, 'token_expired', ctx({ now: CLAIMS.exp + 86_400 }));
  });

  it('applies the leeway explicitly', () => {
    expect(verifyPlaybackToken(token, ctx({ now: CLAIMS.exp + 4, leeway: 5 })).ok).toBe(true);
    expectDenied(token, 'token_expired', ctx({ now: CLAIMS.exp + 5, leeway: 5 }));
  });

  it('reports a forged expired token as invalid, not expired (MAC first)', () => {
    const expiredForged = withPayload(token, payloadOf(token).replace(String(CLAIMS.exp), String(NOW - 10)));
    expectDenied(expiredForged, 'invalid_token');
  });

  it('fails closed on a broken clock', () => {
    expect(() => verifyPlaybackToken(token, ctx({ now: Number.NaN }))).toThrow(TypeError);
    expect(() => verifyPlaybackToken(token, ctx({ leeway: -1 }))).toThrow(TypeError);
  });
});

describe('playback token: garbage never throws', () => {
  const token = mintPlaybackToken(CLAIMS, KEY, hmac);

  it('denies odd inputs as invalid_token', () => {
    const inputs: unknown[] = [
      '', '.', '...', 'tgp1.', 'tgp1...', 'tgp1.k1..', `tgp1.k1..${'A'.repeat(43)}`, 'tgp1.k1.e30.' + 'A'.repeat(43),
      token.replace(/\./g, '..'), `${token}.`, `.${token}`, token.replace('.', '.x.'),
      'x'.repeat(MAX_PLAYBACK_TOKEN_LENGTH + 1), 'tgp1.' + 'A'.repeat(1 << 20), '\u{1F600}'.repeat(100),
      `tgp1.k1.${'é'.repeat(20)}.${'A'.repeat(43)}`, token.replace(/[A-Za-z]/, 'ß'), `${token.slice(0, -1)}+`, `${token.slice(0, -1)}=`,
      undefined, null, 42, {}, ['tgp1'],
    ];
    for (const input of inputs) expectDenied(input as string, 'invalid_token');
  });

  it('survives random mutations and grants only the untouched token', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const chars = 'ABCxyz019-_.=+/%\n\u00e9\u{1F600}';
    for (let i = 0; i < 3000; i++) {
      let t = token;
      for (let m = 1 + random(3); m > 0; m--) {
        const at = random(t.length + 1);
        const op = random(3);
        const ch = [...chars][random([...chars].length)]!;
        t = op === 0 ? t.slice(0, at) + ch + t.slice(at) : op === 1 ? t.slice(0, at) + t.slice(at + 1) : t.slice(0, at) + ch + t.slice(at + 1);
      }
      const v = verifyPlaybackToken(t, ctx());
      if (v.ok) expect(t).toBe(token);
    }
  });
});

describe('playback token: claims type', () => {
  it('exposes bindings as absent when the token has none', () => {
    const v = verifyPlaybackToken(mintPlaybackToken(CLAIMS, KEY, hmac), ctx());
    const claims = (v.ok ? v.value : undefined) as PlaybackClaims;
    expect(claims.ip).toBeUndefined();
    expect(claims.uaHash).toBeUndefined();
  });
});
