import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

function decodePart(token: string, i: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString('utf8'));
}

describe.each<Backend>(['sqlite', 'postgres'])('identity on %s', (backend) => {
  let t: TestApp;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;

  beforeAll(async () => {
    t = await startTestApp({ backend });
    viewer = await seedSubscriber(t.app, { titles: ['t1', 't2'] });
  });
  afterAll(() => t.close());

  const me = (accessToken: string) =>
    t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${accessToken}` } });
  const refresh = (refreshToken: string) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } });

  it('logs in with an asymmetric, typed, short-lived access token and an opaque refresh token', async () => {
    const res = await login(t.app, viewer.email.toUpperCase(), viewer.password);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    const header = decodePart(body.access_token, 0);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    const claims = decodePart(body.access_token, 1);
    expect(claims).toMatchObject({ iss: t.config.publicUrl, aud: 'tollgate-api', sub: viewer.userId });
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(900);
    expect(body.refresh_token).toMatch(/^tgr_[A-Za-z0-9_-]{43}$/);
  });

  it('answers /v1/me with the plan, its titles and the current rentals', async () => {
    const { access_token } = (await login(t.app, viewer.email, viewer.password)).json();
    const res = await me(access_token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user_id: viewer.userId, email: viewer.email, plan_id: viewer.planId, titles: ['t1', 't2'], rentals: [] });
  });

  it('makes an unknown email and a wrong password look the same', async () => {
    const unknown = await login(t.app, 'nobody@example.com', viewer.password);
    const wrong = await login(t.app, viewer.email, 'not the password');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(unknown.json().code).toBe('invalid_credentials');
    expect(unknown.headers['content-type']).toContain('application/problem+json');
  });

  it('rotates the refresh token on every use', async () => {
    const first = (await login(t.app, viewer.email, viewer.password)).json();
    const second = await refresh(first.refresh_token);
    expect(second.statusCode).toBe(200);
    const next = second.json();
    expect(next.refresh_token).not.toBe(first.refresh_token);
    expect((await me(next.access_token)).statusCode).toBe(200);
    expect((await refresh(next.refresh_token)).statusCode).toBe(200);
  });

  it('revokes the whole family when a used refresh token is presented again after the grace', async () => {
    const first = (await login(t.app, viewer.email, viewer.password)).json();
    const rotated = (await refresh(first.refresh_token)).json();
    t.clock.now += 31_000;
    const reuse = await refresh(first.refresh_token);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('token_revoked');
    // The thief's (or victim's) newer token dies with the family, and so do its access tokens.
    expect((await refresh(rotated.refresh_token)).json().code).toBe('token_revoked');
    expect((await me(rotated.access_token)).json().code).toBe('token_revoked');
    expect((await me(first.access_token)).json().code).toBe('token_revoked');
    // Other logins of the same user are untouched.
    const other = (await login(t.app, viewer.email, viewer.password)).json();
    expect((await me(other.access_token)).statusCode).toBe(200);
  });

  it('answers two concurrent refreshes of one token (a retry within the grace) without revoking', async () => {
    const first = (await login(t.app, viewer.email, viewer.password)).json();
    const results = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
    for (const r of results) expect((await me(r.json().access_token)).statusCode).toBe(200);
  });

  it('logs out: the family is revoked, its access tokens stop at once', async () => {
    const session = (await login(t.app, viewer.email, viewer.password)).json();
    const out = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: session.refresh_token } });
    expect(out.statusCode).toBe(204);
    expect((await refresh(session.refresh_token)).json().code).toBe('token_revoked');
    expect((await me(session.access_token)).json().code).toBe('token_revoked');
    // Logging out again, or with an unknown token, is harmless.
    const again = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: session.refresh_token } });
    expect(again.statusCode).toBe(204);
  });

  it('tells an expired access token from an invalid one', async () => {
    const session = (await login(t.app, viewer.email, viewer.password)).json();
    const start = t.clock.now;
    try {
      t.clock.now = start + 601_000 + 30_000;
      const expired = await me(session.access_token);
      expect(expired.statusCode).toBe(401);
      expect(expired.json().code).toBe('token_expired');
      expect(expired.headers['www-authenticate']).toContain('error="invalid_token"');
    } finally {
      t.clock.now = start;
    }
    const invalid = await me(`${session.access_token.slice(0, -4)}AAAA`);
    expect(invalid.json().code).toBe('invalid_token');
  });

  it('ends a refresh family at its absolute lifetime, however often it was rotated', async () => {
    let tokens = (await login(t.app, viewer.email, viewer.password)).json();
    const start = t.clock.now;
    try {
      for (let day = 10; day <= 30; day += 10) {
        t.clock.now = start + day * 86_400_000 - 60_000;
        const res = await refresh(tokens.refresh_token);
        expect(res.statusCode).toBe(200);
        tokens = res.json();
      }
      t.clock.now = start + 30 * 86_400_000 + 1000;
      const late = await refresh(tokens.refresh_token);
      expect(late.json().code).toBe('token_expired');
    } finally {
      t.clock.now = start;
    }
  });

  it('rotates signing keys: the next key is published before it signs, old tokens keep working until they expire', async () => {
    const before = (await login(t.app, viewer.email, viewer.password)).json();
    const oldKid = decodePart(before.access_token, 0).kid;
    const { kid: newKid, signsFrom } = await t.services.accessKeys.rotate();
    expect(signsFrom - t.clock.now).toBeGreaterThanOrEqual(60_000);
    const during = (await login(t.app, viewer.email, viewer.password)).json();
    expect(decodePart(during.access_token, 0).kid).toBe(oldKid);
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const kids = jwks.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');

    const start = t.clock.now;
    try {
      t.clock.now = signsFrom;
      const after = (await login(t.app, viewer.email, viewer.password)).json();
      expect(decodePart(after.access_token, 0).kid).toBe(newKid);
      expect((await me(before.access_token)).statusCode).toBe(200);
      t.clock.now = signsFrom + (600 + 30) * 1000 + 1000;
      await t.services.accessKeys.rotate(); // prunes keys retired before the retention window
      const later = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
      expect(later.keys.map((k: { kid: string }) => k.kid)).not.toContain(oldKid);
    } finally {
      t.clock.now = start;
    }
  });
});

describe('login rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { TOLLGATE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', TOLLGATE_LOGIN_MAX_FAILURES_PER_ADDRESS: '6' },
    });
  });
  afterAll(() => t.close());

  it('limits failures per account with 429 and Retry-After, even for the right password', async () => {
    const viewer = await seedSubscriber(t.app, { plan: 'p1' });
    for (let i = 0; i < 3; i++) expect((await login(t.app, viewer.email, 'wrong password')).statusCode).toBe(401);
    const blocked = await login(t.app, viewer.email, viewer.password);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const start = t.clock.now;
    try {
      t.clock.now = start + 901_000;
      expect((await login(t.app, viewer.email, viewer.password)).statusCode).toBe(200);
    } finally {
      t.clock.now = start;
    }
  });

  it('limits failures per address across accounts', async () => {
    for (let i = 0; i < 6; i++) await login(t.app, `guess${i}@example.com`, 'wrong password');
    const blocked = await login(t.app, 'another@example.com', 'whatever1');
    expect(blocked.statusCode).toBe(429);
  });
});
