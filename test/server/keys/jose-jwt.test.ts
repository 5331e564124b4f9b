/**
 * joseJwt behaviour beyond the attack corpus (jose-jwt-attacks.test.ts): round trips, key
 * lookup by kid only, key/alg binding, base64url strictness, bounds, misconfiguration.
 */
import { createSecretKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url, utf8 } from '../../../src/core/base64url.js';
import type { JwtAlgorithm, JwtKey, VerifyOptions } from '../../../src/core/jwt.js';
import { joseJwt } from '../../../src/server/keys/jose-jwt.js';
import { generateAccessKeyPair } from '../../../src/server/keys/jwt-crypto.js';
import { signJwsInput } from '../../support/jwt-attack-kit.js';

const NOW = 1_750_000_000;
const CLAIMS = { iss: 'https://tollgate.example', aud: 'tollgate-api', sub: 'user-42', iat: NOW, exp: NOW + 600 };

interface Keyring {
  readonly signing: JwtKey;
  readonly verifying: JwtKey;
}

function keyring(alg: JwtAlgorithm, kid = `k-${alg}`): Keyring {
  if (alg === 'HS256') {
    const secret = createSecretKey(randomBytes(32));
    return { signing: { kid, alg, key: secret }, verifying: { kid, alg, key: secret } };
  }
  const pair = generateAccessKeyPair(alg);
  return { signing: { kid, alg, key: pair.privateKey }, verifying: { kid, alg, key: pair.publicKey } };
}

/** Verify options over a set of verifying keys, recording every resolveKey call. */
function options(keys: JwtKey[], over: Partial<VerifyOptions> = {}): VerifyOptions & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    typ: 'at+jwt',
    algorithms: ['EdDSA', 'ES256', 'HS256'],
    issuer: CLAIMS.iss,
    audience: CLAIMS.aud,
    now: NOW,
    leeway: 0,
    resolveKey: (kid) => {
      lookups.push(kid);
      return keys.find((k) => k.kid === kid);
    },
    ...over,
    lookups,
  };
}

const sign = (ring: Keyring, claims: Record<string, unknown> = CLAIMS): Promise<string> =>
  joseJwt.sign({ typ: 'at+jwt', key: ring.signing }, claims);

/** Re-signs exact (possibly malformed) segment text with the real key. */
async function resign(ring: Keyring, h: string, p: string): Promise<string> {
  return `${h}.${p}.${encodeBase64url(signJwsInput(ring.signing.alg, ring.signing.key as KeyObject, `${h}.${p}`))}`;
}

describe('round trip', () => {
  it.each(['EdDSA', 'ES256', 'HS256'] as const)('%s: signs the header {alg, typ, kid} exactly and verifies', async (alg) => {
    const ring = keyring(alg);
    const token = await sign(ring);
    const headerText = new TextDecoder().decode(decodeBase64url(token.split('.')[0]!)!);
    expect(headerText).toBe(JSON.stringify({ alg, typ: 'at+jwt', kid: ring.signing.kid }));
    const opts = options([ring.verifying]);
    const verdict = await joseJwt.verify(token, opts);
    expect(verdict).toEqual({ ok: true, value: { header: { alg, typ: 'at+jwt', kid: ring.signing.kid }, claims: CLAIMS } });
    expect(opts.lookups).toEqual([ring.signing.kid]);
  });

  it('accepts an async resolveKey and picks among rotated keys by kid', async () => {
    const current = keyring('EdDSA', 'access-2');
    const retired = keyring('ES256', 'access-1');
    const keys = [current.verifying, retired.verifying];
    const opts = options(keys, { resolveKey: async (kid) => keys.find((k) => k.kid === kid) });
    expect((await joseJwt.verify(await sign(current), opts)).ok).toBe(true);
    expect((await joseJwt.verify(await sign(retired), opts)).ok).toBe(true);
  });

  it('ignores an unknown non-critical header parameter', async () => {
    const ring = keyring('EdDSA');
    const h = encodeBase64url(utf8(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: ring.signing.kid, cty: 'x' })));
    const token = await resign(ring, h, encodeBase64url(utf8(JSON.stringify(CLAIMS))));
    expect((await joseJwt.verify(token, options([ring.verifying]))).ok).toBe(true);
  });
});

