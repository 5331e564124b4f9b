/**
 * Threat: a way around a license check by the choice of HTTP path. license_url requests are
 * answered by a fast path in front of Fastify (src/server/license/fast-path.ts); every refusal
 * the route makes must come out of the fast path the same — status, headers, problem body —
 * and what the fast path does not handle (an oversized or chunked body, an encoded URL) must
 * reach Fastify and be refused there. Each attack is sent both ways at the same state and the
 * answers compared: an ended session, a stream evicted under the plan's limit, a country the
 * plan refuses, another web page, a blocked address, an address and a session over their rate
 * windows, a forged token, malformed and oversized bodies. The grant is compared too, and
 * that the fast path counts it, records its event and logs it like the route.
 */
import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { sendLicenseRequest, type SentResponse } from '../support/license-paths.js';
import { registerSyntheticDashTitle } from '../support/titles.js';

const GB = '81.2.69.142';
const US = '8.8.8.8';
const PARTNER = 'https://partner.example';
const EVIL = 'https://evil.example';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** Headers that differ by the moment or the connection, not by the decision. */
const TRANSIENT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const PER_SESSION = 4;

describe('attack: around license checks by taking the fast path or the route', () => {
  let t: TestApp;
  let kid: string;
  const logs: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        TOLLGATE_TRUST_PROXY: '127.0.0.1',
        TOLLGATE_BIND_IP: 'off',
        TOLLGATE_LOG_LEVEL: 'info',
        TOLLGATE_CORS_ORIGINS: PARTNER,
        TOLLGATE_RATE_LICENSE_PER_SESSION: String(PER_SESSION),
      },
      logStream: { write: (line: string) => void logs.push(line) },
    });
    kid = Buffer.from((await registerSyntheticDashTitle(t.services, 'film')).sd.kid, 'hex').toString('base64url');
    await t.app.inject({
      method: 'POST',
      url: '/v1/admin/plans',
      headers: admin,
      payload: { id: 'gb', titles: ['film'], countries: { allow: ['GB'] }, allowed_origins: [PARTNER], max_streams: 1, stream_limit_mode: 'evict_oldest' },
    });
  });
  afterAll(() => t.close());

  /** A fresh subscriber's DASH session, started from GB on the partner page. */
  async function session(): Promise<{ url: string; id: string; auth: Record<string, string> }> {
    const viewer = await seedSubscriber(t.app, { plan: 'gb', titles: ['film'] });
    await t.app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'gb', titles: ['film'], countries: { allow: ['GB'] }, allowed_origins: [PARTNER], max_streams: 1, stream_limit_mode: 'evict_oldest' } });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    return { ...(await start(auth)), auth };
  }
  async function start(auth: Record<string, string>): Promise<{ url: string; id: string }> {
    const res = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: { ...auth, 'x-forwarded-for': GB, origin: PARTNER }, payload: { title_id: 'film', protocol: 'dash' } });
    expect(res.statusCode, res.body).toBe(201);
    return { url: res.json().license_url.replace(t.config.publicUrl, ''), id: res.json().session_id };
  }

  /** The same request on the route, then on the fast path; both answers, the fast path's checked to be its own. */
  async function both(url: string, { headers = {}, payload = JSON.stringify({ kids: [kid] }), fallsThrough = false } = {}): Promise<[SentResponse, SentResponse]> {
    const sent = { url, payload, headers: { 'content-type': 'application/octet-stream', 'x-forwarded-for': GB, origin: PARTNER, ...headers } };
    const route = await sendLicenseRequest('route', t.app, sent);
    const fast = await sendLicenseRequest('fast path', t.app, { ...sent, mayFallThrough: fallsThrough });
    expect(fast.fast).toBe(!fallsThrough);
    return [route, fast];
  }
  const fastResponses = async () =>
    Number(/^tollgate_license_fast_responses_total (\d+)$/m.exec((await t.app.inject({ method: 'GET', url: '/metrics' })).body)?.[1]);
  const comparable = (res: SentResponse) => ({
    status: res.statusCode,
    headers: Object.fromEntries(Object.entries(res.headers).filter(([name]) => !TRANSIENT.has(name))),
    body: res.body,
  });
  async function refusedAlike(code: string, url: string, options?: Parameters<typeof both>[1]): Promise<SentResponse> {
    const [route, fast] = await both(url, options);
    expect(comparable(fast)).toEqual(comparable(route));
    expect(fast.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(fast.json().code).toBe(code);
    expect(fast.body).not.toContain('"keys"');
    return fast;
  }

  it('grants alike: same status, headers (CORS, security, cache-control) and keys', async () => {
    const { url } = await session();
    const [route, fast] = await both(url);
    expect(fast.statusCode).toBe(200);
    expect(comparable(fast)).toEqual(comparable(route));
    expect(fast.headers).toMatchObject({ 'cache-control': 'no-store', 'access-control-allow-origin': PARTNER, 'x-content-type-options': 'nosniff' });
    expect(fast.json().keys).toHaveLength(1);
  });

  it('refuses an ended session alike', async () => {
    const { url, id, auth } = await session();
    await t.app.inject({ method: 'DELETE', url: `/v1/playback/${id}`, headers: auth });
    t.clock.now += 2_000;
    const fast = await refusedAlike('token_revoked', url);
    expect(fast.headers['www-authenticate']).toContain('token_revoked');
  });

  it('refuses a stream evicted under the plan limit alike', async () => {
    const first = await session();
    await start(first.auth); // evicts the first stream (max_streams 1, evict_oldest)
    t.clock.now += 2_000;
    await refusedAlike('token_revoked', first.url);
  });

  it('refuses a country the plan does not allow alike', async () => {
    const { url } = await session();
    const fast = await refusedAlike('geo_blocked', url, { headers: { 'x-forwarded-for': US } });
    expect(fast.json().detail).toContain('(US)');
  });

  it('refuses another web page alike, without CORS access for it', async () => {
    const { url } = await session();
    const fast = await refusedAlike('origin_not_allowed', url, { headers: { origin: EVIL } });
    expect(fast.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a forged token alike', async () => {
    const { url } = await session();
    await refusedAlike('invalid_token', url.replace(/tgp1\.([^.]+)\./, 'tgp1.$1x.'));
  });

  it.each([
    ['an empty body', ''],
    ['broken JSON', '{"kids": ['],
    ['malformed kids', JSON.stringify({ kids: ['!!!'] })],
  ])('refuses %s alike', async (_name, payload) => {
    const { url } = await session();
    await refusedAlike('bad_request', url, { payload });
  });

  it('leaves an oversized body to Fastify, which refuses it with 413', async () => {
    const { url } = await session();
    await refusedAlike('payload_too_large', url, { payload: JSON.stringify({ kids: Array.from({ length: 5000 }, () => kid) }), fallsThrough: true });
  });

  it('leaves a percent-encoded URL to Fastify, which decides it', async () => {
    const { url } = await session();
    const [route, fast] = await both(url.replace(/\/film$/, '/fi%6Cm'), { fallsThrough: true });
    expect(comparable(fast)).toEqual(comparable(route));
    expect(fast.statusCode).toBe(200);
  });

  it('gives up on a client that hangs up mid-body, and answers the next one', async () => {
    const { url } = await session();
    await sendLicenseRequest('fast path', t.app, { url, payload: JSON.stringify({ kids: [kid] }), headers: { 'x-forwarded-for': GB } });
    const port = (t.app.server.address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`POST ${url} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"kids":`);
    const answered = fastResponses();
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    // The fast path settles it (a 400 nobody reads) rather than wait on a body that never comes.
    await expect.poll(fastResponses).toBe((await answered) + 1);
    const [route, fast] = await both(url);
    expect([route.statusCode, fast.statusCode]).toEqual([200, 200]);
  });

  it('refuses a session over its rate window alike, with Retry-After', async () => {
    const { url } = await session();
    for (let i = 0; i < PER_SESSION; i++) await sendLicenseRequest('fast path', t.app, { url, payload: JSON.stringify({ kids: [kid] }), headers: { 'x-forwarded-for': GB } });
    const fast = await refusedAlike('rate_limited', url);
    expect(Number(fast.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses a blocked address alike, with Retry-After', async () => {
    const { url } = await session();
    const block = await t.services.blocks.add('81.2.69.0/24', 5, 'test', null);
    try {
      const fast = await refusedAlike('address_blocked', url);
      expect(fast.headers['retry-after']).toBe('300');
    } finally {
      await t.services.blocks.lift(block!.id);
    }
  });

  it('counts, records and logs what it answers, as the route does', async () => {
    const { url, id } = await session();
    logs.length = 0;
    await both(url);
    await t.services.events.flush();
    const events = (await t.app.inject({ method: 'GET', url: `/v1/admin/events?kind=license&session_id=${id}`, headers: admin })).json().events;
    expect(events.map((e: { decision: string; ip: string }) => [e.decision, e.ip])).toEqual([
      ['grant', GB],
      ['grant', GB],
    ]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^tollgate_http_requests_total\{route="\/v1\/license\/s\/:token\/:title",method="POST",status="200"\} [1-9]\d*$/m);
    const lines = logs.map((line) => JSON.parse(line) as { msg: string; reqId: string; req?: { url: string }; res?: { statusCode: number } });
    const license = lines.filter((l) => l.req?.url.startsWith('/v1/license/s/'));
    expect(license).toHaveLength(2);
    for (const line of license) {
      expect(line.req!.url).not.toContain('tgp1.');
      expect(lines.find((l) => l.reqId === line.reqId && l.msg === 'request completed')?.res?.statusCode).toBe(200);
    }
    expect(new Set(license.map((l) => l.reqId)).size).toBe(2);
  });
});
