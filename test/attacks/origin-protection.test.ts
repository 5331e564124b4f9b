/**
 * Attack: going around the edge to the origin. With TOLLGATE_ORIGIN_SECRET set, every gateway
 * request (manifest, segment, key; path, query and cookie token modes) must carry the secret
 * the CDN or nginx adds; with TOLLGATE_ORIGIN_ALLOW, it must come from an allowed peer address
 * (never one the client writes in X-Forwarded-For). Tried every way: no header, a wrong one
 * (shorter, longer, one character off, the secret twice), the right one from the wrong
 * address, a forwarded-for address, and through the fast path after a granted request has
 * warmed its caches. The API itself (login, playback start) is not the origin and stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const SECRET = 'origin-secret-0123456789abcdef';
const HEADER = 'x-tollgate-origin-secret';

async function listeningApp(env: Record<string, string>) {
  const t = await startTestApp({ env });
  await registerSyntheticTitle(t.services, 'movie');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
  const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  const start = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } });
  expect(start.statusCode).toBe(201);
  const manifest = (start.json().manifest_url as string).replace(t.config.publicUrl, base);
  const urls = {
    manifest,
    playlist: manifest.replace('master.m3u8', '360p/index.m3u8'),
    segment: manifest.replace('master.m3u8', '360p/seg_00000.ts'),
  };
  return { t, urls };
}

const expectRefused = async (res: Response) => {
  expect(res.status).toBe(403);
  const body = (await res.json()) as { code: string };
  expect(body.code).toBe('forbidden');
  expect(JSON.stringify(body)).not.toContain(SECRET);
};

describe('origin protection by a secret header', () => {
  let t: TestApp;
  let urls: Awaited<ReturnType<typeof listeningApp>>['urls'];

  beforeAll(async () => ({ t, urls } = await listeningApp({ TOLLGATE_ORIGIN_SECRET: SECRET, TOLLGATE_TOKEN_MODE: 'path' })));
  afterAll(() => t?.close());

  it('serves manifests and segments to a request with the secret', async () => {
    for (const url of [urls.manifest, urls.playlist, urls.segment]) expect((await fetch(url, { headers: { [HEADER]: SECRET } })).status, url).toBe(200);
  });

  it('refuses every gateway request without the secret or with a wrong one, token or not', async () => {
    const wrong = [undefined, '', SECRET.slice(0, -1), `${SECRET}x`, `${SECRET.slice(0, -1)}X`, SECRET + SECRET, SECRET.toUpperCase()];
    const targets = [urls.manifest, urls.playlist, urls.segment, urls.segment.replace('/tgp1.', '/tgp1.forged'), urls.segment.replace(/\/v1\/stream\/[^/]+\/movie\//, '/v1/media/movie/')];
    for (const value of wrong) {
      for (const url of targets) await expectRefused(await fetch(url, { headers: value === undefined ? {} : { [HEADER]: value } }));
    }
  });

  it('the fast path refuses too, after a granted request warmed the token and file caches', async () => {
    const fast = async () => Number((await t.app.inject({ method: 'GET', url: '/metrics' })).body.match(/tollgate_gateway_fast_responses_total (\d+)/)?.[1] ?? 0);
    expect((await fetch(urls.segment, { headers: { [HEADER]: SECRET } })).status).toBe(200);
    const before = await fast();
    expect((await fetch(urls.segment, { headers: { [HEADER]: SECRET } })).status).toBe(200);
    expect(await fast()).toBe(before + 1);
    await expectRefused(await fetch(urls.segment));
    await expectRefused(await fetch(urls.segment, { headers: { [HEADER]: 'nope' } }));
    expect(await fast()).toBe(before + 1);
  });

  it('leaves the API alone: login and playback start are not the origin', async () => {
    const viewer = await seedSubscriber(t.app, { plan: 'other', titles: ['movie'] });
    const res = await fetch(`${urls.manifest.split('/v1/')[0]}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: viewer.email, password: viewer.password }) });
    expect(res.status).toBe(200);
  });
});

describe('origin protection by an address allow-list', () => {
  it('refuses a peer outside the list, whatever X-Forwarded-For says, on the full and the fast path', async () => {
    const { t, urls } = await listeningApp({ TOLLGATE_ORIGIN_ALLOW: '10.0.0.0/8,192.0.2.1', TOLLGATE_TRUST_PROXY: '127.0.0.1' });
    try {
      for (const url of [urls.manifest, urls.segment]) {
        await expectRefused(await fetch(url));
        await expectRefused(await fetch(url, { headers: { 'x-forwarded-for': '10.1.2.3' } }));
        await expectRefused(await fetch(url, { headers: { 'x-forwarded-for': '192.0.2.1' } }));
      }
    } finally {
      await t.close();
    }
  });

  it('serves a peer inside the list (needing the secret too when both are set), and never one outside it', async () => {
    const allowed = await listeningApp({ TOLLGATE_ORIGIN_ALLOW: '127.0.0.0/8', TOLLGATE_ORIGIN_SECRET: SECRET });
    try {
      for (let i = 0; i < 2; i++) expect((await fetch(allowed.urls.segment, { headers: { [HEADER]: SECRET } })).status).toBe(200);
      await expectRefused(await fetch(allowed.urls.segment)); // both are required when both are set
    } finally {
      await allowed.t.close();
    }
    const { t, urls } = await listeningApp({ TOLLGATE_ORIGIN_ALLOW: '127.0.0.2/32' });
    try {
      for (let i = 0; i < 2; i++) await expectRefused(await fetch(urls.segment));
    } finally {
      await t.close();
    }
  });
});
