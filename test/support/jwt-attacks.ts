/**
 * The JWT attack corpus of FORMATS.md §8 (families 1–11) as a generator, so the same cases
 * run against the access-token codec (test/server/keys/jose-jwt-attacks.test.ts) and against
 * every route that takes an access token. It needs only a context: a token the verifier accepts, the verifier's
 * public key PEM, and a callback that signs exact text with the real key, because many
 * attacks are only meaningful with a valid signature (padding, duplicate members, BOM, crit,
 * key-injection headers: a lenient verifier would accept them).
 *
 * Size cases (family 11) may be refused by the transport before the verifier sees them
 * (header size limits); they must be refused either way.
 */
import { b64, b64json } from './jwt-attack-kit.js';
import { headerAttacks } from './jwt-attacks-header.js';
import { payloadAttacks } from './jwt-attacks-payload.js';

export interface JwtAttackContext {
  /** A token the verifier under test accepts now. */
  readonly validToken: string;
  /** Its claims: string `iss` and `aud`, numeric `exp` in the future, `sub`. */
  readonly claims: Record<string, unknown>;
  readonly kid: string;
  readonly typ: string;
  /** The algorithm of the real key. */
  readonly alg: 'EdDSA' | 'ES256';
  /** The verifier's public key as SPKI PEM — public, so an attacker has it too. */
  readonly publicKeyPem: string;
  /** Unix seconds, as the verifier sees it. */
  readonly now: number;
  /** The verifier's leeway in seconds; time cases sit just either side of the boundary. */
  readonly leeway: number;
  /** The verifier's bound on exp - iat in seconds, when it has one (the server's access-token TTL). */
  readonly maxLifetime?: number;
  /**
   * Signs the exact signing input (ASCII `header.payload`, possibly malformed) with the real
   * key and returns the raw JWS signature (64 bytes, R||S for ES256). E.g. with core:
   * `async (input) => signJwsInput(alg, privateKey, input)` (jwt-attack-kit.ts).
   */
  signRaw(signingInput: string): Promise<Uint8Array>;
}

export type JwtAttackCode = 'invalid_token' | 'token_expired';

export interface JwtAttackCase {
  /** FORMATS.md §8 family (1–11); 0 = baselines that prove the forging itself works. */
  readonly family: number;
  readonly name: string;
  readonly token: string;
  readonly expect: 'accept' | 'reject';
  /** For rejections: the verdict code the verifier must give. */
  readonly code?: JwtAttackCode;
}

/** A header or payload: an object to serialise, raw JSON text, or raw bytes. */
export type SegmentSource = Record<string, unknown> | string | Uint8Array | unknown[];

/** Token forging against one context: the real header, segments and signing. */
export class Forge {
  readonly header: Record<string, unknown>;
  readonly headerSeg: string;
  readonly payloadSeg: string;
  readonly signatureSeg: string;

  constructor(readonly ctx: JwtAttackContext) {
    const [h = '', p = '', s = ''] = ctx.validToken.split('.');
    this.header = { alg: ctx.alg, typ: ctx.typ, kid: ctx.kid };
    this.headerSeg = h;
    this.payloadSeg = p;
    this.signatureSeg = s;
  }

  segment(source: SegmentSource): string {
    return typeof source === 'string' || source instanceof Uint8Array ? b64(source) : b64json(source);
  }

  /** Signs the exact text `h.p` with the real key. */
  async signSegments(h: string, p: string): Promise<string> {
    return `${h}.${p}.${b64(await this.ctx.signRaw(`${h}.${p}`))}`;
  }

  async signed(header: SegmentSource, payload: SegmentSource): Promise<string> {
    return this.signSegments(this.segment(header), this.segment(payload));
  }

  /** The real header with changes; an `undefined` value removes the member. */
  headerWith(patch: Record<string, unknown>): Record<string, unknown> {
    return withPatch(this.header, patch);
  }

  claimsWith(patch: Record<string, unknown>): Record<string, unknown> {
    return withPatch(this.ctx.claims, patch);
  }

  /** Raw claims JSON text with the named members left out and `extra` members appended. */
  claimsText(omit: readonly string[], extra: string): string {
    const base = JSON.stringify(withPatch(this.ctx.claims, Object.fromEntries(omit.map((k) => [k, undefined]))));
    return base === '{}' ? `{${extra}}` : `${base.slice(0, -1)},${extra}}`;
  }
}

function withPatch(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function accept(family: number, name: string, token: string): JwtAttackCase {
  return { family, name, token, expect: 'accept' };
}

export function reject(family: number, name: string, token: string, code: JwtAttackCode = 'invalid_token'): JwtAttackCase {
  return { family, name, token, expect: 'reject', code };
}

export async function jwtAttackCases(ctx: JwtAttackContext): Promise<JwtAttackCase[]> {
  const forge = new Forge(ctx);
  const baselines = [
    accept(0, 'the valid token', ctx.validToken),
    accept(0, 'the valid token re-signed through signRaw', await forge.signed(forge.header, ctx.claims)),
  ];
  const cases = [...baselines, ...(await headerAttacks(forge)), ...(await payloadAttacks(forge))];
  const names = new Set(cases.map((c) => c.name));
  if (names.size !== cases.length) throw new Error('jwt attack case names must be unique');
  return cases;
}
