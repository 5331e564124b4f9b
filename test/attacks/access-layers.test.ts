/**
 * Threats: a manifest_url, key or license used from a country the title's rights (or the
 * plan) do not cover, and a player embedded on a web page the operator never allowed.
 * The rules: countries and browser origins are checked at playback start and on every
 * manifest, segment, AES-128 key and license request, on the slow path and the fast path, in
 * every token mode; the client address comes from X-Forwarded-For only through a trusted proxy.
 *
 * The attacks, against real addresses of the shipped country database (81.2.69.142 is GB,
 * 8.8.8.8 US, 193.0.6.139 NL) sent through a trusted proxy's X-Forwarded-For:
 * start, or use a session started in an allowed country, from a refused one; spoof
 * X-Forwarded-For from a peer that is not a trusted proxy; write country codes in lower case;
 * play from another page by Origin, by Referer alone, or from an opaque origin (Origin: null);
 * and, under the default address binding (TOLLGATE_BIND_IP=prefix), take a session's URLs to
 * another /24 or /64.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULES_RECHECK_MS } from '../../src/server/access/guard.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitleAs } from '../support/titles.js';

const GB = '81.2.69.142';
const US = '8.8.8.8';
const NL = '193.0.6.139';
const PARTNER = 'https://partner.example';
const EVIL = 'https://evil.example';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

type Headers = Record<string, string>;
interface Probe {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: string;
  readonly headers: Headers;
}

/** Where a request claims to come from, and what it should get. */
const PLACES: readonly { name: string; headers: Headers; expect: number | string }[] = [
  { name: 'GB, partner page', headers: { 'x-forwarded-for': GB, origin: PARTNER }, expect: 200 },
  { name: 'GB, no Origin or Referer (a native player)', headers: { 'x-forwarded-for': GB }, expect: 200 },
  { name: 'GB, Referer only, partner page', headers: { 'x-forwarded-for': GB, referer: `${PARTNER}/watch?v=1` }, expect: 200 },
  { name: 'US (not in the plan allow list)', headers: { 'x-forwarded-for': US, origin: PARTNER }, expect: 'geo_blocked' },
  { name: 'NL (blocked by the title)', headers: { 'x-forwarded-for': NL }, expect: 'geo_blocked' },
  { name: 'a private address (unknown country)', headers: { 'x-forwarded-for': '10.1.2.3' }, expect: 'geo_blocked' },
  { name: 'GB, another page by Origin', headers: { 'x-forwarded-for': GB, origin: EVIL }, expect: 'origin_not_allowed' },
  { name: 'GB, another page by Referer only', headers: { 'x-forwarded-for': GB, referer: `${EVIL}/embed` }, expect: 'origin_not_allowed' },
  { name: 'GB, Origin: null (sandboxed frame)', headers: { 'x-forwarded-for': GB, origin: 'null' }, expect: 'origin_not_allowed' },
  { name: 'GB, Origin null-ish and a partner Referer', headers: { 'x-forwarded-for': GB, origin: 'null', referer: `${PARTNER}/` }, expect: 'origin_not_allowed' },
];

async function expectAnswer(response: Response, expected: number | string, what: string): Promise<void> {
  if (typeof expected === 'number') {
    expect(response.status, `${what}: ${response.status} ${response.status >= 400 ? await response.text() : ''}`).toBe(expected);
    await response.arrayBuffer();
    return;
  }
  expect(response.status, what).toBe(403);
  const problem = (await response.json()) as { code: string; detail: string };
  expect(problem.code, what).toBe(expected);
}

