/**
 * Access tokens and entitlement messages on jose (RFC 7515/7519), behind core's JwtCodec
 * port. jose verifies the signature with the key our resolver finds by `kid` (so rotation
 * works: any key the ring still holds), enforces the algorithm allow-list, and checks exp,
 * nbf, iss and aud with the clock leeway. Tollgate's stricter rules run first
 * (jws-strict.ts, each one with the reason jose does not cover it), and two time rules jose
 * has no option for run after it: iat at most the leeway ahead, and exp - iat bounded.
 * Threat beyond the token: a key used with the wrong algorithm (HS256 keyed with a public
 * key, a short HMAC secret, a key of another curve); keyFor throws on that, since it is a
 * configuration bug, never a token to accept.
 */
import { KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { deny, grant, type Denial } from '../../core/errors.js';
import { isJwtAlgorithm, isValidKid, type JwtAlgorithm, type JwtCodec, type VerifyOptions } from '../../core/jwt.js';
import { checkStrictJws, isNumericDate } from './jws-strict.js';

/** RFC 8725 §3.5 / RFC 7518 §3.2: an HS256 key has at least the hash's 256 bits. */
const MIN_HMAC_KEY_BYTES = 32;

/** A refusal decided inside jose's key resolver, carried out through jose's promise. */
class KeyRefusal extends Error {}

export const joseJwt: JwtCodec = {
  async sign({ typ, key }, claims) {
    // A token the verifier would refuse is a configuration error; fail loudly at issue time.
    if (!isJwtAlgorithm(key.alg)) throw new TypeError('sign: unsupported alg');
    if (!isValidKid(key.kid)) throw new TypeError('sign: kid must be 1-128 visible ASCII characters');
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ, kid: key.kid }).sign(keyFor(key.alg, key.key, 'sign'));
  },

  async verify(token, opts) {
    // A NaN clock or negative leeway would make expiry checks pass silently: fail closed.
    if (!Number.isFinite(opts.now) || !(opts.leeway >= 0)) throw new TypeError('verify: now and leeway must be finite, leeway >= 0');
    const strict = checkStrictJws(token, opts);
    if (typeof strict === 'string') return invalid(strict);
    const { alg, kid } = strict.header;
    try {
      await jwtVerify(
        token,
        async () => {
          const key = await opts.resolveKey(kid);
          if (key === undefined) throw new KeyRefusal('unknown kid');
          // A key serves one algorithm: an HS256 header never meets an EdDSA/ES256 public key.
          if (key.kid !== kid || key.alg !== alg) throw new KeyRefusal('alg does not match the key');
          return keyFor(alg, key.key, 'verify');
        },
        {
          algorithms: [...opts.algorithms],
          issuer: opts.issuer,
          audience: opts.audience,
          clockTolerance: opts.leeway,
          currentDate: new Date(opts.now * 1000),
          // Access tokens must end: a token without exp is refused, not treated as eternal.
          requiredClaims: ['exp'],
        },
      );
    } catch (error) {
      return refusal(error, opts.leeway);
    }
    return checkIssuedAt(strict.claims, opts) ?? grant(strict);
  },
};

function invalid(detail: string): Denial {
  return deny('invalid_token', detail);
}

/** jose's errors as Tollgate's verdicts; anything else (a misconfigured key) is a bug and rethrown. */
function refusal(error: unknown, leeway: number): Denial {
  if (error instanceof KeyRefusal) return invalid(error.message);
  if (error instanceof errors.JWTExpired) return deny('token_expired', 'token expired');
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('signature is invalid');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return invalid(`token not yet valid, by more than the ${leeway} s leeway (clock skew between servers?)`);
    return invalid(error.claim === 'exp' ? 'exp missing or not a number' : `${error.claim} missing or wrong`);
  }
  if (error instanceof errors.JOSEError) return invalid('token is malformed');
  throw error;
}

/** The iat rules jose checks only together with a maximum age, which is not this rule. */
function checkIssuedAt(claims: Record<string, unknown>, opts: VerifyOptions): Denial | undefined {
  const { iat, exp } = claims;
  if (iat === undefined && opts.maxLifetime === undefined) return undefined;
  if (!isNumericDate(iat)) return invalid('iat missing or not a number');
  if (iat > opts.now + opts.leeway) return invalid(`iat in the future, by more than the ${opts.leeway} s leeway (clock skew between servers?)`);
  // jose has required exp; jws-strict.ts has made it a finite number.
  if (opts.maxLifetime !== undefined && (exp as number) - iat > opts.maxLifetime + opts.leeway) return invalid('token lifetime longer than allowed');
  return undefined;
}

function keyFor(alg: JwtAlgorithm, key: unknown, use: 'sign' | 'verify'): KeyObject {
  if (!(key instanceof KeyObject)) throw new TypeError(`${alg}: key must be a KeyObject`);
  const fits =
    alg === 'HS256'
      ? key.type === 'secret' && (key.symmetricKeySize ?? 0) >= MIN_HMAC_KEY_BYTES
      : key.type === (use === 'sign' ? 'private' : 'public') &&
        (alg === 'EdDSA'
          ? key.asymmetricKeyType === 'ed25519'
          : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1');
  if (!fits) throw new TypeError(`${alg}: key does not fit the algorithm`);
  return key;
}
