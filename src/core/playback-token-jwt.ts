/**
 * The JWT form of the playback token (TOLLGATE_PLAYBACK_TOKEN_FORMAT=jwt), for edges and
 * players that validate JWTs: the token the secure-token article shows (HS256; video id,
 * expiry, address, user agent) plus Tollgate's session id and path scope. It binds exactly
 * what the compact token (playback-token.ts) binds and is signed with the same rotating
 * playback keys, `kid` in the header.
 *
 * Threats, beyond the compact token's: the JWT family's own (RFC 8725) — `alg: none` or
 * another algorithm, header parameters that pick a key (`jku`, `jwk`, `x5u`, `crit`), several
 * spellings of one token (duplicate JSON members, non-canonical base64url, invalid UTF-8) —
 * and confusion with Tollgate's other JWTs. So the header must be exactly {alg: "HS256", typ:
 * "tollgate-playback+jwt", kid} (alg pinned, typ distinct from the access token's, which is
 * EdDSA/ES256 under its own keys), the claims exactly the ones below, each of one type and
 * one canonical spelling, and the checks run cheap-first like the compact ones: structure and
 * header → kid lookup → MAC in constant time → claims → expiry; bindings by checkBindings.
 *
 *   header  {"alg":"HS256","typ":"tollgate-playback+jwt","kid":"<playback kid>"}
 *   claims  sid       the playback session (the gateway checks it is alive)
 *           video_id  the title
 *           scope     path prefix under the title, '' = the whole title
 *           exp, iat  Unix seconds, integers, iat <= exp
 *           ip        optional: the address or masked network the token is bound to
 *           ua_hash   optional: hashUserAgent(user agent)
 */
import { decodeBase64url, decodeBase64urlInto, encodeBase64url, fromUtf8, utf8 } from './base64url.js';
import { deny, grant, type Denial, type Verdict } from './errors.js';
import { normalizeScope } from './playback-token-bindings.js';
import { constantTimeEqual, type HmacSha256 } from './playback-token-crypto.js';
import { formatIpNetwork, parseIpNetwork } from './playback-token-ip.js';
import {
  canonicalPlaybackClaims,
  checkClock,
  isBase64urlText,
  isPlainField,
  MAX_PLAYBACK_TOKEN_LENGTH,
  type PlaybackClaims,
  type PlaybackKey,
  type PlaybackTokenInput,
  type PlaybackVerifyContext,
  type PlaybackVerifyContextAsync,
  withMac,
} from './playback-token.js';
import { parseStrictJson } from './strict-json.js';

export const PLAYBACK_JWT_TYP = 'tollgate-playback+jwt';
const MAC_LENGTH = 43; // base64url of 32 bytes
const HEADER_MEMBERS = ['alg', 'typ', 'kid'];
const REQUIRED_CLAIMS = ['sid', 'video_id', 'scope', 'exp', 'iat'];
const OPTIONAL_CLAIMS = ['ip', 'ua_hash'];

/** Mints the JWT form; iat is the issue time (Unix seconds). Throws TypeError on claims the verifier would refuse. */
export function mintPlaybackJwt(claims: PlaybackTokenInput, key: PlaybackKey, iat: number, hmac: HmacSha256): string {
  const c = canonicalPlaybackClaims(claims, key, 'mintPlaybackJwt');
  if (!Number.isSafeInteger(iat) || iat <= 0 || iat > c.exp) throw new TypeError('mintPlaybackJwt: iat must be a positive integer, not after exp');
  const header = { alg: 'HS256', typ: PLAYBACK_JWT_TYP, kid: key.kid };
  const payload = {
    sid: c.sid,
    video_id: c.titleId,
    scope: c.scope,
    exp: c.exp,
    iat,
    ...(c.ip !== undefined ? { ip: c.ip } : {}),
    ...(c.uaHash !== undefined ? { ua_hash: c.uaHash } : {}),
  };
  const signed = `${encodeBase64url(utf8(JSON.stringify(header)))}.${encodeBase64url(utf8(JSON.stringify(payload)))}`;
  return withMac(signed, key, hmac, 'mintPlaybackJwt');
}

/** The kid of a well-formed playback JWT's header, or undefined: what a key lookup needs first. */
export function playbackJwtKid(token: string): string | undefined {
  const parts = locateParts(token);
  return 'kid' in parts ? parts.kid : undefined;
}

/** Verifies a playback JWT: header, MAC, claims, expiry. Never throws on any input (only on a broken context). */
export function verifyPlaybackJwt(token: string, ctx: PlaybackVerifyContext): Verdict<PlaybackClaims> {
  checkClock(ctx.now, ctx.leeway, 'verifyPlaybackJwt');
  const parts = locateParts(token);
  if (!('kid' in parts)) return parts;
  const secret = ctx.resolveKey(parts.kid);
  if (secret === undefined) return unknownKey;
  return checkMacThenClaims(token, parts, ctx.hmac(secret, token.slice(0, parts.macStart - 1)), ctx.now, ctx.leeway);
}

