/**
 * Interop with jose, the JOSE library relying parties and edge workers use (and Tollgate's
 * own codec): the published examples of RFC 7515 (A.1 HS256, A.3 ES256) and RFC 8037 (A.4
 * Ed25519) against Tollgate's verifier and under their keys, access tokens Tollgate signs
 * verified by jose from the served JWKS, and tokens jose signs under Tollgate's key accepted
 * by Tollgate, with forged variants refused.
 */
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { compactVerify, createLocalJWKSet, importJWK, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JwtAlgorithm, JwtKey, VerifyOptions } from '../../src/core/jwt.js';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_TYPE } from '../../src/server/identity/service.js';
import { joseJwt } from '../../src/server/keys/jose-jwt.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

/** RFC 7515 A.1 and A.3 share this payload: {"iss":"joe", "exp":1300819380, "http://example.com/is_root":true}. */
const RFC7515_PAYLOAD = 'eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ';

interface PublishedExample {
  readonly name: string;
  readonly alg: JwtAlgorithm;
  /** The example's key as a JWK (private members included: the RFCs publish them). */
  readonly jwk: Record<string, string>;
  readonly token: string;
  /** What Tollgate's verifier names first among the header members it requires and the example lacks. */
  readonly refusal: string;
  readonly typ?: string;
  /** Whether the algorithm signs deterministically (HMAC, Ed25519), so two signers must agree to the byte. */
  readonly deterministic: boolean;
}