describe('keys', () => {
  it('calls resolveKey only with the header kid, and not at all when the header is refused', async () => {
    const ring = keyring('EdDSA');
    const token = await sign(ring);
    const [h, p, s] = token.split('.') as [string, string, string];
    const unknown = encodeBase64url(utf8(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'other-kid' })));
    const none = encodeBase64url(utf8(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: ring.signing.kid })));
    const opts = options([ring.verifying]);
    await joseJwt.verify(`${unknown}.${p}.${s}`, opts);
    await joseJwt.verify(`${none}.${p}.`, opts);
    await joseJwt.verify(`${h}.${p}.${s}`, opts);
    expect(opts.lookups).toEqual(['other-kid', ring.signing.kid]);
  });

  it('refuses a key whose alg differs from the header, whatever the allow-list', async () => {
    const hs = keyring('HS256', 'shared');
    const ed = keyring('EdDSA', 'shared');
    // The kid resolves to an EdDSA key; the token claims HS256 under the same kid.
    const verdict = await joseJwt.verify(await sign(hs), options([ed.verifying]));
    expect(verdict).toEqual({ ok: false, code: 'invalid_token', detail: 'alg does not match the key' });
  });

  it('refuses a resolver that answers with a key of another kid', async () => {
    const ring = keyring('EdDSA');
    const opts = options([], { resolveKey: () => ({ ...ring.verifying, kid: 'fallback' }) });
    expect(await joseJwt.verify(await sign(ring), opts)).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  it('refuses ES256 r=0 or s=0 before any key lookup (CVE-2022-21449)', async () => {
    const ring = keyring('ES256');
    const [h, p] = (await sign(ring)).split('.') as [string, string];
    const halves = (r: number, s: number): Uint8Array => Uint8Array.from({ length: 64 }, (_, i) => (i < 32 ? r : s));
    const opts = options([ring.verifying]);
    for (const sig of [halves(0, 0), halves(0, 1), halves(1, 0)]) {
      const verdict = await joseJwt.verify(`${h}.${p}.${encodeBase64url(sig)}`, opts);
      expect(verdict).toMatchObject({ ok: false, code: 'invalid_token', detail: 'signature is invalid' });
    }
    expect(opts.lookups).toEqual([]);
  });
});

describe('strict base64url', () => {
  // Each mutation decodes to the same bytes under Node's lenient decoder, and is re-signed,
  // so only the strictness of the encoding can refuse it.
  const mutations: [string, (seg: string) => string][] = [
    ['= padding', (seg) => seg + '='.repeat((4 - (seg.length % 4)) % 4 || 4)],
    ['a space', (seg) => `${seg.slice(0, 8)} ${seg.slice(8)}`],
    ['a newline', (seg) => `${seg.slice(0, 8)}\n${seg.slice(8)}`],
    ['a tab', (seg) => `${seg.slice(0, 8)}\t${seg.slice(8)}`],
    ['a CR LF', (seg) => `${seg.slice(0, 8)}\r\n${seg.slice(8)}`],
  ];
  it.each(mutations)('refuses a payload segment with %s', async (_, mutate) => {
    const ring = keyring('EdDSA');
    const [h, p] = (await sign(ring)).split('.') as [string, string];
    expect(Buffer.from(mutate(p), 'base64url').equals(Buffer.from(p, 'base64url'))).toBe(true);
    const verdict = await joseJwt.verify(await resign(ring, h, mutate(p)), options([ring.verifying]));
    expect(verdict).toEqual({ ok: false, code: 'invalid_token', detail: 'segment is not canonical unpadded base64url' });
  });

  it('refuses the standard alphabet and non-canonical trailing bits', async () => {
    const ring = keyring('EdDSA');
    // '???' guarantees a '_' in the payload text; the pad leaves unused bits in its last char.
    let pad = '';
    while (encodeBase64url(utf8(JSON.stringify({ ...CLAIMS, q: '???', pad }))).length % 4 === 0) pad += 'x';
    const [h, p] = (await sign(ring, { ...CLAIMS, q: '???', pad })).split('.') as [string, string];
    const standard = p.replace(/-/g, '+').replace(/_/g, '/');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const nonCanonical = p.slice(0, -1) + alphabet[alphabet.indexOf(p.slice(-1)) | 1]!; // sets an unused bit
    for (const text of [standard, nonCanonical]) {
      expect(text).not.toBe(p);
      expect(Buffer.from(text, 'base64').equals(Buffer.from(p, 'base64url'))).toBe(true);
      const verdict = await joseJwt.verify(await resign(ring, h, text), options([ring.verifying]));
      expect(verdict).toMatchObject({ ok: false, detail: 'segment is not canonical unpadded base64url' });
    }
  });
});

