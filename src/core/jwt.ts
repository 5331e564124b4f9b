/**
 * JWS compact tokens (RFC 7515, RFC 7519) for Tollgate's own access tokens and entitlement
 * messages: the shared vocabulary and the port that signs and verifies them. Threat: a token
 * whose header lets its bearer choose how it is checked (algorithm substitution, RFC 8725
 * §2.1; key injection, §3.10). So the signer writes the fixed header {alg, typ, kid} and
 * nothing else, and the verifier takes the algorithm and key only from its own configuration.
 * The codec itself is `jose` behind this port (src/server/keys/jose-jwt.ts), injected, so
 * this module stays standard JS. Playback tokens have their own codec (playback-token-jwt.ts).
 */
import type { Verdict } from './errors.js';

export type JwtAlgorithm = 'EdDSA' | 'ES256' | 'HS256';

const JWT_ALGORITHMS: readonly string[] = ['EdDSA', 'ES256', 'HS256'] satisfies JwtAlgorithm[];

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && JWT_ALGORITHMS.includes(value);
}

/** A key bound to exactly one algorithm, so a header can never pick another use of it. */
export interface JwtKey {
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  /** An opaque runtime handle: a KeyObject in the server. */
  readonly key: unknown;
}

const MAX_KID_LENGTH = 128;

/**
 * Key ids are Tollgate's own short labels: visible ASCII only. Anything else (NUL, path or
 * SQL fragments with spaces, objects, 100 000 chars) never reaches a key lookup.
 */
export function isValidKid(kid: unknown): kid is string {
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return false;
  for (let i = 0; i < kid.length; i++) {
    const c = kid.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

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

/**
 * Signs and verifies Tollgate's JWTs. `sign` writes the header {alg, typ, kid} and throws only
 * on a misconfigured key. `verify` answers `token_expired` for an expired token and
 * `invalid_token` for everything else, with a detail that names the fault and never echoes
 * token content; it throws only on a broken option (a NaN clock).
 */
export interface JwtCodec {
  sign(opts: { readonly typ: string; readonly key: JwtKey }, claims: Record<string, unknown>): Promise<string>;
  verify(token: string, opts: VerifyOptions): Promise<Verdict<VerifiedJwt>>;
}
