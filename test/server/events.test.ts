/**
 * Every decision is an event with its reason, user, session, device, title and address, from
 * real HTTP requests: login, refresh, playback start, heartbeat, manifest, segments (summarised,
 * the fast path included), key, license and admin calls; GET /v1/admin/events filters and
 * exports them; no event carries a token or a password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSUMED_SEGMENT_SECONDS } from '../../src/server/monitor/segment-summaries.js';
import { ADMIN_TOKEN, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitleAs } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
type Event = Record<string, unknown> & { id: string; kind: string; decision: string };

describe('decision events', () => {
  let t: TestApp;
  let base: string;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  const secrets: string[] = [];
  const geo = (ip: string) => (ip === '127.0.0.1' ? { country: 'NL', asn: 64_500 } : {});

  beforeAll(async () => {
    t = await startTestApp({ compose: { geo } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    await registerSyntheticTitleAs(t.services, 'movie', ['hls', 'dash']);
    viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    secrets.push(viewer.password, ADMIN_TOKEN);
  });
  afterAll(() => t.close());

  const call = async (method: string, path: string, body?: object, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const events = async (query = '') => {
    await t.services.events.flush();
    const response = await call('GET', `/v1/admin/events${query}`, undefined, admin);
    expect(response.status).toBe(200);
    return ((await response.json()) as { events: Event[] }).events;
  };
  const signIn = async (deviceId = 'tv-1') => {
    const response = await call('POST', '/v1/auth/login', { email: viewer.email, password: viewer.password, device_id: deviceId });
    const pair = (await response.json()) as { access_token: string; refresh_token: string };
    secrets.push(pair.access_token, pair.refresh_token);
    return pair;
  };
  const start = async (access: string, protocol: 'hls' | 'dash') => {
    const started = (await (await call('POST', '/v1/playback', { title_id: 'movie', protocol }, { authorization: `Bearer ${access}` })).json()) as {
      session_id: string;
      manifest_url: string;
      license_url?: string;
    };
    secrets.push(new URL(started.manifest_url).pathname.split('/')[3]!);
    return started;
  };
  const local = (url: string) => url.replace(t.config.publicUrl, base);

  it('records logins granted and refused, with user, device, address, country and network', async () => {
    await signIn();
    await call('POST', '/v1/auth/login', { email: viewer.email, password: 'wrong password!' });
    const logins = await events('?kind=login');
    expect(logins[0]).toMatchObject({ kind: 'login', decision: 'deny', code: 'invalid_credentials', ip: '127.0.0.1', country: 'NL', asn: 64_500, count: 1 });
    expect(logins[1]).toMatchObject({ kind: 'login', decision: 'grant', user_id: viewer.userId, device_id: 'tv-1', ip: '127.0.0.1' });
    expect(Date.parse(logins[1]!.at as string)).toBeGreaterThan(0);
  });

  it('records refreshes, playback starts and heartbeats with their session', async () => {
    const pair = await signIn();
    const refreshed = (await (await call('POST', '/v1/auth/refresh', { refresh_token: pair.refresh_token })).json()) as { access_token: string };
    secrets.push(refreshed.access_token);
    await call('POST', '/v1/auth/refresh', { refresh_token: 'not-a-refresh-token' });
    const refreshes = await events('?kind=refresh');
    expect(refreshes.find((e) => e.decision === 'grant')).toMatchObject({ user_id: viewer.userId, device_id: 'tv-1' });
    expect(refreshes.find((e) => e.decision === 'deny')).toMatchObject({ code: 'invalid_token', count: 1 });
    const fresh = await signIn('phone');
    const started = await start(fresh.access_token, 'hls');
    expect((await call('POST', `/v1/playback/${started.session_id}/heartbeat`, undefined, { authorization: `Bearer ${fresh.access_token}` })).status).toBe(204);
    expect((await events(`?session_id=${started.session_id}`)).map((e) => [e.kind, e.decision, e.user_id, e.title_id, e.device_id])).toEqual([
      ['heartbeat', 'grant', viewer.userId, undefined, 'phone'],
      ['playback_start', 'grant', viewer.userId, 'movie', 'phone'],
    ]);
    await call('POST', '/v1/playback', { title_id: 'nope' }, { authorization: `Bearer ${fresh.access_token}` });
    expect((await events('?kind=playback_start&decision=deny'))[0]).toMatchObject({ code: 'not_found', user_id: viewer.userId, title_id: 'nope' });
  });

  it('records manifests and keys one by one, and segments as one summary per session and interval, fast path included', async () => {
    const { access_token } = await signIn();
    const started = await start(access_token, 'hls');
    const manifest = local(started.manifest_url);
    expect((await fetch(manifest)).status).toBe(200);
    const media = await (await fetch(manifest.replace('master.m3u8', '360p/index.m3u8'))).text();
    const keyUri = /URI="([^"]+)"/.exec(media)?.[1];
    if (keyUri !== undefined) expect((await fetch(new URL(keyUri, manifest.replace('master.m3u8', '360p/index.m3u8')))).status).toBe(200);
    const segment = manifest.replace('master.m3u8', '360p/seg_00001.ts');
    const fastBefore = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (let i = 0; i < 5; i++) expect((await fetch(segment)).status).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).not.toBe(fastBefore);
    const own = await events(`?session_id=${started.session_id}`);
    const summary = own.find((e) => e.kind === 'segment')!;
    expect(summary).toMatchObject({ decision: 'grant', user_id: viewer.userId, title_id: 'movie', count: 5, ip: '127.0.0.1', country: 'NL' });
    // What the restreaming detector reads: media time against the interval's wall time.
    expect(summary.detail).toMatchObject({ renditions: 1, rendition_names: 'hls/360p', media_seconds: 5 * ASSUMED_SEGMENT_SECONDS });
    expect((summary.detail as { interval_ms: number }).interval_ms).toBeGreaterThan(0);
    expect((summary.detail as { bytes: number }).bytes).toBeGreaterThan(0);
    expect(own.filter((e) => e.kind === 'manifest')).toHaveLength(2);
    if (keyUri !== undefined) expect(own.filter((e) => e.kind === 'key')).toMatchObject([{ decision: 'grant', user_id: viewer.userId }]);
  });

  it('summarises denials that name no session per address and code, so a flood is one event', async () => {
    for (let i = 0; i < 20; i++) await fetch(`${base}/v1/stream/tgp1.junk${i}.x/movie/360p/seg_00001.ts`);
    const denied = (await events('?kind=segment&decision=deny')).filter((e) => e.code === 'invalid_token');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ count: 20, ip: '127.0.0.1' });
  });

  it('records licenses granted and refused with the session', async () => {
    const { access_token } = await signIn();
    const started = await start(access_token, 'dash');
    const kids = { kids: [Buffer.alloc(16, 1).toString('base64url')] };
    const response = await fetch(local(started.license_url!), { method: 'POST', body: JSON.stringify(kids), headers: { 'content-type': 'application/octet-stream' } });
    expect(response.status).toBeLessThan(500);
    const licenses = await events(`?kind=license&session_id=${started.session_id}`);
    expect(licenses[0]).toMatchObject({ kind: 'license', decision: response.status === 200 ? 'grant' : 'deny', user_id: viewer.userId, title_id: 'movie' });
  });

  it('records every admin call, granted or refused, with its route and subject', async () => {
    await call('POST', `/v1/admin/users/${viewer.userId}/revoke`, undefined, admin);
    await call('GET', '/v1/admin/titles', undefined, { authorization: 'Bearer wrong-admin-token-000000' });
    const actions = await events('?kind=admin');
    expect(actions.find((e) => (e.detail as { route?: string } | undefined)?.route === 'POST /v1/admin/users/:user_id/revoke')).toMatchObject({
      decision: 'grant',
      user_id: viewer.userId,
    });
    expect(actions.find((e) => e.decision === 'deny')).toMatchObject({ code: 'forbidden', ip: '127.0.0.1' });
  });

  it('filters by user, kind, decision and time, limits, and refuses a bad filter naming it', async () => {
    const all = await events('?limit=1000');
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort().reverse());
    expect((await events(`?user_id=${viewer.userId}&limit=1000`)).every((e) => e.user_id === viewer.userId)).toBe(true);
    expect((await events('?decision=deny&limit=1000')).every((e) => e.decision === 'deny')).toBe(true);
    expect(await events('?limit=2')).toHaveLength(2);
    expect(await events(`?since=${new Date(t.clock.now + 60_000).toISOString()}`)).toEqual([]);
    for (const [query, name] of [
      ['kind=nope', 'kind'],
      ['decision=maybe', 'decision'],
      ['since=yesterday', 'since'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['colour=red', 'colour'],
    ]) {
      const response = await call('GET', `/v1/admin/events?${query}`, undefined, admin);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(await response.json()), query).toContain(name);
    }
    expect((await call('GET', '/v1/admin/events')).status).toBe(401);
  });

  it('reads an alert\'s evidence back by ids, and refuses an id list that is not one', async () => {
    const [newest, , third] = await events('?limit=3');
    expect((await events(`?ids=${third!.id},${newest!.id}`)).map((e) => e.id)).toEqual([newest!.id, third!.id]);
    for (const bad of ['', 'a,,b', 'A1', Array.from({ length: 201 }, (_, i) => `e${i}`).join(',')]) {
      expect((await call('GET', `/v1/admin/events?ids=${bad}`, undefined, admin)).status, bad.slice(0, 20)).toBe(400);
    }
  });

  it('counts starts, keys and licenses, and denials per minute for the dashboard, every minute of the last hour', async () => {
    await t.services.events.flush();
    const response = await call('GET', '/v1/admin/events/per-minute', undefined, admin);
    const { minutes } = (await response.json()) as { minutes: { at: string; starts: number; licenses: number; denials: number }[] };
    expect(minutes).toHaveLength(60);
    expect(minutes.map((m) => Date.parse(m.at))).toEqual(minutes.map((_, i) => Date.parse(minutes[0]!.at) + i * 60_000));
    const total = (field: 'starts' | 'licenses' | 'denials') => minutes.reduce((n, m) => n + m[field], 0);
    const all = await events('?limit=1000');
    const count = (match: (e: Event) => boolean) => all.filter(match).reduce((n, e) => n + (e.count as number), 0);
    expect(total('starts')).toBe(count((e) => e.kind === 'playback_start' && e.decision === 'grant'));
    expect(total('licenses')).toBe(count((e) => (e.kind === 'key' || e.kind === 'license') && e.decision === 'grant'));
    expect(total('denials')).toBe(count((e) => e.decision === 'deny'));
    expect(total('starts')).toBeGreaterThan(0);
    expect((await call('GET', `/v1/admin/events/per-minute?since=${new Date(t.clock.now - 25 * 3_600_000).toISOString()}`, undefined, admin)).status).toBe(400);
  });

  it('exports the same events as NDJSON, by Accept header or format=ndjson', async () => {
    const listed = await events('?limit=1000');
    for (const [query, headers] of [
      ['', { accept: 'application/x-ndjson' }],
      ['?format=ndjson', {}],
    ] as const) {
      const response = await call('GET', `/v1/admin/events${query}`, undefined, { ...admin, ...headers });
      expect(response.headers.get('content-type')).toContain('application/x-ndjson');
      // Newest first; the listing's own admin event may be written in between (the writer flushes every second).
      const lines = (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as Event).filter((e) => e.id <= listed[0]!.id);
      expect(lines.slice(0, listed.length).map((e) => e.id)).toEqual(listed.map((e) => e.id).slice(0, lines.length));
    }
  });

  it('never records a token, password or admin token', async () => {
    const everything = JSON.stringify(await events('?limit=1000'));
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toContain('tgp1.');
  });
});
