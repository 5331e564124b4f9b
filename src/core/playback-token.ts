/**
 * Playback tokens: the credential on every manifest, segment and key request of a stream.
 * Threats: forging one, or changing a genuine one — its expiry, title, path scope, session,
 * IP or user-agent binding — or passing another token kind off as one (a JWT, another
 * Tollgate token signed with a shared key). Every byte before the MAC is under
 * HMAC-SHA256, the MAC input starts with the type-and-version marker, and the shape (four
 * dot-separated parts) is not JWS compact form. The verifier checks cheap-first and stops at
 * the first failure: length and structure, then the kid lookup, then the MAC in constant
 * time, then the claims and the expiry; bindings are checked separately (checkBindings).
 *
 * Format, v1 — one URL path segment (base64url characters and '.' only):
 *
 *   tgp1.<kid>.<payload>.<mac>
 *
 *   kid      1–64 base64url characters naming the HMAC key
 *   payload  base64url (RFC 4648 §5, unpadded) of the UTF-8 text
 *            exp LF sid LF titleId LF scope LF ip LF uaHash
 *            exp: Unix seconds, decimal, no leading zeros; scope: '' = whole title;
 *            ip: '' or an address or masked network (canonical, see playback-token-ip.ts);
 *            uaHash: '' or hashUserAgent(user agent)
 *   mac      base64url of HMAC-SHA256(secret, "tgp1.<kid>.<payload>"): 43 characters
 *
 * The payload is delimited text rather than JSON: splitting six fields is a fraction of the
 * cost of JSON.parse, and this check runs on every uncached segment request.
 */
import { decodeBase64urlInto, encodeBase64url, fromUtf8, utf8 } from './base64url.js';
import { deny, grant, type Denial, type Verdict } from './errors.js';
import { normalizeScope } from './playback-token-bindings.js';
import { constantTimeEqual, type HmacSha256, type HmacSha256Async } from './playback-token-crypto.js';
import { formatIpNetwork, parseIpNetwork } from './playback-token-ip.js';

export interface PlaybackClaims {
  /** The playback session: the gateway checks it is still alive. */
  readonly sid: string;
  readonly titleId: string;
  /** Path prefix under the title, whole segments, no leading or trailing '/'; '' = the whole title. */
  readonly scope: string;
  /** Expiry, Unix seconds: the token is refused from this second on. */
  readonly exp: number;
  /** Client address or masked network ("203.0.113.0/24"), canonical; absent = not bound. */
  readonly ip?: string;
  /** hashUserAgent() of the client's user agent; absent = not bound. */
  readonly uaHash?: string;
}

/** Claims as given to mint: scope defaults to the whole title; ip may have host bits set. */
export type PlaybackTokenInput = Omit<PlaybackClaims, 'scope'> & { readonly scope?: string };

export interface PlaybackKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

export interface PlaybackVerifyContext {
  /** Unix seconds. */
  readonly now: number;
  /** The only way a key is found; undefined for an unknown or retired kid. */
  resolveKey(kid: string): Uint8Array | undefined;
  readonly hmac: HmacSha256;
  /** Seconds of clock skew tolerated on exp; default 0. */
  readonly leeway?: number;
}

