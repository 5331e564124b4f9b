/**
 * The JWT form of the playback token: it binds what the compact token binds, jose (a
 * reference JOSE library) verifies it with the playback key, and every forgery jose can make
 * is refused — alg none, another key, the right key with another typ or extra header
 * members, missing or mistyped or non-canonical claims — by the same cheap-first steps, sync
 * (node:crypto) and async (WebCrypto) alike.
 */
import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { encodeBase64url, utf8 } from '../../src/core/base64url.js';
import { hashUserAgent, type HmacSha256 } from '../../src/core/playback-token-crypto.js';
import { mintPlaybackJwt, PLAYBACK_JWT_TYP, playbackJwtKid, verifyPlaybackJwt, verifyPlaybackJwtAsync } from '../../src/core/playback-token-jwt.js';
import { playbackTokenKid, verifyAnyPlaybackToken } from '../../src/core/playback-token-formats.js';
import { mintPlaybackToken, type PlaybackTokenInput, type PlaybackVerifyContext, verifyPlaybackToken } from '../../src/core/playback-token.js';
import { webCryptoHmacSha256 } from '../../src/core/webcrypto.js';

const hmac: HmacSha256 = (key, data) => createHmac('sha256', key).update(data).digest();
const SECRET = new Uint8Array(32).fill(7);
const OTHER_SECRET = new Uint8Array(32).fill(9);
const KEY = { kid: 'pl-k1', secret: SECRET };
const NOW = 1_750_000_000;
const UA = hashUserAgent('Mozilla/5.0 test', hmac);
const CLAIMS: PlaybackTokenInput = { sid: 'ses_abc123', titleId: 'movie1', scope: '/hls/', exp: NOW + 300, ip: '203.0.113.77/24', uaHash: UA };
/** What mintPlaybackJwt writes for CLAIMS, as jose will be asked to sign variants of it. */
const PAYLOAD = { sid: 'ses_abc123', video_id: 'movie1', scope: 'hls', exp: NOW + 300, iat: NOW - 10, ip: '203.0.113.0/24', ua_hash: UA };
const HEADER = { alg: 'HS256', typ: PLAYBACK_JWT_TYP, kid: 'pl-k1' };

const ctx = (over: Partial<PlaybackVerifyContext> = {}): PlaybackVerifyContext => ({
  now: NOW,
  resolveKey: (kid) => (kid === 'pl-k1' ? SECRET : undefined),
  hmac,
  ...over,
});

const joseSign = (payload: Record<string, unknown>, header: Record<string, unknown> = HEADER, secret = SECRET) =>
  new SignJWT(payload as JWTPayload).setProtectedHeader(header as { alg: string }).sign(secret);

