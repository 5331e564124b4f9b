/**
 * Strict JWS/JWT verification for Tollgate's own tokens. Threats (RFC 8725, FORMATS.md §8):
 * `alg: none` and algorithm substitution (HS256 keyed with a public key), key injection and
 * SSRF through `jku`/`jwk`/`x5u`/`x5c`, `kid` injection (paths, SQL, NUL), ignored `crit`,
 * ECDSA r=s=0 (CVE-2022-21449), several encodings of one token (padding, `+/`, whitespace,
 * non-canonical bits, duplicate JSON members, invalid UTF-8), cross-token confusion (`typ`,
 * `iss`, `aud`) and resource exhaustion (huge or deeply nested input).
 *
 * Checked cheap-first, stopping at the first failure: size → structure → encoding → header
 * → key → signature → claims. An expired token answers `token_expired`, everything else
 * `invalid_token`, with a detail that names the fault and never echoes token content.
 */
import { decodeBase64url, fromUtf8, utf8 } from './base64url.js';
import { deny, grant, type Denial, type Verdict } from './errors.js';
import { isJwtAlgorithm, isValidKid, SIGNATURE_BYTES, type JwtAlgorithm, type JwtCrypto, type JwtKey } from './jwt.js';
import { parseStrictJson } from './strict-json.js';

export interface VerifyOptions {
  /** Required header `typ`, compared exactly (RFC 8725 §3.11: one token kind per verifier). */
  readonly typ: string;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly issuer: string;
  readonly audience: string;
  /** Unix seconds. */
  readonly now: number;
  /** Seconds of clock skew tolerated on exp, nbf and iat; keep it small. */
  readonly leeway: number;
  /**
   * Seconds a token may live (exp - iat), beyond the leeway; when set, iat is required. A
   * validly signed token claiming a longer life (a signing bug, a key used elsewhere) is refused.
   */
  readonly maxLifetime?: number;
  /** Default 8192 characters; checked before anything else is parsed. */
  readonly maxLength?: number;
  /** The only way a key is found: by the header's `kid`, from keys the service holds. */
  resolveKey(kid: string): JwtKey | undefined | Promise<JwtKey | undefined>;
}

export interface VerifiedJwt {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

const DEFAULT_MAX_LENGTH = 8192;
/** Headers are flat and claims shallow; deeper input is an attack on the parser. */
const MAX_JSON_DEPTH = 32;
/** Header parameters that point at keys elsewhere: never fetched, never trusted, refused. */
const KEY_SOURCE_PARAMS = ['jku', 'jwk', 'x5u', 'x5c'] as const;

export async function verifyJwt(token: string, opts: VerifyOptions, crypto: JwtCrypto): Promise<Verdict<VerifiedJwt>> {
  // A NaN clock or negative leeway would make expiry checks pass silently: fail closed.
  if (!Number.isFinite(opts.now) || !(opts.leeway >= 0)) {
    throw new TypeError('verifyJwt: now and leeway must be finite, leeway >= 0');
  }
  if (typeof token !== 'string' || token.length === 0) return invalid('token missing');
  if (token.length > (opts.maxLength ?? DEFAULT_MAX_LENGTH)) return invalid('token too long');

  const segments = token.split('.');
  if (segments.length !== 3) return invalid('token must have exactly three segments');
  const [headerText, payloadText, signatureText] = segments as [string, string, string];
  const headerBytes = decodeBase64url(headerText);
  const payloadBytes = decodeBase64url(payloadText);
  const signature = decodeBase64url(signatureText);
  if (!headerBytes || !payloadBytes || !signature) return invalid('segment is not canonical unpadded base64url');

  const header = parseJsonObject(headerBytes);
  if (typeof header === 'string') return invalid(`header ${header}`);
  const alg = header.alg;
  // isJwtAlgorithm also holds if a caller smuggles 'none' into `algorithms` past the types.
  if (!isJwtAlgorithm(alg) || !opts.algorithms.includes(alg)) return invalid('alg missing or not allowed');
  if (header.typ !== opts.typ) return invalid('typ missing or wrong');
  // No extension is understood, so any `crit` must be refused (RFC 7515 §4.1.11).
  if (Object.hasOwn(header, 'crit')) return invalid('crit not supported');
  for (const name of KEY_SOURCE_PARAMS) if (Object.hasOwn(header, name)) return invalid(`${name} not accepted`);
  const kid = header.kid;
  if (!isValidKid(kid)) return invalid('kid missing or malformed');

  if (signature.length !== SIGNATURE_BYTES[alg]) return invalid('signature has the wrong length');
  // r = 0 or s = 0 must never verify; refuse it here in case a runtime's ECDSA forgets to.
  if (alg === 'ES256' && (allZero(signature.subarray(0, 32)) || allZero(signature.subarray(32)))) {
    return invalid('signature is invalid');
  }
  const key = await opts.resolveKey(kid);
  if (key === undefined) return invalid('unknown kid');
  // A key serves one algorithm: an HS256 header never meets an EdDSA/ES256 public key.
  if (key.kid !== kid || key.alg !== alg) return invalid('alg does not match the key');
  if (!(await crypto.verify(alg, key.key, utf8(`${headerText}.${payloadText}`), signature))) {
    return invalid('signature is invalid');
  }

  const claims = parseJsonObject(payloadBytes);
  if (typeof claims === 'string') return invalid(`payload ${claims}`);
  const timeFault = checkTime(claims, opts.now, opts.leeway) ?? checkLifetime(claims, opts.maxLifetime, opts.leeway);
  if (timeFault) return timeFault;
  if (claims.iss !== opts.issuer) return invalid('iss missing or wrong');
  if (!audienceMatches(claims.aud, opts.audience)) return invalid('aud missing or wrong');
  return grant({ header, claims });
}

function invalid(detail: string): Denial {
  return deny('invalid_token', detail);
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

/** RFC 7519 §2 NumericDate: a JSON number; fractions allowed, strings and Infinity (1e400) not. */
function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function checkTime(claims: Record<string, unknown>, now: number, leeway: number): Denial | undefined {
  const { exp, nbf, iat } = claims;
  // Access tokens must end: a token without exp is refused, not treated as eternal.
  if (!isNumericDate(exp)) return invalid('exp missing or not a number');
  // "On or after" exp it is expired (RFC 7519 §4.1.4).
  if (now >= exp + leeway) return deny('token_expired', 'token expired');
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) return invalid('nbf not a number');
    if (now + leeway < nbf) return invalid(`token not yet valid, by more than the ${leeway} s leeway (clock skew between servers?)`);
  }
  if (iat !== undefined) {
    if (!isNumericDate(iat)) return invalid('iat not a number');
    if (iat > now + leeway) return invalid(`iat in the future, by more than the ${leeway} s leeway (clock skew between servers?)`);
  }
  return undefined;
}

function checkLifetime(claims: Record<string, unknown>, maxLifetime: number | undefined, leeway: number): Denial | undefined {
  if (maxLifetime === undefined) return undefined;
  const { exp, iat } = claims;
  if (!isNumericDate(iat)) return invalid('iat missing or not a number');
  // checkTime has already required exp to be a NumericDate.
  if ((exp as number) - iat > maxLifetime + leeway) return invalid('token lifetime longer than allowed');
  return undefined;
}

function audienceMatches(aud: unknown, audience: string): boolean {
  if (typeof aud === 'string') return aud === audience;
  return Array.isArray(aud) && aud.every((a) => typeof a === 'string') && aud.includes(audience);
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}
