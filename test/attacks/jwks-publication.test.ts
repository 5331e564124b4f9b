/**
 * Threat: a relying party (another service checking Tollgate's access tokens) caches
 * /.well-known/jwks.json for its max-age, as HTTP says it may, and meets a token signed with a
 * key it has never seen: it refuses valid users until its cache expires, or its operator turns
 * key checks off. Every access token must be signed by a key that every cache already holds:
 * on a fresh server, and across `tollgate keys rotate`, on every instance.
 */
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { ADMIN_TOKEN, login, seedSubscriber } from '../support/app.js';

interface Jwks {
  keys: (JsonWebKey & { kid: string })[];
}

async function fetchJwks(app: FastifyInstance): Promise<{ jwks: Jwks; maxAgeMs: number }> {
  const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  const maxAge = /max-age=(\d+)/.exec(String(res.headers['cache-control']))?.[1];
  if (maxAge === undefined) throw new Error('the JWKS has no max-age');
  return { jwks: res.json(), maxAgeMs: Number(maxAge) * 1000 };
}

/** What a relying party does with a cached JWKS: find the kid, check the EdDSA signature. */
function verifiesWith(jwks: Jwks, token: string): boolean {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (jwk === undefined) return false;
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
}

describe('attack: a relying party with a cached JWKS meets a key it has never seen', () => {
  const clock = { now: Date.now() };
  let dataDir: string;
  const instances: { services: Services; app: FastifyInstance }[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-jwks-'));
    const env = { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_LOG_LEVEL: 'silent' };
    for (let i = 0; i < 2; i++) {
      const services = await compose(loadConfig(env), { now: () => clock.now });
      instances.push({ services, app: buildApp(services) });
    }
  });
  afterAll(async () => {
    for (const { app, services } of instances) {
      await app.close();
      await services.close();
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses to serve an empty JWKS: a fresh server publishes its key before any login', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const cached = await fetchJwks(b.app);
    expect(cached.jwks.keys.length).toBeGreaterThan(0);
    const viewer = await seedSubscriber(a.app);
    const first = (await login(a.app, viewer.email, viewer.password)).json();
    expect(verifiesWith(cached.jwks, first.access_token)).toBe(true);
  });

  it('refuses to sign with a rotated key before every cache of the JWKS can hold it', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const viewer = await seedSubscriber(a.app, { plan: 'rotation' });
    let refreshToken: string = (await login(a.app, viewer.email, viewer.password)).json().refresh_token;
    // The relying party polls instance B, which sees the shared store only every so often.
    let cache = { ...(await fetchJwks(b.app)), fetchedAt: clock.now };
    const rotatedAt = clock.now;
    await a.services.accessKeys.rotate();
    const kids = new Set<string>();
    for (let t = rotatedAt; t <= rotatedAt + 300_000; t += 5_000) {
      clock.now = t;
      if (t - cache.fetchedAt >= cache.maxAgeMs) cache = { ...(await fetchJwks(b.app)), fetchedAt: t };
      const pair = (await a.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } })).json();
      refreshToken = pair.refresh_token;
      kids.add(JSON.parse(Buffer.from(pair.access_token.split('.')[0], 'base64url').toString()).kid);
      expect(verifiesWith(cache.jwks, pair.access_token), `token minted ${(t - rotatedAt) / 1000}s after the rotation`).toBe(true);
    }
    expect(kids.size).toBe(2); // the walk did reach the new key
  });
});
