/** The JWT attack corpus (FORMATS.md §8) against a real route: GET /v1/me. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwsInput } from '../support/jwt-attack-kit.js';
import { jwtAttackCases, type JwtAttackCase } from '../support/jwt-attacks.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

describe.each(['EdDSA', 'ES256'] as const)('GET /v1/me refuses every JWT attack (%s keys)', (alg) => {
  let t: TestApp;
  let cases: JwtAttackCase[];

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_SIGNING_ALG: alg } });
    const viewer = await seedSubscriber(t.app);
    const { access_token: validToken } = (await login(t.app, viewer.email, viewer.password)).json();
    const key = await t.services.accessKeys.current();
    const privateKey = key.key as KeyObject;
    cases = await jwtAttackCases({
      validToken,
      claims: JSON.parse(Buffer.from(validToken.split('.')[1]!, 'base64url').toString('utf8')),
      kid: key.kid,
      typ: 'at+jwt',
      alg,
      publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
      now: Math.floor(t.clock.now / 1000),
      leeway: 30,
      maxLifetime: t.config.accessTokenTtlSec,
      signRaw: async (input) => signJwsInput(alg, privateKey, input),
    });
  });
  afterAll(() => t.close());

  it('covers all eleven families', () => {
    expect(new Set(cases.map((c) => c.family))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
  });

  it('answers each case as the verifier must', async () => {
    for (const c of cases) {
      let res;
      try {
        res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${c.token}` } });
      } catch (error) {
        // A token with characters no HTTP header can carry never reaches the server.
        expect(c.expect, `${c.name}: ${(error as Error).message}`).toBe('reject');
        continue;
      }
      if (c.expect === 'accept') {
        expect(res.statusCode, c.name).toBe(200);
        continue;
      }
      expect(res.statusCode, c.name).toBe(401);
      const { code } = res.json();
      if (c.code === 'token_expired') expect(code, c.name).toBe('token_expired');
      else expect(['invalid_token', 'unauthorized'], c.name).toContain(code);
    }
  });
});
