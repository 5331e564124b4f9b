/**
 * Threat: a blocked client keeps logging in, starting or watching. It may name another address
 * in X-Forwarded-For, move within its IPv6 /64, ride the gateway's fast path, or use another
 * instance. Every path must answer 403 address_blocked until the block ends or is lifted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../src/server/compose.js';
import { buildApp } from '../../src/server/app.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const PROXY = '10.9.9.9';

describe('address blocks', () => {
  let t: TestApp;
  let viewer: { email: string; password: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_TRUST_PROXY: PROXY } });
    await registerSyntheticTitle(t.services, 'movie');
    viewer = await seedSubscriber(t.app, { titles: ['movie'] });
  });
  afterAll(() => t.close());

  const block = async (network: string, minutes = 10) => {
    const r = await t.app.inject({ method: 'POST', url: '/v1/admin/blocks', headers: admin, payload: { network, minutes } });
    expect(r.statusCode).toBe(201);
    return r.json() as { id: string; network: string };
  };
  const loginFrom = (remoteAddress: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress, headers, payload: { email: viewer.email, password: viewer.password } });
  const lift = (id: string) => t.app.inject({ method: 'DELETE', url: `/v1/admin/blocks/${id}`, headers: admin });

  it('refuses login, refresh, playback start, heartbeats, the gateway and licenses from a blocked network, with Retry-After', async () => {
    const signedIn = (await loginFrom('203.0.113.9')).json();
    const auth = { authorization: `Bearer ${signedIn.access_token}` };
    const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', remoteAddress: '203.0.113.9', headers: auth, payload: { title_id: 'movie' } })).json();
    const b = await block('203.0.113.0/24');
    expect(b.network).toBe('203.0.113.0/24');
    const from = { remoteAddress: '203.0.113.200' };
    const answers = [
      await loginFrom('203.0.113.200'),
      await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', ...from, payload: { refresh_token: signedIn.refresh_token } }),
      await t.app.inject({ method: 'POST', url: '/v1/playback', ...from, headers: auth, payload: { title_id: 'movie' } }),
      await t.app.inject({ method: 'POST', url: `/v1/playback/${started.session_id}/heartbeat`, ...from, headers: auth }),
      await t.app.inject({ method: 'GET', url: started.manifest_url.replace(t.config.publicUrl, ''), ...from }),
      await t.app.inject({ method: 'POST', url: '/v1/license/clearkey', ...from, payload: {} }),
    ];
    for (const r of answers) {
      expect(r.statusCode, r.body).toBe(403);
      expect(r.json().code).toBe('address_blocked');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(500);
    }
    // Other addresses, and the admin API (to lift it), are unaffected.
    expect((await loginFrom('198.51.100.1')).statusCode).toBe(200);
    expect((await lift(b.id)).statusCode).toBe(204);
    expect((await loginFrom('203.0.113.200')).statusCode).toBe(200);
    expect((await lift(b.id)).statusCode).toBe(404);
  });

  it('is not dodged by X-Forwarded-For from an untrusted peer, and holds through a trusted proxy', async () => {
    const b = await block('192.0.2.66');
    expect((await loginFrom('192.0.2.66', { 'x-forwarded-for': '198.51.100.7' })).statusCode).toBe(403);
    expect((await loginFrom(PROXY, { 'x-forwarded-for': '192.0.2.66' })).statusCode).toBe(403);
    expect((await loginFrom(PROXY, { 'x-forwarded-for': '198.51.100.7' })).statusCode).toBe(200);
    // An untrusted peer cannot frame a blocked address onto itself either.
    expect((await loginFrom('198.51.100.8', { 'x-forwarded-for': '192.0.2.66' })).statusCode).toBe(200);
    await lift(b.id);
  });

  it('covers the whole IPv6 /64 (and IPv4-mapped spellings of an IPv4 block), not the next /64', async () => {
    const b = await block('2001:db8:1:2::5/64');
    expect(b.network).toBe('2001:db8:1:2::/64');
    expect((await loginFrom('2001:db8:1:2:ffff:ffff:ffff:1')).statusCode).toBe(403);
    expect((await loginFrom('2001:db8:1:3::1')).statusCode).toBe(200);
    const v4 = await block('198.18.0.1');
    expect((await loginFrom('::ffff:198.18.0.1')).statusCode).toBe(403);
    await Promise.all([lift(b.id), lift(v4.id)]);
  });

  it('ends when it expires', async () => {
    await block('192.0.2.77', 1);
    expect((await loginFrom('192.0.2.77')).statusCode).toBe(403);
    t.clock.now += 61_000;
    expect((await loginFrom('192.0.2.77')).statusCode).toBe(200);
  });

  it('refuses bad block requests by name', async () => {
    for (const network of ['not-an-ip', '203.0.113.0/33', '999.1.1.1']) {
      const r = await t.app.inject({ method: 'POST', url: '/v1/admin/blocks', headers: admin, payload: { network, minutes: 5 } });
      expect(r.statusCode).toBe(400);
      expect(r.json().detail).toMatch(/network/);
    }
  });

  it('reaches another instance on the same database within two seconds', async () => {
    const other = await compose(t.config, { now: () => t.clock.now });
    const otherApp = buildApp(other);
    await otherApp.ready();
    try {
      const loginOther = () => otherApp.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: '192.0.2.88', payload: { email: viewer.email, password: viewer.password } });
      expect((await loginOther()).statusCode).toBe(200);
      const b = await block('192.0.2.88');
      t.clock.now += 2_000;
      expect((await loginOther()).statusCode).toBe(403);
      await lift(b.id);
      t.clock.now += 2_000;
      expect((await loginOther()).statusCode).toBe(200);
    } finally {
      await otherApp.close();
      await other.close();
    }
  });

  it('stops the gateway fast path at once', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json();
    const segment = started.manifest_url.replace(t.config.publicUrl, base).replace('master.m3u8', '360p/seg_00001.ts');
    expect((await fetch(segment)).status).toBe(200);
    expect((await fetch(segment)).status).toBe(200); // now cached: the fast path would answer
    const b = await block('127.0.0.1');
    const refused = await fetch(segment);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('address_blocked');
    await lift(b.id);
    expect((await fetch(segment)).status).toBe(200);
  });
});
