/**
 * A copied playback URL under the default address binding (TOLLGATE_BIND_IP=prefix): the copy
 * is refused at its first request, so it plays nothing, but the refusal must still say whose
 * genuine token was used from where (session, user, `binding_refused`), on the full path and
 * when the fast path (in front of Fastify) declined it first; and `copied_url` must find the
 * copy from those refusals while the owner keeps playing. Ways around tried: a forged or
 * altered token from the other network (it names no session, so it cannot frame one), and a
 * refusal of a session's token from its own network (no second network).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventSubscriber } from '../../src/server/monitor/event-bus.js';
import type { DecisionEvent } from '../../src/core/events.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitleAs } from '../support/titles.js';

const OWNER = { 'x-forwarded-for': '81.2.69.10', 'user-agent': 'Player/1.0' };
const COPY = { 'x-forwarded-for': '198.51.100.20', 'user-agent': 'Player/1.0' };

describe('a copied URL refused by its address binding', () => {
  let t: TestApp;
  let base: string;
  let auth: Record<string, string>;
  const seen: DecisionEvent[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_TRUST_PROXY: '127.0.0.1' } });
    await registerSyntheticTitleAs(t.services, 'movie', ['hls', 'dash']);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}`, ...OWNER };
    const collector: EventSubscriber = { name: 'test-collector', observe: (e) => void seen.push(e) };
    t.services.events.bus.subscribe(collector);
  });
  afterAll(() => t.close());

  const start = async (protocol: 'hls' | 'dash' = 'hls') => {
    const payload = { title_id: 'movie', protocol };
    const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload })).json() as { manifest_url: string; session_id: string; license_url?: string };
    const manifest = started.manifest_url.replace(t.config.publicUrl, base);
    return { ...started, manifest, segment: manifest.replace('master.m3u8', '360p/seg_00001.ts') };
  };
  const fastResponses = async () => Number((await t.app.inject({ method: 'GET', url: '/metrics' })).body.match(/tollgate_gateway_fast_responses_total (\d+)/)?.[1] ?? 0);
  const refusalsOf = async (sessionId: string) => {
    await t.services.events.flush();
    return seen.filter((e) => e.sessionId === sessionId && e.decision === 'deny');
  };

  it('full path: a token never seen before, refused at its first request from another network, names its session', async () => {
    const s = await start();
    const refused = await fetch(s.manifest, { headers: COPY });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('invalid_token');
    const [event] = await refusalsOf(s.session_id);
    expect(event).toMatchObject({ kind: 'manifest', code: 'invalid_token', ip: '198.51.100.20', titleId: 'movie', detail: { binding_refused: true } });
    expect(event!.userId).toBeDefined();
  });

  it('fast path: a segment the fast path serves the owner, then declines for the copy, names its session when the full path refuses it', async () => {
    const s = await start();
    expect((await fetch(s.segment, { headers: OWNER })).status).toBe(200);
    const before = await fastResponses();
    expect((await fetch(s.segment, { headers: OWNER })).status).toBe(200);
    expect(await fastResponses()).toBe(before + 1);
    expect((await fetch(s.segment, { headers: COPY })).status).toBe(401);
    expect(await fastResponses()).toBe(before + 1);
    expect(await refusalsOf(s.session_id)).toMatchObject([{ kind: 'segment', ip: '198.51.100.20', detail: { binding_refused: true } }]);
  });

  it('license path: a license request with the token from another network names its session', async () => {
    const s = await start('dash');
    const body = JSON.stringify({ kids: [Buffer.alloc(16, 1).toString('base64url')] });
    const refused = await fetch(s.license_url!.replace(t.config.publicUrl, base), { method: 'POST', body, headers: { ...COPY, 'content-type': 'application/octet-stream' } });
    expect(refused.status).toBe(401);
    expect(await refusalsOf(s.session_id)).toMatchObject([{ kind: 'license', ip: '198.51.100.20', detail: { binding_refused: true } }]);
  });

  it('a forged or altered token from another network names no session, so it cannot frame one', async () => {
    const s = await start();
    const token = new URL(s.manifest).pathname.split('/')[3]!;
    const altered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    for (const bad of [altered, 'tgp1.forged.x']) {
      expect((await fetch(s.segment.replace(token, bad), { headers: COPY })).status).toBe(401);
    }
    expect(await refusalsOf(s.session_id)).toEqual([]);
  });

  it('copied_url finds the copy from its refusals while the owner keeps playing, with summaries taken on the events\' clock', async () => {
    const s = await start();
    const openAlerts = async () =>
      ((await t.app.inject({ method: 'GET', url: '/v1/admin/alerts?status=open', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json() as { alerts: { detector: string; session_id?: string }[] }).alerts.filter(
        (a) => a.detector === 'copied_url' && a.session_id === s.session_id,
      );
    for (let round = 0; round < 3; round++) {
      expect((await fetch(s.segment, { headers: OWNER })).status).toBe(200);
      // No flush is asked for: the next event after the interval takes the owner's summary.
      t.clock.now += (t.config.events.summarySec + 1) * 1000;
      expect((await fetch(s.segment, { headers: COPY })).status).toBe(401);
    }
    await t.services.events.flush();
    expect(seen.filter((e) => e.sessionId === s.session_id && e.kind === 'segment' && e.decision === 'grant').length).toBeGreaterThanOrEqual(2);
    await expect.poll(openAlerts, { timeout: 5_000 }).toHaveLength(1);
  });
});