for (const mode of ['path', 'query', 'cookie'] as const) {
  describe(`attack: around the country and origin rules (${mode} token mode)`, () => {
    let t: TestApp;
    let base: string;
    let auth: Headers;
    let kids: { hls: string; sd: string };

    beforeAll(async () => {
      // Addresses move between requests here, so tokens are not bound to them (that layer is tested apart).
      t = await startTestApp({ env: { TOLLGATE_TOKEN_MODE: mode, TOLLGATE_TRUST_PROXY: '127.0.0.1', TOLLGATE_BIND_IP: 'off' } });
      const made = await registerSyntheticTitleAs(t.services, 'film', ['hls', 'dash']);
      kids = { hls: made.hls!.kid, sd: made.dash!.sd.kid };
      const viewer = await seedSubscriber(t.app, { plan: 'gb-nl', titles: ['film'] });
      const plan = await t.app.inject({
        method: 'POST',
        url: '/v1/admin/plans',
        headers: admin,
        payload: { id: 'gb-nl', titles: ['film'], countries: { allow: ['gb', ' nl'] }, allowed_origins: [`${PARTNER}/`] },
      });
      expect(plan.json()).toMatchObject({ countries: { allow: ['GB', 'NL'] }, allowed_origins: [PARTNER] });
      const title = await t.app.inject({ method: 'PATCH', url: '/v1/admin/titles/film', headers: admin, payload: { countries: { block: ['nl'] } } });
      expect(title.json()).toEqual({ id: 'film', countries: { block: ['NL'] }, allowed_origins: [] });
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
      auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    });
    afterAll(() => t.close());

    const start = (protocol: 'hls' | 'dash', headers: Headers) =>
      fetch(`${base}/v1/playback`, { method: 'POST', headers: { ...auth, ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ title_id: 'film', protocol }) });

    /** Every request a playing session makes: manifest, segment, AES-128 key (HLS) and license (DASH). */
    async function sessionProbes(): Promise<Probe[]> {
      const probes: Probe[] = [];
      for (const protocol of ['hls', 'dash'] as const) {
        const res = await start(protocol, { 'x-forwarded-for': GB, origin: PARTNER });
        expect(res.status).toBe(201);
        const started = (await res.json()) as { manifest_url: string; license_url?: string };
        const cookie: Headers = mode === 'cookie' ? { cookie: /tg=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![0] } : {};
        const url = (path: string) => started.manifest_url.replace(t.config.publicUrl, base).replace(/(hls\/master\.m3u8|dash\/manifest\.mpd)/, path);
        if (protocol === 'hls') {
          probes.push({ name: 'manifest', method: 'GET', url: url('hls/master.m3u8'), headers: cookie });
          probes.push({ name: 'segment', method: 'GET', url: url('hls/360p/seg_00000.ts'), headers: cookie });
          probes.push({ name: 'AES-128 key', method: 'GET', url: url(`hls/keys/${kids.hls}`), headers: cookie });
        } else {
          const body = JSON.stringify({ kids: [Buffer.from(kids.sd, 'hex').toString('base64url')] });
          probes.push({ name: 'license', method: 'POST', url: started.license_url!.replace(t.config.publicUrl, base), body, headers: { 'content-type': 'application/octet-stream' } });
        }
      }
      return probes;
    }

    const send = (probe: Probe, headers: Headers) => fetch(probe.url, { method: probe.method, headers: { ...probe.headers, ...headers }, ...(probe.body ? { body: probe.body } : {}) });

    it('starts playback only from an allowed country and page, and names what refused it', async () => {
      for (const protocol of ['hls', 'dash'] as const) {
        for (const place of PLACES) await expectAnswer(await start(protocol, place.headers), place.expect === 200 ? 201 : place.expect, `${protocol} start from ${place.name}`);
      }
      const us = (await (await start('hls', { 'x-forwarded-for': US })).json()) as { detail: string };
      expect(us.detail).toContain('(US)');
      // The server's own player page is always allowed.
      await expectAnswer(await start('hls', { 'x-forwarded-for': GB, origin: new URL(t.config.publicUrl).origin }), 201, 'own page');
    });

    it('refuses every manifest, segment, key and license request of a session started in GB when it comes from elsewhere', async () => {
      const fast = async () => Number((await t.app.inject({ method: 'GET', url: '/metrics' })).body.match(/tollgate_gateway_fast_responses_total (\d+)/)?.[1] ?? 0);
      for (const probe of await sessionProbes()) {
        // Twice from an allowed place first: the segment's second request takes the fast path (path mode).
        await expectAnswer(await send(probe, PLACES[0]!.headers), 200, `${probe.name}, first request`);
        for (const place of PLACES) {
          const before = await fast();
          await expectAnswer(await send(probe, place.headers), place.expect, `${probe.name} from ${place.name}`);
          const fastAnswers = (await fast()) - before;
          if (place.expect !== 200) expect(fastAnswers, `${probe.name} from ${place.name} served by the fast path`).toBe(0);
          else if (mode === 'path' && probe.name === 'segment') expect(fastAnswers, `${probe.name} from ${place.name} by the fast path`).toBe(1);
        }
      }
    });

    it('refuses the upstream DRM license routes of license_url from elsewhere before anything is minted', async () => {
      const license = (await sessionProbes()).find((p) => p.name === 'license')!;
      for (const system of ['widevine', 'playready', 'fairplay']) {
        const probe = { ...license, url: `${license.url}/${system}` };
        for (const place of PLACES.filter((p) => p.expect !== 200)) await expectAnswer(await send(probe, place.headers), place.expect, `${system} from ${place.name}`);
      }
    });

    it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
      const spoof = { 'x-forwarded-for': GB, origin: PARTNER };
      const started = await t.app.inject({ method: 'POST', url: '/v1/playback', remoteAddress: '192.0.2.50', headers: { ...auth, ...spoof }, payload: { title_id: 'film' } });
      expect(started.statusCode).toBe(403);
      expect(started.json().code).toBe('geo_blocked');
      for (const probe of await sessionProbes()) {
        const res = await t.app.inject({ method: probe.method, url: probe.url.replace(base, ''), remoteAddress: '192.0.2.50', headers: { ...probe.headers, ...spoof }, ...(probe.body ? { payload: probe.body } : {}) });
        expect(res.statusCode, probe.name).toBe(403);
        expect(res.json().code, probe.name).toBe('geo_blocked');
      }
    });

    it("reaches playing sessions within seconds when an operator changes a title's rules", async () => {
      const probes = await sessionProbes();
      const segment = probes.find((p) => p.name === 'segment')!;
      const gb = PLACES[0]!.headers;
      await expectAnswer(await send(segment, gb), 200, 'before the change');
      const changed = await t.app.inject({ method: 'PATCH', url: '/v1/admin/titles/film', headers: admin, payload: { countries: { block: ['GB', 'NL'] } } });
      expect(changed.statusCode).toBe(200);
      t.clock.now += RULES_RECHECK_MS;
      for (const probe of probes) await expectAnswer(await send(probe, gb), 'geo_blocked', `${probe.name} after GB was blocked`);
      await t.app.inject({ method: 'PATCH', url: '/v1/admin/titles/film', headers: admin, payload: { countries: { block: ['NL'] } } });
      t.clock.now += RULES_RECHECK_MS;
      await expectAnswer(await send(segment, gb), 200, 'after GB was unblocked');
    });
  });
}

