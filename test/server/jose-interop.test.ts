/**
 * Interop with jose, the JOSE library relying parties and edge workers use: the published
 * examples of RFC 7515 (HS256) and RFC 8037 (Ed25519) through Tollgate's JWS crypto, access
 * tokens Tollgate signs verified by jose from the served JWKS, and tokens jose signs under
 * Tollgate's key accepted by Tollgate.
 */
import { createPrivateKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { compactVerify, createLocalJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_TYPE } from '../../src/server/identity/service.js';
import { nodeJwtCrypto } from '../../src/server/keys/jwt-crypto.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const b64url = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

describe('published JWS examples', () => {
  it('RFC 7515 A.1 (HS256): Tollgate and jose both verify the example, and Tollgate computes its MAC', async () => {
    const k = 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow';
    const input = 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ';
    const signature = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const key = createSecretKey(b64url(k));
    expect(Buffer.from(await nodeJwtCrypto.sign('HS256', key, utf8(input))).toString('base64url')).toBe(signature);
    expect(await nodeJwtCrypto.verify('HS256', key, utf8(input), b64url(signature))).toBe(true);
    const tampered = `${signature.slice(0, -1)}${signature.endsWith('k') ? 'A' : 'k'}`;
    expect(await nodeJwtCrypto.verify('HS256', key, utf8(input), b64url(tampered))).toBe(false);
    const verified = await compactVerify(`${input}.${signature}`, await importJWK({ kty: 'oct', k }, 'HS256'));
    expect(JSON.parse(new TextDecoder().decode(verified.payload)).iss).toBe('joe');
  });

  it('RFC 8037 A.4 (Ed25519): Tollgate signs the example to the published signature, and both verify it', async () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
    const input = 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc';
    const signature = 'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    expect(Buffer.from(await nodeJwtCrypto.sign('EdDSA', privateKey, utf8(input))).toString('base64url')).toBe(signature);
    expect(await nodeJwtCrypto.verify('EdDSA', privateKey, utf8(input), b64url(signature))).toBe(true);
    const { d: _private, ...publicJwk } = jwk;
    const verified = await compactVerify(`${input}.${signature}`, await importJWK(publicJwk, 'EdDSA'));
    expect(new TextDecoder().decode(verified.payload)).toBe('Example of Ed25519 signing');
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

  it('Tollgate accepts a token jose signs under its current key, and refuses one jose signs under another', async () => {
    const issued = (await login(t.app, viewer.email, viewer.password)).json().access_token as string;
    const claims = JSON.parse(Buffer.from(issued.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const key = await t.services.accessKeys.current();
    const signed = (signingKey: Parameters<SignJWT['sign']>[0], kid: string) =>
      new SignJWT({ ...claims, jti: 'jose-signed' }).setProtectedHeader({ alg, typ: ACCESS_TOKEN_TYPE, kid }).sign(signingKey);
    const me = (token: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    const accepted = await me(await signed(key.key as Parameters<SignJWT['sign']>[0], key.kid));
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().email).toBe(viewer.email);
    const stranger = alg === 'EdDSA' ? generateKeyPairSync('ed25519').privateKey : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const refused = await me(await signed(stranger, key.kid));
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('invalid_token');
  });
});