const EXAMPLES: PublishedExample[] = [
  {
    name: 'RFC 7515 A.1 (HS256)',
    alg: 'HS256',
    jwk: { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' },
    token: `eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.${RFC7515_PAYLOAD}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`,
    typ: 'JWT',
    refusal: 'kid missing or malformed',
    deterministic: true,
  },
  {
    name: 'RFC 7515 A.3 (ES256)',
    alg: 'ES256',
    jwk: {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI',
    },
    token: `eyJhbGciOiJFUzI1NiJ9.${RFC7515_PAYLOAD}.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q`,
    refusal: 'typ missing or wrong',
    deterministic: false,
  },
  {
    name: 'RFC 8037 A.4 (Ed25519)',
    alg: 'EdDSA',
    jwk: { kty: 'OKP', crv: 'Ed25519', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
    token:
      'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
    refusal: 'typ missing or wrong',
    deterministic: true,
  },
];

const NOW = 1_750_000_000;
const ISSUER = 'https://tollgate.example';
const AUDIENCE = 'tollgate-api';

/** The example key as Tollgate holds keys: a signing and a verifying KeyObject bound to one kid and alg. */
function tollgateKeys(example: PublishedExample): { signing: JwtKey; verifying: JwtKey } {
  if (example.alg === 'HS256') {
    const secret = createSecretKey(Buffer.from(example.jwk.k!, 'base64url'));
    return { signing: { kid: 'rfc', alg: 'HS256', key: secret }, verifying: { kid: 'rfc', alg: 'HS256', key: secret } };
  }
  const privateKey = createPrivateKey({ key: example.jwk as JsonWebKey, format: 'jwk' });
  return { signing: { kid: 'rfc', alg: example.alg, key: privateKey }, verifying: { kid: 'rfc', alg: example.alg, key: createPublicKey(privateKey) } };
}

function publicJwk(example: PublishedExample): Record<string, string> {
  const { d: _private, ...rest } = example.jwk;
  return example.alg === 'HS256' ? example.jwk : rest;
}

const options = (alg: JwtAlgorithm, key: JwtKey, typ = 'at+jwt'): VerifyOptions => ({
  typ,
  algorithms: [alg],
  issuer: ISSUER,
  audience: AUDIENCE,
  now: NOW,
  leeway: 0,
  resolveKey: (kid) => (kid === key.kid ? key : undefined),
});

describe.each(EXAMPLES)('$name', (example) => {
  const keys = tollgateKeys(example);

  it('jose verifies the published token under the published key, and refuses it altered', async () => {
    const key = await importJWK(publicJwk(example), example.alg);
    expect((await compactVerify(example.token, key)).protectedHeader.alg).toBe(example.alg);
    const [h, p, s] = example.token.split('.') as [string, string, string];
    const altered = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await expect(compactVerify(altered, key)).rejects.toThrow();
  });

  it("Tollgate's verifier reads it strictly and refuses it only for a header member it requires", async () => {
    // Canonical base64url, strict JSON (A.1's CR LF whitespace included) and the alg all pass.
    const verdict = await joseJwt.verify(example.token, { ...options(example.alg, keys.verifying, example.typ ?? 'at+jwt'), now: 1_300_819_000 });
    expect(verdict).toEqual({ ok: false, code: 'invalid_token', detail: example.refusal });
  });

  it('under the published key: jose verifies what Tollgate signs, Tollgate verifies what jose signs', async () => {
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'joe', iat: NOW, exp: NOW + 60, 'http://example.com/is_root': true };
    const ours = await joseJwt.sign({ typ: 'at+jwt', key: keys.signing }, claims);
    const verified = await jwtVerify(ours, await importJWK(publicJwk(example), example.alg), {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      algorithms: [example.alg],
      currentDate: new Date(NOW * 1000),
    });
    expect(verified.payload).toEqual(claims);
    const theirs = await new SignJWT(claims)
      .setProtectedHeader({ alg: example.alg, typ: 'at+jwt', kid: 'rfc' })
      .sign(await importJWK(example.jwk, example.alg));
    expect(await joseJwt.verify(theirs, options(example.alg, keys.verifying))).toMatchObject({ ok: true, value: { claims } });
    if (example.deterministic) expect(theirs).toBe(ours);
  });
});

describe.each(['EdDSA', 'ES256'] as const)('access tokens and jose (%s)', (alg) => {
  let t: TestApp;
  let viewer: { email: string; password: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_SIGNING_ALG: alg } });
    viewer = await seedSubscriber(t.app);
  });
  afterAll(() => t.close());

  const me = (token: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });

  it('jose verifies a token Tollgate signs, from the served JWKS, with its typ, issuer and audience', async () => {
    const accessToken = (await login(t.app, viewer.email, viewer.password)).json().access_token as string;
    const jwks = createLocalJWKSet((await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json());
    const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, {
      issuer: t.config.publicUrl,
      audience: ACCESS_TOKEN_AUDIENCE,
      typ: ACCESS_TOKEN_TYPE,
      algorithms: [alg],
      currentDate: new Date(t.services.now()),
    });
    expect(protectedHeader.alg).toBe(alg);
    expect(typeof payload.sub).toBe('string');
    // And jose refuses it once altered.
    const [h, , s] = accessToken.split('.');
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url')}.${s}`;
    await expect(jwtVerify(altered, jwks, { currentDate: new Date(t.services.now()) })).rejects.toThrow();
  });

  it('Tollgate accepts a token jose signs under its current key, and refuses the forged variants', async () => {
    const issued = (await login(t.app, viewer.email, viewer.password)).json().access_token as string;
    const claims = JSON.parse(Buffer.from(issued.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const key = await t.services.accessKeys.current();
    const served = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys.find((k: { kid: string }) => k.kid === key.kid);
    const signed = (signingKey: Parameters<SignJWT['sign']>[0], header: { alg: string; kid: string } = { alg, kid: key.kid }) =>
      new SignJWT({ ...claims, jti: 'jose-signed' }).setProtectedHeader({ ...header, typ: ACCESS_TOKEN_TYPE }).sign(signingKey);

    const accepted = await me(await signed(key.key as Parameters<SignJWT['sign']>[0]));
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().email).toBe(viewer.email);

    const stranger = alg === 'EdDSA' ? generateKeyPairSync('ed25519').privateKey : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = {
      'a stranger key under the served kid': await signed(stranger),
      // The HS/asymmetric confusion: the public JWK's text as an HMAC secret.
      'HS256 keyed with the served public key': await signed(new TextEncoder().encode(JSON.stringify(served)), { alg: 'HS256', kid: key.kid }),
      'alg none': new UnsecuredJWT(claims).encode(),
      'the served public key embedded as jwk': await new SignJWT(claims)
        .setProtectedHeader({ alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid, jwk: served })
        .sign(key.key as Parameters<SignJWT['sign']>[0]),
    };
    for (const [name, token] of Object.entries(forged)) {
      const refused = await me(token);
      expect(refused.statusCode, name).toBe(401);
      expect(refused.json().code, name).toBe('invalid_token');
    }
  });
});