describe('bounds and time', () => {
  it('refuses deep nesting by depth, not only by length', async () => {
    const ring = keyring('EdDSA');
    const deep = `${JSON.stringify(CLAIMS).slice(0, -1)},"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const h = encodeBase64url(utf8(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: ring.signing.kid })));
    const token = await resign(ring, h, encodeBase64url(utf8(deep)));
    const verdict = await joseJwt.verify(token, options([ring.verifying], { maxLength: 1 << 21 }));
    expect(verdict).toMatchObject({ ok: false, code: 'invalid_token', detail: 'payload is not strict JSON (too deep)' });
  });

  it('names a UTF-8 byte order mark as such (JSON.parse would only say "syntax")', async () => {
    const ring = keyring('EdDSA');
    const h = encodeBase64url(utf8(`\uFEFF${JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: ring.signing.kid })}`));
    const token = await resign(ring, h, encodeBase64url(utf8(JSON.stringify(CLAIMS))));
    const verdict = await joseJwt.verify(token, options([ring.verifying]));
    expect(verdict).toEqual({ ok: false, code: 'invalid_token', detail: 'header starts with a byte order mark' });
  });

  it('enforces maxLength to the character, before any parsing', async () => {
    const ring = keyring('EdDSA');
    const token = await sign(ring);
    expect((await joseJwt.verify(token, options([ring.verifying], { maxLength: token.length }))).ok).toBe(true);
    const opts = options([ring.verifying], { maxLength: token.length - 1 });
    expect(await joseJwt.verify(token, opts)).toMatchObject({ ok: false, detail: 'token too long' });
    expect(opts.lookups).toEqual([]);
  });

  it('with maxLifetime, requires iat and refuses exp - iat beyond it plus leeway', async () => {
    const ring = keyring('EdDSA');
    const opts = options([ring.verifying], { maxLifetime: 600, leeway: 30 });
    expect((await joseJwt.verify(await sign(ring, { ...CLAIMS, exp: NOW + 630 }), opts)).ok).toBe(true);
    expect(await joseJwt.verify(await sign(ring, { ...CLAIMS, exp: NOW + 631 }), opts)).toMatchObject({
      ok: false,
      code: 'invalid_token',
      detail: 'token lifetime longer than allowed',
    });
    const { iat: _iat, ...withoutIat } = CLAIMS;
    expect(await joseJwt.verify(await sign(ring, withoutIat), opts)).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  it('checks the signature before the clock: a forged expired token is invalid, not expired', async () => {
    const ring = keyring('EdDSA');
    const [h, p] = (await sign(ring, { ...CLAIMS, exp: NOW - 5 })).split('.') as [string, string];
    const verdict = await joseJwt.verify(`${h}.${p}.${encodeBase64url(new Uint8Array(64))}`, options([ring.verifying]));
    expect(verdict).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(await joseJwt.verify(await sign(ring, { ...CLAIMS, exp: NOW - 5 }), options([ring.verifying]))).toEqual({
      ok: false,
      code: 'token_expired',
      detail: 'token expired',
    });
  });

  it('throws on a misconfigured clock rather than never expiring', async () => {
    const ring = keyring('EdDSA');
    const token = await sign(ring);
    await expect(joseJwt.verify(token, options([ring.verifying], { now: Number.NaN }))).rejects.toThrow(TypeError);
    await expect(joseJwt.verify(token, options([ring.verifying], { leeway: -1 }))).rejects.toThrow(TypeError);
  });
});

describe('a key handle that does not fit its algorithm is a configuration bug, never a verdict', () => {
  it('verify throws for each misfit the resolver could hand over', async () => {
    const ed = keyring('EdDSA');
    const token = await sign(ed);
    const misfits: unknown[] = [
      ed.signing.key, // a private key where the public one belongs
      generateAccessKeyPair('ES256').publicKey, // another curve
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
      createSecretKey(randomBytes(32)), // the HS/EdDSA confusion, at the key
      (ed.verifying.key as KeyObject).export({ type: 'spki', format: 'pem' }), // a PEM string is not a key handle
    ];
    for (const key of misfits) {
      await expect(joseJwt.verify(token, options([{ ...ed.verifying, key }]))).rejects.toThrow(TypeError);
    }
    const hs = keyring('HS256');
    const short = { ...hs.verifying, key: createSecretKey(randomBytes(16)) };
    await expect(joseJwt.verify(await sign(hs), options([short]))).rejects.toThrow(/does not fit/);
  });
});

describe('sign refuses to mint tokens the verifier would refuse', () => {
  it('throws on a malformed kid or a key that does not fit the algorithm', async () => {
    const ring = keyring('ES256');
    await expect(joseJwt.sign({ typ: 'at+jwt', key: { ...ring.signing, kid: 'has space' } }, CLAIMS)).rejects.toThrow(TypeError);
    await expect(joseJwt.sign({ typ: 'at+jwt', key: { ...ring.signing, alg: 'EdDSA' } }, CLAIMS)).rejects.toThrow(/does not fit/);
    await expect(joseJwt.sign({ typ: 'at+jwt', key: ring.verifying }, CLAIMS)).rejects.toThrow(/does not fit/);
    const short = { kid: 'hs', alg: 'HS256' as const, key: createSecretKey(randomBytes(16)) };
    await expect(joseJwt.sign({ typ: 'at+jwt', key: short }, CLAIMS)).rejects.toThrow(/does not fit/);
  });
});
