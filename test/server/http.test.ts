import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_CORS_ORIGINS: 'https://player.example.com' } });
  });
  afterAll(() => t.close());

  function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toContain('application/problem+json');
    const body = res.json();
    expect(body).toMatchObject({ status, code, type: `urn:tollgate:error:${code}` });
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
  }

  it.each([
    ['malformed JSON', '{"email": "a@b.c", "password": ', 'application/json'],
    ['a JSON array', '[1,2,3]', 'application/json'],
    ['wrong types', JSON.stringify({ email: 42, password: true }), 'application/json'],
    ['unknown fields', JSON.stringify({ email: 'a@b.c', password: 'x', admin: true }), 'application/json'],
    ['a missing field', JSON.stringify({ email: 'a@b.c' }), 'application/json'],
    ['an empty body', '', 'application/json'],
  ])('answers %s with 400 bad_request', async (_name, payload, type) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload, headers: { 'content-type': type } });
    expectProblem(res, 400, 'bad_request');
  });

  it('names the offending field', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'a@b.c', password: 'x', extra: 1 } });
    expect(res.json().detail).toMatch(/additional|extra/i);
  });

  it('refuses a body that is not JSON (415) and a huge body (413)', async () => {
    const text = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: 'email=a', headers: { 'content-type': 'text/plain' } });
    expectProblem(text, 415, 'unsupported_media_type');
    const huge = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(200_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(huge, 413, 'payload_too_large');
  });

  it('answers unknown routes with a not_found problem', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/nothing' }), 404, 'not_found');
  });

  it.each([
    ['no header', undefined, 'unauthorized'],
    ['not Bearer', 'Basic YTpi', 'unauthorized'],
    ['garbage', 'Bearer abc', 'invalid_token'],
    ['a refresh token', 'Bearer tgr_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'invalid_token'],
    ['64 KB', `Bearer ${'a'.repeat(64 * 1024)}`, 'invalid_token'],
  ])('refuses /v1/me with %s', async (_name, authorization, code) => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: authorization ? { authorization } : {} });
    expectProblem(res, 401, code);
  });

  it('answers a 64 KB Authorization header over a real socket with problem+json, not a bare 431', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${address.port}/v1/me`, { headers: { authorization: `Bearer ${'x'.repeat(64 * 1024)}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe('invalid_token');
  });

  it('rejects an access token used as a refresh token and vice versa', async () => {
    const viewer = await seedSubscriber(t.app, { plan: 'kinds' });
    const tokens = (await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password } })).json();
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: tokens.access_token.slice(0, 500) } });
    expectProblem(res, 401, 'invalid_token');
  });

  it('allows configured origins only, with preflight', async () => {
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/me',
      headers: { origin: 'https://player.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://player.example.com');
    expect(String(pre.headers['access-control-allow-headers'])).toContain('Authorization');
    const evil = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example.com' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends security headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves liveness, readiness and Prometheus metrics by route and outcome', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    await t.app.inject({ method: 'GET', url: '/v1/me' });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('tollgate_http_requests_total{route="/v1/me",method="GET",status="401"}');
    expect(metrics.body).toMatch(/tollgate_http_request_duration_seconds_bucket\{le="\+Inf",route="\/v1\/me",method="GET"\} \d+/);
    // The process's own: CPU, heap, GC, event-loop lag.
    for (const name of ['process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(metrics.body).toContain(`# TYPE ${name} `);
    }
  });

  it('guards the admin API with the admin token', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/admin/titles' }), 401, 'unauthorized');
    expectProblem(
      await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: { authorization: 'Bearer wrong-token-wrong-token' } }),
      403,
      'forbidden',
    );
    const ok = await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: admin });
    expect(ok.json()).toEqual({ titles: [] });
  });

  it('creates and updates plans, refuses users on missing plans and duplicate emails', async () => {
    const plan = await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'gold', titles: '*', max_streams: 4 } });
    expect(plan.json()).toEqual({ id: 'gold', titles: '*', max_streams: 4, stream_limit_mode: 'refuse', count_by: 'session', max_devices: null, require_mfa: false, countries: {}, allowed_origins: [] });
    const evicting = await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'gold', titles: '*', stream_limit_mode: 'evict_oldest', count_by: 'device', max_devices: null, require_mfa: false } });
    expect(evicting.json()).toEqual({ id: 'gold', titles: '*', max_streams: 4, stream_limit_mode: 'evict_oldest', count_by: 'device', max_devices: null, require_mfa: false, countries: {}, allowed_origins: [] });
    const updated = await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'gold', titles: ['a', 'a', 'b'] } });
    expect(updated.json()).toEqual({ id: 'gold', titles: ['a', 'b'], max_streams: 4, stream_limit_mode: 'evict_oldest', count_by: 'device', max_devices: null, require_mfa: false, countries: {}, allowed_origins: [] });
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'gold', titles: '*', count_by: 'ip' } }), 400, 'bad_request');
    const missing = await t.app.inject({ method: 'POST', url: '/v1/admin/users', headers: admin, payload: { email: 'x@example.com', password: 'long enough', plan_id: 'nope' } });
    expectProblem(missing, 404, 'not_found');
    const user = { email: 'dup@example.com', password: 'long enough', plan_id: 'gold' };
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/users', headers: admin, payload: user })).statusCode).toBe(201);
    const dup = await t.app.inject({ method: 'POST', url: '/v1/admin/users', headers: admin, payload: { ...user, email: 'DUP@example.com' } });
    expectProblem(dup, 409, 'conflict');
    const weak = await t.app.inject({ method: 'POST', url: '/v1/admin/users', headers: admin, payload: { ...user, email: 'w@example.com', password: 'short' } });
    expectProblem(weak, 400, 'bad_request');
    const badId = await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: '../etc', titles: '*' } });
    expectProblem(badId, 400, 'bad_request');
  });
});

describe('admin API off', () => {
  it('answers forbidden with how to turn it on', async () => {
    const t = await startTestApp({ env: { TOLLGATE_ADMIN_TOKEN: '' } });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: admin });
      expect(res.statusCode).toBe(403);
      expect(res.json().detail).toContain('TOLLGATE_ADMIN_TOKEN');
    } finally {
      await t.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every contract route from the routes’ own schemas', async () => {
    const t = await startTestApp();
    try {
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(doc.openapi).toMatch(/^3\./);
      for (const path of ['/v1/auth/login', '/v1/auth/refresh', '/v1/auth/logout', '/v1/me', '/v1/playback', '/v1/playback/{session_id}', '/v1/admin/plans', '/v1/admin/users', '/v1/admin/titles', '/.well-known/jwks.json']) {
        expect(doc.paths, path).toHaveProperty([path]);
      }
      expect(doc.paths['/v1/auth/login'].post.requestBody.content['application/json'].schema.required).toEqual(['email', 'password']);
    } finally {
      await t.close();
    }
  });
});