describe('attack: country codes and origins an operator gets wrong', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitleAs(t.services, 'film', ['hls']);
  });
  afterAll(() => t.close());

  const plan = (extra: object) => t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'p', titles: '*', ...extra } });
  const title = (body: object) => t.app.inject({ method: 'PATCH', url: '/v1/admin/titles/film', headers: admin, payload: body });

  it.each([
    ['UK (Great Britain is GB)', { countries: { allow: ['UK'] } }, 'UK'],
    ['a three-letter code', { countries: { block: ['FRA'] } }, 'FRA'],
    ['an empty allow list (would refuse everyone)', { countries: { allow: [] } }, 'empty list'],
    ['a country both allowed and blocked', { countries: { allow: ['FR'], block: ['fr'] } }, 'both allowed and blocked'],
    ['an origin with a path', { allowed_origins: ['https://a.example/player'] }, 'https://a.example/player'],
    ['an origin with a query', { allowed_origins: ['https://a.example?x=1'] }, 'https://a.example?x=1'],
    ['a non-web scheme', { allowed_origins: ['ftp://a.example'] }, 'ftp://a.example'],
    ['a bare host', { allowed_origins: ['a.example'] }, 'a.example'],
  ])('refuses %s with a 400 naming it, for plans and titles', async (_name, body, named) => {
    for (const res of [await plan(body), await title(body)]) {
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('bad_request');
      expect(res.json().detail).toContain(named);
    }
  });

  it('stores lower-case codes upper-case, normalises origins, and null removes a list', async () => {
    const set = await title({ countries: { allow: ['de', 'Fr'], block: ['us'] }, allowed_origins: ['HTTPS://Player.Example.com:443'] });
    expect(set.json()).toEqual({ id: 'film', countries: { allow: ['DE', 'FR'], block: ['US'] }, allowed_origins: ['https://player.example.com'] });
    const kept = await title({ countries: { allow: null } });
    expect(kept.json()).toEqual({ id: 'film', countries: { block: ['US'] }, allowed_origins: ['https://player.example.com'] });
    expect((await t.app.inject({ method: 'PATCH', url: '/v1/admin/titles/nope', headers: admin, payload: {} })).statusCode).toBe(404);
    const listed = (await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: admin })).json().titles[0];
    expect(listed).toMatchObject({ countries: { block: ['US'] }, allowed_origins: ['https://player.example.com'] });
  });
});

describe('attack: a playback URL taken to another network, under the default address binding', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_TRUST_PROXY: '127.0.0.1' } });
    await registerSyntheticTitleAs(t.services, 'film', ['hls', 'dash']);
  });
  afterAll(() => t.close());

  it('serves the /24 (IPv4) or /64 (IPv6) the session started from and refuses every other network', async () => {
    const viewer = await seedSubscriber(t.app, { titles: ['film'] });
    const bearer = `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}`;
    for (const [from, sameNetwork, otherNetwork] of [
      ['198.51.100.7', '198.51.100.250', '198.51.101.7'],
      ['2001:db8:1:2::7', '2001:db8:1:2:ffff::1', '2001:db8:1:3::7'],
    ] as const) {
      for (const protocol of ['hls', 'dash'] as const) {
        const started = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: { authorization: bearer, 'x-forwarded-for': from }, payload: { title_id: 'film', protocol } });
        expect(started.statusCode).toBe(201);
        const manifest = started.json().manifest_url.replace(t.config.publicUrl, '');
        const get = (address: string) => t.app.inject({ method: 'GET', url: manifest, headers: { 'x-forwarded-for': address } });
        expect((await get(sameNetwork)).statusCode, `${protocol} from ${sameNetwork}`).toBe(200);
        const elsewhere = await get(otherNetwork);
        expect(elsewhere.statusCode, `${protocol} from ${otherNetwork}`).toBe(401);
        expect(elsewhere.json().code).toBe('invalid_token');
        if (protocol === 'dash') {
          const license = await t.app.inject({ method: 'POST', url: started.json().license_url.replace(t.config.publicUrl, ''), headers: { 'x-forwarded-for': otherNetwork, 'content-type': 'application/octet-stream' }, payload: JSON.stringify({ kids: ['AAAAAAAAAAAAAAAAAAAAAA'] }) });
          expect(license.statusCode, `license from ${otherNetwork}`).toBe(401);
        }
      }
    }
  });
});
