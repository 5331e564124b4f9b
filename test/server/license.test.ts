import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICIES } from '../../src/core/drm/policy.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { LICENSE_PATHS, sendLicenseRequest } from '../support/license-paths.js';
import { registerSyntheticDashTitle } from '../support/titles.js';

const b64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

describe.each(LICENSE_PATHS)('ClearKey licenses through license_url (the entitlement proxy), by the %s', (via) => {
  let t: TestApp;
  let keys: Awaited<ReturnType<typeof registerSyntheticDashTitle>>;
  let other: Awaited<ReturnType<typeof registerSyntheticDashTitle>>;
  let auth: { authorization: string };

  beforeAll(async () => {
    t = await startTestApp();
    keys = await registerSyntheticDashTitle(t.services, 'drm');
    other = await registerSyntheticDashTitle(t.services, 'drm2');
    const viewer = await seedSubscriber(t.app, { titles: ['drm', 'drm2'] });
    auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  });
  afterAll(() => t.close());

  const play = async (titleId = 'drm') =>
    (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: titleId, protocol: 'dash' } })).json();
  const license = (url: string, payload: string | object, options: { mayFallThrough?: boolean } = {}) =>
    sendLicenseRequest(via, t.app, {
      url: url.replace(t.config.publicUrl, ''),
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      headers: { 'content-type': 'application/octet-stream' },
      ...options,
    });

  it('hands out a license_url and writes it into the MPD', async () => {
    const started = await play();
    expect(started.license_url).toMatch(new RegExp(`^${t.config.publicUrl}/v1/license/s/tgp1\\.[^/]+/drm$`));
    const mpd = await t.app.inject({ method: 'GET', url: started.manifest_url.replace(t.config.publicUrl, '') });
    expect(mpd.body).toContain(`<dashif:laurl>${started.license_url}</dashif:laurl>`);
    expect(mpd.body).not.toContain('LICENSE_URL');
  });

  it('answers a request for every kid with the SD and audio keys only (ClearKey is a software CDM)', async () => {
    const { license_url } = await play();
    const res = await license(license_url, { kids: [keys.sd.kid, keys.hd.kid, keys.uhd.kid, keys.audio.kid].map(b64url), type: 'temporary' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body.type).toBe('temporary');
    const given = Object.fromEntries(body.keys.map((k: { kid: string; k: string; kty: string }) => [k.kid, k.k]));
    expect(given).toEqual({
      [b64url(keys.sd.kid)]: Buffer.from(keys.sd.key).toString('base64url'),
      [b64url(keys.audio.kid)]: Buffer.from(keys.audio.key).toString('base64url'),
    });
    expect(body.keys.every((k: { kty: string }) => k.kty === 'oct')).toBe(true);
    expect(res.body).not.toMatch(/[=+/]"/);
  });

  it('accepts what real players send: no type, hex kids', async () => {
    const { license_url } = await play();
    const res = await license(license_url, { kids: [keys.sd.kid] });
    expect(res.statusCode).toBe(200);
    expect(res.json().keys).toHaveLength(1);
  });

  it.each([
    ['an empty body', ''],
    ['broken JSON', '{"kids": ['],
    ['kids that are not a list', { kids: 'abc' }],
    ['malformed kids', { kids: ['!!!'] }],
    ['an empty list', { kids: [] }],
  ])('refuses %s with 400 and no key material', async (_name, payload) => {
    const { license_url } = await play();
    const res = await license(license_url, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('bad_request');
    expect(res.body).not.toContain('"keys"');
  });

  it('refuses a huge body with 413 (the fast path leaves it to Fastify)', async () => {
    const { license_url } = await play();
    const res = await license(license_url, { kids: Array.from({ length: 5000 }, () => b64url(keys.sd.kid)) }, { mayFallThrough: true });
    expect(res.statusCode).toBe(413);
    expect(res.fast).toBe(false);
  });

  it('gives no key of another title', async () => {
    const { license_url } = await play('drm');
    const res = await license(license_url, { kids: [b64url(other.sd.kid), b64url(other.audio.kid)] });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('not_entitled');
  });

  it('refuses licenses to ended sessions and tampered tokens', async () => {
    const { license_url, session_id } = await play();
    await t.app.inject({ method: 'DELETE', url: `/v1/playback/${session_id}`, headers: auth });
    t.clock.now += 2_000;
    const ended = await license(license_url, { kids: [b64url(keys.sd.kid)] });
    expect(ended.statusCode).toBe(401);
    expect(ended.json().code).toBe('token_revoked');
    const fresh = (await play()).license_url as string;
    const tampered = await license(fresh.replace(/tgp1\.([^.]+)\./, 'tgp1.$1x.'), { kids: [b64url(keys.sd.kid)] });
    expect(tampered.json().code).toBe('invalid_token');
  });

  it('refuses a license when the plan no longer covers the title', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const { license_url } = await play('drm');
    const viewerPlan = (await t.app.inject({ method: 'GET', url: '/v1/me', headers: auth })).json().plan_id;
    await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: viewerPlan, titles: ['drm2'] } });
    try {
      const res = await license(license_url, { kids: [b64url(keys.sd.kid)] });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('not_entitled');
    } finally {
      await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: viewerPlan, titles: ['drm', 'drm2'] } });
    }
  });
});