describe('JWT playback tokens', () => {
  const token = mintPlaybackJwt(CLAIMS, KEY, NOW - 10, hmac);

  it('carry the header and claims of the JWT form, and the compact token’s bindings', () => {
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part!, 'base64url').toString()));
    expect(header).toEqual(HEADER);
    expect(payload).toEqual(PAYLOAD);
    const compact = verifyPlaybackToken(mintPlaybackToken(CLAIMS, KEY, hmac), ctx());
    const jwt = verifyPlaybackJwt(token, ctx());
    expect(jwt).toEqual(compact);
    expect(jwt.ok && jwt.value).toEqual({ sid: 'ses_abc123', titleId: 'movie1', scope: 'hls', exp: NOW + 300, ip: '203.0.113.0/24', uaHash: UA });
  });

  it('verify in jose with the playback key, typ and alg pinned', async () => {
    const { payload, protectedHeader } = await jwtVerify(token, SECRET, { algorithms: ['HS256'], typ: PLAYBACK_JWT_TYP, currentDate: new Date(NOW * 1000) });
    expect(protectedHeader.kid).toBe('pl-k1');
    expect(payload).toEqual(PAYLOAD);
  });

  it('verify alike with WebCrypto, and through the either-format verifier', async () => {
    const viaWebCrypto = await verifyPlaybackJwtAsync(token, { ...ctx(), hmac: webCryptoHmacSha256() });
    expect(viaWebCrypto).toEqual(verifyPlaybackJwt(token, ctx()));
    expect(verifyAnyPlaybackToken(token, ctx())).toEqual(verifyPlaybackJwt(token, ctx()));
    expect(playbackTokenKid(token)).toBe('pl-k1');
    expect(playbackJwtKid(token)).toBe('pl-k1');
  });

  it('accept what jose signs exactly as Tollgate would, in any member order', async () => {
    const reordered = await joseSign(Object.fromEntries(Object.entries(PAYLOAD).reverse()), { kid: 'pl-k1', typ: PLAYBACK_JWT_TYP, alg: 'HS256' });
    expect(verifyPlaybackJwt(reordered, ctx()).ok).toBe(true);
  });

  it('expire on exp and refuse an iat in the future', () => {
    expect(verifyPlaybackJwt(token, ctx({ now: NOW + 300 }))).toMatchObject({ ok: false, code: 'token_expired' });
    expect(verifyPlaybackJwt(token, ctx({ now: NOW + 299 })).ok).toBe(true);
    const early = mintPlaybackJwt(CLAIMS, KEY, NOW + 60, hmac);
    expect(verifyPlaybackJwt(early, ctx())).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(verifyPlaybackJwt(early, ctx({ leeway: 60 })).ok).toBe(true);
  });

  it('refuse alg none, another key, and an unknown kid', async () => {
    const none = new UnsecuredJWT(PAYLOAD).encode();
    expect(verifyPlaybackJwt(none, ctx())).toMatchObject({ ok: false, code: 'invalid_token' });
    const noneWithKid = `${encodeBase64url(utf8(JSON.stringify({ alg: 'none', typ: PLAYBACK_JWT_TYP, kid: 'pl-k1' })))}.${token.split('.')[1]}.`;
    expect(verifyPlaybackJwt(noneWithKid, ctx())).toMatchObject({ ok: false, detail: 'malformed playback token' });
    expect(verifyPlaybackJwt(await joseSign(PAYLOAD, HEADER, OTHER_SECRET), ctx())).toMatchObject({ ok: false, detail: 'playback token signature mismatch' });
    expect(verifyPlaybackJwt(await joseSign(PAYLOAD, { ...HEADER, kid: 'pl-k2' }), ctx())).toMatchObject({ ok: false, detail: 'unknown playback token key' });
  });

  it.each([
    ['typ JWT', { ...HEADER, typ: 'JWT' }],
    ['no typ', { alg: 'HS256', kid: 'pl-k1' }],
    ['the access token typ', { ...HEADER, typ: 'at+jwt' }],
    ['no kid', { alg: 'HS256', typ: PLAYBACK_JWT_TYP }],
    ['a kid that is not base64url', { ...HEADER, kid: '../pl-k1' }],
    ['crit', { ...HEADER, crit: ['b64'], b64: true }],
    ['jku', { ...HEADER, jku: 'https://attacker.example/jwks.json' }],
    ['HS384', { ...HEADER, alg: 'HS384' }],
  ])('refuse a header with %s, even under the right key', async (_name, header) => {
    const forged = await joseSign(PAYLOAD, header as Record<string, unknown>).catch(() => undefined);
    if (forged === undefined) throw new Error('jose refused to sign');
    expect(verifyPlaybackJwt(forged, ctx())).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  const { ip: _ip, ua_hash: _ua, ...UNBOUND } = PAYLOAD;
  it.each<[string, Record<string, unknown>]>([
    ...['sid', 'video_id', 'scope', 'exp', 'iat'].map((name): [string, Record<string, unknown>] => [`no ${name}`, Object.fromEntries(Object.entries(PAYLOAD).filter(([k]) => k !== name))]),
    ['sid empty', { ...PAYLOAD, sid: '' }],
    ['sid with a control character', { ...PAYLOAD, sid: 'a\nb' }],
    ['video_id a number', { ...PAYLOAD, video_id: 7 }],
    ['exp a string', { ...PAYLOAD, exp: String(NOW + 300) }],
    ['exp a fraction', { ...PAYLOAD, exp: NOW + 300.5 }],
    ['iat after exp', { ...PAYLOAD, iat: NOW + 301 }],
    ['scope not canonical', { ...PAYLOAD, scope: '/hls/' }],
    ['scope with traversal', { ...PAYLOAD, scope: 'hls/../dash' }],
    ['ip not masked', { ...PAYLOAD, ip: '203.0.113.77/24' }],
    ['ip not an address', { ...PAYLOAD, ip: 'anywhere' }],
    ['ua_hash not base64url', { ...PAYLOAD, ua_hash: 'a b' }],
    ['an unknown claim', { ...PAYLOAD, admin: true }],
    ['the article’s raw ua claim', { ...UNBOUND, ua: 'Chrome' }],
  ])('refuse claims with %s, even under the right key', async (_name, payload) => {
    expect(verifyPlaybackJwt(await joseSign(payload), ctx())).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  it('refuse a duplicate member, non-canonical base64url and an altered payload', () => {
    const [header, payload, mac] = token.split('.') as [string, string, string];
    const dup = encodeBase64url(utf8(`{"alg":"HS256","typ":"${PLAYBACK_JWT_TYP}","kid":"pl-k1","kid":"pl-k1"}`));
    expect(verifyPlaybackJwt(`${dup}.${payload}.${mac}`, ctx())).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(verifyPlaybackJwt(`${header}=.${payload}.${mac}`, ctx())).toMatchObject({ ok: false, code: 'invalid_token' });
    const other = encodeBase64url(utf8(JSON.stringify({ ...PAYLOAD, video_id: 'movie2' })));
    expect(verifyPlaybackJwt(`${header}.${other}.${mac}`, ctx())).toMatchObject({ ok: false, detail: 'playback token signature mismatch' });
  });

  it('are never taken for the compact form, nor the compact form for them', () => {
    const compact = mintPlaybackToken(CLAIMS, KEY, hmac);
    expect(verifyPlaybackToken(token, ctx())).toMatchObject({ ok: false, detail: 'malformed playback token' });
    expect(verifyPlaybackJwt(compact, ctx())).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(verifyAnyPlaybackToken(compact, ctx()).ok).toBe(true);
  });

  it('never throw on junk', () => {
    for (const junk of ['', '.', '..', 'a.b.c', 'x'.repeat(5000), `${token}.`, token.replace(/\./g, ''), undefined as unknown as string]) {
      expect(verifyPlaybackJwt(junk, ctx()).ok).toBe(false);
      expect(playbackTokenKid(junk ?? '')).toBeUndefined();
    }
  });

  it('are minted only from claims the verifier accepts', () => {
    expect(() => mintPlaybackJwt(CLAIMS, KEY, NOW + 301, hmac)).toThrow(TypeError);
    expect(() => mintPlaybackJwt({ ...CLAIMS, sid: '' }, KEY, NOW, hmac)).toThrow(TypeError);
    expect(() => mintPlaybackJwt(CLAIMS, { ...KEY, kid: 'a b' }, NOW, hmac)).toThrow(TypeError);
  });
});
