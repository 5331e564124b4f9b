/**
 * The FORMATS.md §8 corpus against joseJwt (jose behind Tollgate's strict rules), under single- and multi-algorithm verifiers,
 * with and without leeway. A recording fetch proves no key is ever fetched, and a recording
 * resolveKey proves keys are only looked up by the header's own kid.
 */
import { createPublicKey, createSecretKey, randomBytes, verify, X509Certificate, type JsonWebKey } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { utf8 } from '../../../src/core/base64url.js';
import type { JwtAlgorithm, JwtKey } from '../../../src/core/jwt.js';
import { joseJwt } from '../../../src/server/keys/jose-jwt.js';
import { generateAccessKeyPair } from '../../../src/server/keys/jwt-crypto.js';
import { attackerKey, attackerSign, rawEcdsaToDer, signJwsInput } from '../../support/jwt-attack-kit.js';
import { jwtAttackCases, type JwtAttackContext } from '../../support/jwt-attacks.js';

const NOW = 1_750_000_000;
const ISSUER = 'https://tollgate.example';
const AUDIENCE = 'tollgate-api';
const TYP = 'at+jwt';

interface Setup {
  readonly label: string;
  readonly alg: 'EdDSA' | 'ES256';
  readonly algorithms: readonly JwtAlgorithm[];
  readonly leeway: number;
}

const SETUPS: Setup[] = [
  { label: 'EdDSA only, no leeway', alg: 'EdDSA', algorithms: ['EdDSA'], leeway: 0 },
  { label: 'ES256 only, no leeway', alg: 'ES256', algorithms: ['ES256'], leeway: 0 },
  { label: 'EdDSA among all algorithms, 30 s leeway', alg: 'EdDSA', algorithms: ['EdDSA', 'ES256', 'HS256'], leeway: 30 },
  { label: 'ES256 among all algorithms, 30 s leeway', alg: 'ES256', algorithms: ['EdDSA', 'ES256', 'HS256'], leeway: 30 },
];

async function prepare(setup: Setup) {
  const pair = generateAccessKeyPair(setup.alg);
  const signingKey: JwtKey = { kid: `access-${setup.alg}`, alg: setup.alg, key: pair.privateKey };
  // The verifier also holds keys of the other kinds, so substitution attempts find a key.
  const other = generateAccessKeyPair(setup.alg === 'EdDSA' ? 'ES256' : 'EdDSA');
  const keys = new Map<string, JwtKey>([
    [signingKey.kid, { kid: signingKey.kid, alg: setup.alg, key: pair.publicKey }],
    ['access-other', { kid: 'access-other', alg: setup.alg === 'EdDSA' ? 'ES256' : 'EdDSA', key: other.publicKey }],
    ['playback-1', { kid: 'playback-1', alg: 'HS256', key: createSecretKey(randomBytes(32)) }],
  ]);
  const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'user-42', iat: NOW - 10, exp: NOW + 600 };
  const ctx: JwtAttackContext = {
    validToken: await joseJwt.sign({ typ: TYP, key: signingKey }, claims),
    claims,
    kid: signingKey.kid,
    typ: TYP,
    alg: setup.alg,
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    now: NOW,
    leeway: setup.leeway,
    signRaw: async (input) => signJwsInput(setup.alg, pair.privateKey, input),
  };
  return { setup, keys, ctx, cases: await jwtAttackCases(ctx) };
}

const prepared = await Promise.all(SETUPS.map(prepare));

/** The header's kid as a lenient reader would see it, to compare with resolveKey's calls. */
function headerKid(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')).kid;
  } catch {
    return undefined;
  }
}

/** What each family's refusals must be about, so no case passes by failing for another reason. */
const FAMILY_DETAIL: Record<number, RegExp> = {
  1: /alg/,
  2: /alg|signature/,
  3: /kid|alg|too long/,
  4: /jku|jwk|x5u|x5c|alg/,
  5: /crit/,
  6: /signature|base64url/,
  7: /exp|nbf|iat|expired|valid/,
  8: /aud|iss|typ/,
  9: /JSON|UTF-8|byte order/,
  10: /base64url|segments|missing/,
  11: /too long/,
};

let fetchCalls: unknown[][] = [];
beforeEach(() => {
  fetchCalls = [];
  vi.stubGlobal('fetch', (...args: unknown[]) => {
    fetchCalls.push(args);
    return Promise.reject(new Error('no network in tests'));
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe.each(prepared)('JWT attack corpus: $setup.label', ({ setup, keys, ctx, cases }) => {
  it('covers every attack family of FORMATS.md §8', () => {
    expect(new Set(cases.map((c) => c.family))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
  });

  it.each(cases)('[$family] $name → $expect', async (attack) => {
    const lookups: string[] = [];
    const verdict = await joseJwt.verify(attack.token, {
      typ: TYP,
      algorithms: setup.algorithms,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: ctx.now,
      leeway: setup.leeway,
      resolveKey: (kid) => {
        lookups.push(kid);
        return keys.get(kid);
      },
    });
    if (attack.expect === 'accept') {
      expect(verdict).toMatchObject({ ok: true, value: { header: { kid: ctx.kid } } });
    } else {
      expect(verdict).toMatchObject({ ok: false, code: attack.code });
      if (!verdict.ok) {
        expect(verdict.detail).toMatch(FAMILY_DETAIL[attack.family]!);
        expect(verdict.detail).not.toContain(ctx.kid); // details never echo token content
      }
    }
    expect(fetchCalls).toEqual([]);
    for (const kid of lookups) expect(kid).toBe(headerKid(attack.token));
    if (attack.family === 4) expect(lookups).toEqual([]); // injected key sources are refused before any lookup
  });
});

describe('attack kit builds what it claims', () => {
  it('self-signed x5c certificates parse and verify under the attacker key', () => {
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      const key = attackerKey(alg);
      const cert = new X509Certificate(Buffer.from(key.x5c, 'base64'));
      expect(cert.subject).toContain('attacker.example');
      expect(cert.verify(key.publicKey)).toBe(true);
      expect(createPublicKey({ key: key.jwk as JsonWebKey, format: 'jwk' }).equals(key.publicKey)).toBe(true);
    }
  });

  it('the DER re-encoding of an ES256 signature is a valid DER signature', () => {
    const key = attackerKey('ES256');
    const raw = attackerSign(key, 'a.b');
    expect(raw.length).toBe(64);
    expect(verify('sha256', utf8('a.b'), { key: key.publicKey, dsaEncoding: 'der' }, rawEcdsaToDer(raw))).toBe(true);
  });
});
