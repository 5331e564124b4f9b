/**
 * The rules Tollgate keeps in front of jose (jose-jwt.ts), because jose is lenient where an
 * attacker profits from leniency (RFC 8725, FORMATS.md §8). Each check says what jose does:
 * - size: jose has no bound; a huge token would be decoded and parsed.
 * - encoding: jose's base64url decoder (atob on Node 20) forgives padding, whitespace and
 *   stray trailing bits, and its JSON.parse keeps the last of duplicate members
 *   (`{"sub":"a","sub":"admin"}`) and any depth of nesting, so one signed text could mean two
 *   things; here there is one encoding only.
 * - `typ`: jose compares it case-insensitively with an implied `application/`; here it is exact.
 * - `crit`: jose understands `b64` (RFC 7797 unencoded payloads) and cannot be told not to.
 * - `jku`/`jwk`/`x5u`/`x5c`: jose ignores them (it takes the key we give it); they are refused
 *   so a token that asks for key injection never passes anywhere as valid.
 * - `kid`: only a short visible-ASCII label reaches the key ring.
 * - signature: exact length (ES256 as raw R||S, never DER), and ECDSA r = 0 or s = 0
 *   (CVE-2022-21449) refused before any runtime sees it.
 * - NumericDates: jose takes any JSON number, so `exp: 1e400` (Infinity) would never expire.
 * - `aud`: jose accepts an array with non-string members as long as one matches.
 */
import { decodeBase64url, fromUtf8 } from '../../core/base64url.js';
import { isJwtAlgorithm, isValidKid, type JwtAlgorithm, type VerifyOptions } from '../../core/jwt.js';
import { parseStrictJson } from '../../core/strict-json.js';

const DEFAULT_MAX_LENGTH = 8192;
/** Headers are flat and claims shallow; deeper input is an attack on the parser. */
const MAX_JSON_DEPTH = 32;
/** Header parameters that point at keys elsewhere: never fetched, never trusted, refused. */
const KEY_SOURCE_PARAMS = ['jku', 'jwk', 'x5u', 'x5c'] as const;
const SIGNATURE_BYTES: Readonly<Record<JwtAlgorithm, number>> = { EdDSA: 64, ES256: 64, HS256: 32 };
const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;

export interface StrictJws {
  readonly header: Record<string, unknown> & { readonly alg: JwtAlgorithm; readonly kid: string };
  readonly claims: Record<string, unknown>;
}

/** The token's header and claims if it passes every rule above, else the fault. */
export function checkStrictJws(token: string, opts: VerifyOptions): StrictJws | string {
  if (typeof token !== 'string' || token.length === 0) return 'token missing';
  if (token.length > (opts.maxLength ?? DEFAULT_MAX_LENGTH)) return 'token too long';
  const segments = token.split('.');
  if (segments.length !== 3) return 'token must have exactly three segments';
  const [headerBytes, payloadBytes, signature] = segments.map(decodeBase64url);
  if (!headerBytes || !payloadBytes || !signature) return 'segment is not canonical unpadded base64url';

  const header = parseJsonObject(headerBytes);
  if (typeof header === 'string') return `header ${header}`;
  const { alg, kid } = header;
  // isJwtAlgorithm also holds if a caller smuggles 'none' into `algorithms` past the types.
  if (!isJwtAlgorithm(alg) || !opts.algorithms.includes(alg)) return 'alg missing or not allowed';
  if (header.typ !== opts.typ) return 'typ missing or wrong';
  if (Object.hasOwn(header, 'crit')) return 'crit not supported';
  for (const name of KEY_SOURCE_PARAMS) if (Object.hasOwn(header, name)) return `${name} not accepted`;
  if (!isValidKid(kid)) return 'kid missing or malformed';
  if (signature.length !== SIGNATURE_BYTES[alg]) return 'signature has the wrong length';
  if (alg === 'ES256' && (allZero(signature.subarray(0, 32)) || allZero(signature.subarray(32)))) return 'signature is invalid';

  const claims = parseJsonObject(payloadBytes);
  if (typeof claims === 'string') return `payload ${claims}`;
  for (const name of TIME_CLAIMS) {
    if (claims[name] !== undefined && !isNumericDate(claims[name])) return `${name} not a number`;
  }
  const { aud } = claims;
  if (Array.isArray(aud) && !aud.every((a) => typeof a === 'string')) return 'aud missing or wrong';
  return { header: { ...header, alg, kid }, claims };
}

/** RFC 7519 §2 NumericDate: a JSON number; fractions allowed, strings and Infinity (1e400) not. */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Strict UTF-8 (no U+FFFD substitution), no BOM, strict JSON, and an object at the top. */
function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | string {
  const text = fromUtf8(bytes);
  if (text === undefined) return 'is not valid UTF-8';
  if (text.charCodeAt(0) === 0xfeff) return 'starts with a byte order mark';
  const parsed = parseStrictJson(text, MAX_JSON_DEPTH);
  if (!parsed.ok) return `is not strict JSON (${parsed.reason})`;
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  return value as Record<string, unknown>;
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}