/** verifyPlaybackJwt with an async HMAC and key lookup (WebCrypto at the edge): the same steps. */
export async function verifyPlaybackJwtAsync(token: string, ctx: PlaybackVerifyContextAsync): Promise<Verdict<PlaybackClaims>> {
  checkClock(ctx.now, ctx.leeway, 'verifyPlaybackJwtAsync');
  const parts = locateParts(token);
  if (!('kid' in parts)) return parts;
  const secret = await ctx.resolveKey(parts.kid);
  if (secret === undefined) return unknownKey;
  return checkMacThenClaims(token, parts, await ctx.hmac(secret, token.slice(0, parts.macStart - 1)), ctx.now, ctx.leeway);
}

interface JwtParts {
  readonly kid: string;
  readonly payloadStart: number;
  readonly macStart: number;
}

/** Structure and header: three segments, a MAC of the right length, the one header Tollgate writes. */
function locateParts(token: string): JwtParts | Denial {
  if (typeof token !== 'string' || token.length > MAX_PLAYBACK_TOKEN_LENGTH) return malformed;
  const headerEnd = token.indexOf('.');
  const macStart = token.length - MAC_LENGTH;
  if (headerEnd < 1 || token.charCodeAt(macStart - 1) !== 0x2e || token.indexOf('.', headerEnd + 1) !== macStart - 1 || macStart - 1 === headerEnd + 1) {
    return malformed;
  }
  const header = jsonObject(token.slice(0, headerEnd));
  if (header === undefined || !hasExactly(header, HEADER_MEMBERS, [])) return badHeader;
  const kid = header.kid;
  if (header.alg !== 'HS256' || header.typ !== PLAYBACK_JWT_TYP || typeof kid !== 'string' || !isBase64urlText(kid, 0, kid.length)) return badHeader;
  return { kid, payloadStart: headerEnd + 1, macStart };
}

function checkMacThenClaims(token: string, parts: JwtParts, mac: Uint8Array, now: number, leeway = 0): Verdict<PlaybackClaims> {
  if (decodeBase64urlInto(token, parts.macStart, token.length, macScratch) !== 32 || !constantTimeEqual(mac, macScratch)) return badMac;
  const claims = readClaims(jsonObject(token.slice(parts.payloadStart, parts.macStart - 1)));
  if (claims === undefined) return deny('invalid_token', 'malformed playback token claims');
  if (claims.iat > now + leeway) return deny('invalid_token', `playback token issued in the future, by more than the ${leeway} s leeway (clock skew between servers?)`);
  if (now >= claims.exp + leeway) return deny('token_expired', 'the playback token has expired');
  const { iat: _iat, ...playback } = claims;
  return grant(playback);
}

/** The claims, each of its one type and canonical spelling (as mintPlaybackJwt writes them), or undefined. */
function readClaims(c: Record<string, unknown> | undefined): (PlaybackClaims & { iat: number }) | undefined {
  if (c === undefined || !hasExactly(c, REQUIRED_CLAIMS, OPTIONAL_CLAIMS)) return undefined;
  const { sid, video_id: titleId, scope, exp, iat, ip, ua_hash: uaHash } = c;
  if (typeof sid !== 'string' || !isPlainField(sid) || typeof titleId !== 'string' || !isPlainField(titleId)) return undefined;
  if (typeof scope !== 'string' || normalizeScope(scope) !== scope) return undefined;
  if (!isUnixSeconds(exp) || !isUnixSeconds(iat) || iat > exp) return undefined;
  if (ip !== undefined && (typeof ip !== 'string' || canonicalNetwork(ip) !== ip)) return undefined;
  if (uaHash !== undefined && (typeof uaHash !== 'string' || !isBase64urlText(uaHash, 0, uaHash.length))) return undefined;
  return { sid, titleId, scope, exp, iat, ...(ip !== undefined ? { ip } : {}), ...(uaHash !== undefined ? { uaHash } : {}) };
}

function canonicalNetwork(ip: string): string | undefined {
  const net = parseIpNetwork(ip);
  return net === undefined ? undefined : formatIpNetwork(net);
}

function isUnixSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Every required member, optional ones, nothing else. */
function hasExactly(object: Record<string, unknown>, required: readonly string[], optional: readonly string[]): boolean {
  const names = Object.keys(object);
  return required.every((name) => Object.hasOwn(object, name)) && names.every((name) => required.includes(name) || optional.includes(name));
}

/** Canonical base64url of strict UTF-8 (no BOM) of strict JSON (no duplicate members) of an object. */
function jsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64url(segment);
  const text = bytes === undefined ? undefined : fromUtf8(bytes);
  if (text === undefined || text.charCodeAt(0) === 0xfeff) return undefined;
  const parsed = parseStrictJson(text, 2);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) return undefined;
  return parsed.value as Record<string, unknown>;
}

/** Safe to share: checkMacThenClaims is synchronous from the decode to the comparison. */
const macScratch = new Uint8Array(32);

const malformed: Denial = Object.freeze(deny('invalid_token', 'malformed playback token'));
const badHeader: Denial = Object.freeze(deny('invalid_token', 'playback token header is not {alg: HS256, typ: tollgate-playback+jwt, kid}'));
const unknownKey: Denial = Object.freeze(deny('invalid_token', 'unknown playback token key'));
const badMac: Denial = Object.freeze(deny('invalid_token', 'playback token signature mismatch'));
