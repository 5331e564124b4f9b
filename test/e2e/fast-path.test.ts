/**
 * The gateway's fast path (in front of Fastify) must answer exactly as the full path does,
 * and must never outlive a refusal the full path would give.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

describe('gateway fast path', () => {
  let t: TestApp;
  let base: string;
  let started: { manifest_url: string; session_id: string };
  let auth: { authorization: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_CORS_ORIGINS: 'https://player.example.com' } });
    await registerSyntheticTitle(t.services, 'movie');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json();
  });
  afterAll(() => t.close());

  const segmentUrl = () => started.manifest_url.replace(t.config.publicUrl, base).replace('master.m3u8', '360p/seg_00001.ts');
  const metric = async (prefix: string) => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(text.split('\n').find((l) => l.startsWith(prefix))?.split(' ')[1] ?? 0);
  };
  const requestsServed = () => metric('tollgate_http_requests_total{route="/v1/stream/:token/:title/*",method="GET",status="200"}');
  const fastResponses = () => metric('tollgate_gateway_fast_responses_total');

  it('answers a repeated segment request with the same status, headers and bytes as the full path', async () => {
    const headers = { origin: 'https://player.example.com' };
    const first = await fetch(segmentUrl(), { headers }); // full path: verifies, caches token and file
    const fastBefore = await fastResponses();
    const second = await fetch(segmentUrl(), { headers }); // fast path
    expect(await fastResponses()).toBe(fastBefore + 1);
    expect(second.status).toBe(first.status);
    expect(Buffer.from(await second.arrayBuffer())).toEqual(Buffer.from(await first.arrayBuffer()));
    const pick = (r: Response) =>
      Object.fromEntries(
        ['content-type', 'content-length', 'etag', 'last-modified', 'cache-control', 'accept-ranges', 'x-content-type-options', 'referrer-policy', 'x-frame-options', 'access-control-allow-origin', 'access-control-allow-credentials', 'vary'].map((h) => [h, r.headers.get(h)]),
      );
    expect(pick(second)).toEqual(pick(first));
    expect(second.headers.get('access-control-allow-origin')).toBe('https://player.example.com');
    // Its headers are prebuilt per file and CORS answer: each answer still matches the full
    // path's (taken with an If-None-Match that does not match, which the fast path leaves to it).
    for (const origin of ['https://player.example.com', 'https://elsewhere.example', undefined]) {
      const sent: Record<string, string> = origin === undefined ? {} : { origin };
      const full = await fetch(segmentUrl(), { headers: { ...sent, 'if-none-match': '"another"' } });
      const fastCount = await fastResponses();
      const fast = await fetch(segmentUrl(), { headers: sent });
      expect(await fastResponses(), `origin ${origin}`).toBe(fastCount + 1);
      expect([fast.status, pick(fast)], `origin ${origin}`).toEqual([full.status, pick(full)]);
    }
    const before = await requestsServed();
    const head = await fetch(segmentUrl(), { method: 'HEAD' });
    expect(head.status).toBe(200);
    await fetch(segmentUrl());
    expect(await requestsServed()).toBe(before + 1);
  });

  it('does not outlive a stopped session', async () => {
    await fetch(segmentUrl());
    expect((await fetch(segmentUrl())).status).toBe(200);
    await t.app.inject({ method: 'DELETE', url: `/v1/playback/${started.session_id}`, headers: auth });
    t.clock.now += 2_000;
    expect((await fetch(segmentUrl())).status).toBe(401);
    expect((await fetch(segmentUrl())).status).toBe(401);
  });
});

describe('gateway fast path behind a trusted proxy, with address-bound tokens', () => {
  it('reads the client address as the full path does and never serves another address', async () => {
    const t = await startTestApp({ env: { TOLLGATE_TRUST_PROXY: '127.0.0.1', TOLLGATE_BIND_IP: 'exact' } });
    try {
      await registerSyntheticTitle(t.services, 'movie');
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
      const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
      const client = { 'x-forwarded-for': '203.0.113.7' };
      const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}`, ...client };
      const { manifest_url } = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json();
      const segment = manifest_url.replace(t.config.publicUrl, base).replace('master.m3u8', '360p/seg_00000.ts');
      const fast = async () => Number((await t.app.inject({ method: 'GET', url: '/metrics' })).body.match(/tollgate_gateway_fast_responses_total (\d+)/)?.[1] ?? 0);

      expect((await fetch(segment, { headers: client })).status).toBe(200);
      const before = await fast();
      expect((await fetch(segment, { headers: client })).status).toBe(200);
      expect(await fast()).toBe(before + 1);
      const elsewhere = await fetch(segment, { headers: { 'x-forwarded-for': '198.51.100.1' } });
      expect(elsewhere.status).toBe(401);
      expect(((await elsewhere.json()) as { code: string }).code).toBe('invalid_token');
      expect(await fast()).toBe(before + 1);
    } finally {
      await t.close();
    }
  });
});