describe('POST /v1/license/clearkey (the license server for a remote proxy)', () => {
  let t: TestApp;
  let keys: Awaited<ReturnType<typeof registerSyntheticDashTitle>>;
  let message: string;

  beforeAll(async () => {
    t = await startTestApp();
    keys = await registerSyntheticDashTitle(t.services, 'drm');
    const viewer = await seedSubscriber(t.app, { titles: ['drm'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const { license_url } = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } })).json();
    const [, token, title] = /\/v1\/license\/s\/([^/]+)\/([^/]+)$/.exec(license_url)!;
    const minted = await t.services.proxy.entitle({ token: token!, titleId: title!, ip: '127.0.0.1', userAgent: '' });
    if (!minted.ok) throw new Error(minted.detail);
    message = minted.value;
  });
  afterAll(() => t.close());

  const post = (headers: Record<string, string>, payload: object = { kids: [b64url(keys.sd.kid)] }) =>
    t.app.inject({ method: 'POST', url: '/v1/license/clearkey', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) });

  it('accepts an entitlement message once and refuses it the second time', async () => {
    const first = await post({ 'x-tollgate-entitlement': message });
    expect(first.statusCode).toBe(200);
    expect(first.json().keys).toHaveLength(1);
    const again = await post({ 'x-tollgate-entitlement': message });
    expect(again.statusCode).toBe(401);
    expect(again.json().detail).toContain('already used');
  });

  it('refuses missing, forged, other-kind and expired messages', async () => {
    expect((await post({})).json().code).toBe('unauthorized');
    const [h, p, s] = message.split('.');
    const forged = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await post({ 'x-tollgate-entitlement': forged })).json().code).toBe('invalid_token');
    const viewer = await seedSubscriber(t.app, { plan: 'p2', titles: ['drm'] });
    const access = (await login(t.app, viewer.email, viewer.password)).json().access_token;
    expect((await post({ 'x-tollgate-entitlement': access })).json().code).toBe('invalid_token');
    t.clock.now += 120_000;
    try {
      expect((await post({ 'x-tollgate-entitlement': message })).json().code).toBe('token_expired');
    } finally {
      t.clock.now -= 120_000;
    }
  });
});

describe('the in-process handoff (entitlement proxy and license server in one process)', () => {
  let t: TestApp;
  let keys: Awaited<ReturnType<typeof registerSyntheticDashTitle>>;

  beforeAll(async () => {
    t = await startTestApp();
    keys = await registerSyntheticDashTitle(t.services, 'drm');
  });
  afterAll(() => t.close());

  const handedOver = (jti: string) => {
    const iat = Math.floor(t.services.now() / 1000);
    return {
      jti,
      iat,
      exp: iat + 30,
      sid: 'handoff',
      title: 'drm',
      content_keys: [
        { kid: keys.sd.kid, key: keys.sd.key, usage_policy: 'sd' },
        { kid: keys.hd.kid, key: keys.hd.key, usage_policy: 'hd' },
      ],
      usage_policies: [DEFAULT_POLICIES.sd, DEFAULT_POLICIES.hd],
      license: { duration_sec: 60 },
    };
  };
  const request = () => ({ kids: [keys.sd.kid, keys.hd.kid].map(b64url) });

  it('consumes a handed-over entitlement once across instances and still withholds keys by policy', async () => {
    const entitlement = handedOver('handed-over-once-0001');
    const first = await t.services.licenseServer.clearKeyHandedOver(entitlement, request());
    expect(first.ok && first.value.keys.map((k) => k.kid)).toEqual([b64url(keys.sd.kid)]);
    const again = await t.services.licenseServer.clearKeyHandedOver(entitlement, request());
    expect(again.ok).toBe(false);
    expect(!again.ok && again.detail).toContain('already used');
  });

  it('goes through license_url without signing or verifying a message, its jti consumed in hot state', async () => {
    const viewer = await seedSubscriber(t.app, { titles: ['drm'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const { license_url } = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } })).json();
    const consumed = vi.spyOn(t.services.hot, 'consumeOnce');
    const verified = vi.spyOn(t.services.licenseServer, 'clearKey');
    try {
      const res = await t.app.inject({ method: 'POST', url: license_url.replace(t.config.publicUrl, ''), payload: JSON.stringify(request()) });
      expect(res.statusCode).toBe(200);
      expect(consumed).toHaveBeenCalledTimes(1);
      expect(consumed.mock.calls[0]![0]).toMatch(/^entitlement-jti:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(verified).not.toHaveBeenCalled();
      // The proxy's caches show in /metrics: the title's keys were read once, then held.
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^tollgate_cache_misses_total\{cache="title_drm_keys"\} 1$/m);
      expect(metrics).toMatch(/^tollgate_cache_entries\{cache="title_drm_keys"\} 1$/m);
      expect(metrics).toMatch(/^tollgate_cache_entries\{cache="playback_tokens"\} 1$/m);
      await t.app.inject({ method: 'POST', url: license_url.replace(t.config.publicUrl, ''), payload: JSON.stringify(request()) });
      const again = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(again).toMatch(/^tollgate_cache_hits_total\{cache="title_drm_keys"\} [1-9]\d*$/m);
      expect(again).toMatch(/^tollgate_cache_hits_total\{cache="playback_tokens"\} [1-9]\d*$/m);
    } finally {
      consumed.mockRestore();
      verified.mockRestore();
    }
  });
});