/** The context of verifyPlaybackTokenAsync: the key lookup may be async too (e.g. a KV store). */
export interface PlaybackVerifyContextAsync {
  readonly now: number;
  resolveKey(kid: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  readonly hmac: HmacSha256Async;
  readonly leeway?: number;
}

export const PLAYBACK_TOKEN_PREFIX = 'tgp1.';
export const MAX_PLAYBACK_TOKEN_LENGTH = 1024;
const MAX_KID_LENGTH = 64;
const MAC_LENGTH = 43; // base64url of 32 bytes
const FIELD_SEPARATOR = '\n';
const DOT = 0x2e;
// prefix + 1-char kid + '.' + 1-char payload + '.' + mac
const MIN_LENGTH = PLAYBACK_TOKEN_PREFIX.length + 4 + MAC_LENGTH;

/**
 * Mints a token. Throws TypeError on claims the verifier would refuse or misread — a bug in
 * the caller, never a client's doing.
 */
export function mintPlaybackToken(claims: PlaybackTokenInput, key: PlaybackKey, hmac: HmacSha256): string {
  const c = canonicalPlaybackClaims(claims, key, 'mintPlaybackToken');
  const text = [c.exp, c.sid, c.titleId, c.scope, c.ip ?? '', c.uaHash ?? ''].join(FIELD_SEPARATOR);
  const signed = `${PLAYBACK_TOKEN_PREFIX}${key.kid}.${encodeBase64url(utf8(text))}`;
  return withMac(signed, key, hmac, 'mintPlaybackToken');
}

/**
 * The claims as every playback-token format writes them (this one and the JWT form,
 * playback-token-jwt.ts): scope normalised, ip masked and canonical. Throws TypeError on
 * claims a verifier would refuse or misread — a bug in the caller, never a client's doing.
 */
export function canonicalPlaybackClaims(claims: PlaybackTokenInput, key: PlaybackKey, caller: string): PlaybackClaims {
  if (!isBase64urlText(key.kid, 0, key.kid.length)) throw new TypeError(`${caller}: kid must be 1-64 base64url characters`);
  if (!Number.isSafeInteger(claims.exp) || claims.exp <= 0) throw new TypeError(`${caller}: exp must be a positive integer`);
  if (!isPlainField(claims.sid) || !isPlainField(claims.titleId)) {
    throw new TypeError(`${caller}: sid and titleId must be non-empty, without control characters`);
  }
  const scope = normalizeScope(claims.scope ?? '');
  if (scope === undefined) throw new TypeError(`${caller}: scope must be a plain relative path`);
  let ip: string | undefined;
  if (claims.ip !== undefined) {
    const net = parseIpNetwork(claims.ip);
    if (net === undefined) throw new TypeError(`${caller}: ip must be an address or address/bits`);
    ip = formatIpNetwork(net);
  }
  const uaHash = claims.uaHash;
  if (uaHash !== undefined && !isBase64urlText(uaHash, 0, uaHash.length)) throw new TypeError(`${caller}: uaHash must come from hashUserAgent`);
  return { sid: claims.sid, titleId: claims.titleId, scope, exp: claims.exp, ...(ip !== undefined ? { ip } : {}), ...(uaHash !== undefined ? { uaHash } : {}) };
}

/** signed + '.' + base64url(HMAC-SHA256(secret, signed)), within the length every format keeps to. */
export function withMac(signed: string, key: PlaybackKey, hmac: HmacSha256, caller: string): string {
  const mac = hmac(key.secret, signed);
  if (mac.length !== 32) throw new TypeError(`${caller}: hmac must return 32 bytes`);
  const token = `${signed}.${encodeBase64url(mac)}`;
  if (token.length > MAX_PLAYBACK_TOKEN_LENGTH) throw new TypeError(`${caller}: claims too long for a token`);
  return token;
}

/** Verifies MAC and expiry; never throws on any input (only on a broken context). */
export function verifyPlaybackToken(token: string, ctx: PlaybackVerifyContext): Verdict<PlaybackClaims> {
  checkClock(ctx.now, ctx.leeway, 'verifyPlaybackToken');
  const kidEnd = locateKid(token);
  if (kidEnd < 0) return malformed;
  const secret = ctx.resolveKey(token.slice(PLAYBACK_TOKEN_PREFIX.length, kidEnd));
  if (secret === undefined) return unknownKey;
  return checkMacThenClaims(token, kidEnd, ctx.hmac(secret, signedPart(token)), ctx.now, ctx.leeway);
}

/**
 * verifyPlaybackToken for runtimes whose HMAC is async (WebCrypto at the edge, see
 * webcrypto.ts): the same steps, in the same order, through the same functions.
 */
export async function verifyPlaybackTokenAsync(token: string, ctx: PlaybackVerifyContextAsync): Promise<Verdict<PlaybackClaims>> {
  checkClock(ctx.now, ctx.leeway, 'verifyPlaybackTokenAsync');
  const kidEnd = locateKid(token);
  if (kidEnd < 0) return malformed;
  const secret = await ctx.resolveKey(token.slice(PLAYBACK_TOKEN_PREFIX.length, kidEnd));
  if (secret === undefined) return unknownKey;
  const mac = await ctx.hmac(secret, signedPart(token));
  // Everything from here on is synchronous, so the shared scratch buffers stay safe.
  return checkMacThenClaims(token, kidEnd, mac, ctx.now, ctx.leeway);
}

/** A NaN clock would make every expiry check pass: fail closed, loudly. */
export function checkClock(now: number, leeway: number | undefined, caller: string): void {
  if (!Number.isFinite(now) || !((leeway ?? 0) >= 0)) throw new TypeError(`${caller}: now and leeway must be finite, leeway >= 0`);
}

/**
 * Step 1, structure, without allocating: length, marker, kid, exactly three dots after it.
 * Returns the index of the dot that ends the kid, or -1 for a malformed token.
 */
function locateKid(token: string): number {
  if (typeof token !== 'string' || token.length < MIN_LENGTH || token.length > MAX_PLAYBACK_TOKEN_LENGTH) return -1;
  if (!token.startsWith(PLAYBACK_TOKEN_PREFIX)) return -1;
  const kidStart = PLAYBACK_TOKEN_PREFIX.length;
  const kidEnd = token.indexOf('.', kidStart);
  const macStart = token.length - MAC_LENGTH;
  if (kidEnd < 0 || !isBase64urlText(token, kidStart, kidEnd)) return -1;
  if (token.charCodeAt(macStart - 1) !== DOT || token.indexOf('.', kidEnd + 1) !== macStart - 1 || macStart - 1 === kidEnd + 1) {
    return -1;
  }
  return kidEnd;
}

/** What the MAC covers: everything before the last dot. */
function signedPart(token: string): string {
  return token.slice(0, token.length - MAC_LENGTH - 1);
}

/** Steps 3 to 5, after the key lookup (step 2) and the HMAC: MAC in constant time, claims, expiry. */
function checkMacThenClaims(token: string, kidEnd: number, mac: Uint8Array, now: number, leeway = 0): Verdict<PlaybackClaims> {
  const macStart = token.length - MAC_LENGTH;
  if (decodeBase64urlInto(token, macStart, token.length, macScratch) !== 32 || !constantTimeEqual(mac, macScratch)) return badMac;

  // 4. Claims. The MAC vouches for them, but a key shared with a buggy minter must not crash us.
  const claims = parseClaims(token, kidEnd + 1, macStart - 1);
  if (claims === undefined) return deny('invalid_token', 'malformed playback token claims');

  // 5. Expiry: refused on or after exp (RFC 7519 §4.1.4 semantics).
  if (now >= claims.exp + leeway) return deny('token_expired', 'the playback token has expired');
  return grant(claims);
}

/*
 * Scratch buffers for decoding: on Node 20 allocating a small Uint8Array costs about as much
 * as everything else in the check but the HMAC. Sharing them is safe because verification is
 * synchronous from the MAC comparison to the claims (checkMacThenClaims): no two calls interleave.
 */
const macScratch = new Uint8Array(32);
const payloadScratch = new Uint8Array(MAX_PLAYBACK_TOKEN_LENGTH);

const malformed: Denial = Object.freeze(deny('invalid_token', 'malformed playback token'));
const unknownKey: Denial = Object.freeze(deny('invalid_token', 'unknown playback token key'));
const badMac: Denial = Object.freeze(deny('invalid_token', 'playback token signature mismatch'));

function parseClaims(token: string, start: number, end: number): PlaybackClaims | undefined {
  const length = decodeBase64urlInto(token, start, end, payloadScratch);
  const text = length < 0 ? undefined : fromUtf8(payloadScratch.subarray(0, length));
  if (text === undefined) return undefined;
  const e1 = text.indexOf(FIELD_SEPARATOR);
  const e2 = text.indexOf(FIELD_SEPARATOR, e1 + 1);
  const e3 = text.indexOf(FIELD_SEPARATOR, e2 + 1);
  const e4 = text.indexOf(FIELD_SEPARATOR, e3 + 1);
  const e5 = text.indexOf(FIELD_SEPARATOR, e4 + 1);
  if (e1 < 0 || e2 < 0 || e3 < 0 || e4 < 0 || e5 < 0 || text.indexOf(FIELD_SEPARATOR, e5 + 1) >= 0) return undefined;
  const exp = parseExp(text, e1);
  if (exp === undefined || e2 === e1 + 1 || e3 === e2 + 1) return undefined;
  return {
    sid: text.slice(e1 + 1, e2),
    titleId: text.slice(e2 + 1, e3),
    scope: text.slice(e3 + 1, e4),
    exp,
    ip: e5 === e4 + 1 ? undefined : text.slice(e4 + 1, e5),
    uaHash: e5 === text.length - 1 ? undefined : text.slice(e5 + 1),
  };
}

/** Decimal digits in text[0, end), a positive safe integer, no leading zero (one spelling per value). */
function parseExp(text: string, end: number): number | undefined {
  if (end < 1 || end > 16 || (end > 1 && text.charCodeAt(0) === 0x30)) return undefined;
  let value = 0;
  for (let i = 0; i < end; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return value === 0 || value > Number.MAX_SAFE_INTEGER ? undefined : value;
}

/** base64url characters only, 1–64 of them, in text[start, end): kids and uaHash. */
export function isBase64urlText(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_KID_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** Non-empty and free of control characters (LF is the field separator). */
export function isPlainField(value: string): boolean {
  if (typeof value !== 'string' || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}
