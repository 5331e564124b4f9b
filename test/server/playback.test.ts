import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('playback and the gateway (path mode)', () => {
  let t: TestApp;
  let kid: string;
  let bearer: { authorization: string };
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;

  beforeAll(async () => {
    t = await startTestApp();
    ({ kid } = await registerSyntheticTitle(t.services, 'movie'));
    await registerSyntheticTitle(t.services, 'other');
    await registerSyntheticTitle(t.services, 'premium');
    viewer = await seedSubscriber(t.app, { plan: 'basic', titles: ['movie', 'other'] });
    bearer = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  });
  afterAll(() => t.close());

  const start = async (titleId = 'movie', headers = bearer) =>
    t.app.inject({ method: 'POST', url: '/v1/playback', headers, payload: { title_id: titleId } });
  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, ''), headers });
  const near = (manifest: string, path: string) => manifest.replace('hls/master.m3u8', `hls/${path}`);

  it('starts a session with an absolute manifest URL carrying the token in its path', async () => {
    const res = await start();
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.manifest_url).toMatch(new RegExp(`^${t.config.publicUrl}/v1/stream/tgp1\\.[^/]+/movie/hls/master\\.m3u8$`));
    expect(typeof body.session_id).toBe('string');
    expect(Date.parse(body.expires_at)).toBeGreaterThan(t.clock.now);
  });

  it('lists the subscriber’s titles', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/titles', headers: bearer });
    expect(res.json().titles.map((x: { id: string }) => x.id)).toEqual(['movie', 'other']);
  });

  it('refuses titles outside the plan, unknown titles and anonymous callers', async () => {
    expect((await start('premium')).json().code).toBe('not_entitled');
    expect((await start('premium')).statusCode).toBe(403);
    expect((await start('nope')).statusCode).toBe(404);
    expect((await start('movie', { authorization: '' })).statusCode).toBe(401);
    const bad = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: bearer, payload: { title_id: 'movie', protocol: 'rtmp' } });
    expect(bad.statusCode).toBe(400);
  });

  it('serves playlists, segments with ranges and validators, and the key only to the session', async () => {
    const { manifest_url } = (await start()).json();
    const master = await get(manifest_url);
    expect(master.statusCode).toBe(200);
    expect(master.headers['content-type']).toContain('application/vnd.apple.mpegurl');
    expect(master.body).toContain('360p/index.m3u8');

    const segment = await get(near(manifest_url, '360p/seg_00001.ts'));
    expect(segment.statusCode).toBe(200);
    expect(segment.rawPayload).toEqual(Buffer.alloc(1000, 2));
    expect(segment.headers['accept-ranges']).toBe('bytes');
    expect(segment.headers['cache-control']).toContain('max-age');
    const partial = await get(near(manifest_url, '360p/seg_00001.ts'), { range: 'bytes=10-19' });
    expect(partial.statusCode).toBe(206);
    expect(partial.headers['content-range']).toBe('bytes 10-19/1000');
    expect(partial.rawPayload).toHaveLength(10);
    const notModified = await get(near(manifest_url, '360p/seg_00001.ts'), { 'if-none-match': String(segment.headers.etag) });
    expect(notModified.statusCode).toBe(304);
    expect((await get(near(manifest_url, '360p/seg_00001.ts'), { range: 'bytes=5000-' })).statusCode).toBe(416);

    const key = await get(near(manifest_url, `keys/${kid}`));
    expect(key.statusCode).toBe(200);
    expect(key.headers['cache-control']).toBe('no-store');
    const stored = await t.services.stores.titles.contentKey(kid);
    expect(key.rawPayload).toEqual(Buffer.from(openContentKey(t.services.sealer, kid, stored!.sealed)));
    expect(key.rawPayload).toHaveLength(16);
  });

  it('refuses tampered, foreign-title, traversing and expired tokens, each with its own code', async () => {
    const { manifest_url } = (await start()).json();
    const token = /\/v1\/stream\/([^/]+)\//.exec(manifest_url)![1]!;
    const tampered = manifest_url.replace(token, `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`);
    expect((await get(tampered)).json().code).toBe('invalid_token');
    expect((await get(manifest_url.replace(token, 'garbage'))).statusCode).toBe(401);
    const otherTitle = await get(manifest_url.replace('/movie/', '/other/'));
    expect(otherTitle.statusCode).toBe(403);
    expect(otherTitle.json().code).toBe('forbidden');
    for (const escape of ['../../other/hls/master.m3u8', '360p/%2e%2e/%2e%2e/other/hls/master.m3u8', '360p/..%2f..%2fother/hls/master.m3u8']) {
      const res = await get(near(manifest_url, escape));
      expect([403, 404]).toContain(res.statusCode);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await get(near(manifest_url, 'keys/00000000000000000000000000000000'))).statusCode).toBe(404);
    const now = t.clock.now;
    try {
      t.clock.now = now + t.config.playbackTokenTtlSec * 1000 + 1000;
      const expired = await get(manifest_url);
      expect(expired.statusCode).toBe(401);
      expect(expired.json().code).toBe('token_expired');
    } finally {
      t.clock.now = now;
    }
  });

  it('stops a session: its URLs stop working within seconds', async () => {
    const { manifest_url, session_id } = (await start()).json();
    const segmentUrl = near(manifest_url, '360p/seg_00000.ts');
    expect((await get(segmentUrl)).statusCode).toBe(200);
    const stop = await t.app.inject({ method: 'DELETE', url: `/v1/playback/${session_id}`, headers: bearer });
    expect(stop.statusCode).toBe(204);
    const now = t.clock.now;
    try {
      t.clock.now = now + 2_000;
      const refused = await get(segmentUrl);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().code).toBe('token_revoked');
    } finally {
      t.clock.now = now;
    }
    // Another subscriber cannot stop someone else's session.
    const stranger = await seedSubscriber(t.app, { plan: 'basic2', titles: ['movie'] });
    const strangerAuth = { authorization: `Bearer ${(await login(t.app, stranger.email, stranger.password)).json().access_token}` };
    const mine = (await start()).json();
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/playback/${mine.session_id}`, headers: strangerAuth })).statusCode).toBe(404);
  });

  it('ends playback when the login is revoked, and withholds keys when the plan drops the title', async () => {
    const tokens = (await login(t.app, viewer.email, viewer.password)).json();
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const { manifest_url } = (await start('movie', auth)).json();
    expect((await get(manifest_url)).statusCode).toBe(200);
    await t.app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: tokens.refresh_token } });
    const now = t.clock.now;
    try {
      t.clock.now = now + 2_000;
      expect((await get(manifest_url)).json().code).toBe('token_revoked');
    } finally {
      t.clock.now = now;
    }

    const live = (await start()).json();
    await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'basic', titles: ['other'] } });
    try {
      const key = await get(near(live.manifest_url, `keys/${kid}`));
      expect(key.statusCode).toBe(403);
      expect(key.json().code).toBe('not_entitled');
    } finally {
      await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'basic', titles: ['movie', 'other'] } });
    }
  });
});

describe('query and cookie token modes', () => {
  it('query mode rewrites playlists so every URI carries the token', async () => {
    const t = await startTestApp({ env: { TOLLGATE_TOKEN_MODE: 'query' } });
    try {
      const { kid } = await registerSyntheticTitle(t.services, 'movie');
      const viewer = await seedSubscriber(t.app, { titles: '*' });
      const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
      const { manifest_url } = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json();
      expect(manifest_url).toMatch(/\/v1\/media\/movie\/hls\/master\.m3u8\?tg=tgp1\./);
      const token = new URL(manifest_url).searchParams.get('tg')!;
      const master = await t.app.inject({ method: 'GET', url: manifest_url.replace(t.config.publicUrl, '') });
      expect(master.body).toContain(`360p/index.m3u8?tg=${token}`);
      const media = await t.app.inject({ method: 'GET', url: `/v1/media/movie/hls/360p/index.m3u8?tg=${token}` });
      expect(media.body).toContain(`URI="../keys/${kid}?tg=${token}"`);
      expect(media.body).toContain(`seg_00000.ts?tg=${token}`);
      expect((await t.app.inject({ method: 'GET', url: '/v1/media/movie/hls/360p/seg_00000.ts' })).statusCode).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('cookie mode sets an HttpOnly cookie scoped to the title', async () => {
    const t = await startTestApp({ env: { TOLLGATE_TOKEN_MODE: 'cookie' } });
    try {
      await registerSyntheticTitle(t.services, 'movie');
      const viewer = await seedSubscriber(t.app, { titles: '*' });
      const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
      const res = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } });
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^tg=tgp1\.[^;]+; Path=\/v1\/media\/movie\/; HttpOnly/);
      const url = res.json().manifest_url.replace(t.config.publicUrl, '');
      expect(url).toBe('/v1/media/movie/hls/master.m3u8');
      const ok = await t.app.inject({ method: 'GET', url, headers: { cookie: cookie.split(';')[0]! } });
      expect(ok.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
