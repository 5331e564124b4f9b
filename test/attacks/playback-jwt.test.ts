/**
 * Attacks on the JWT form of the playback token (TOLLGATE_PLAYBACK_TOKEN_FORMAT=jwt), on every
 * path a playback token is checked: the gateway in path, query and cookie modes, the fast path
 * in front of it on a real socket, and the license_url route. Forgeries made with jose — alg
 * none, another key, the right key under another typ, missing claims, expired, bound to
 * another network or user agent, for another title — are refused; so are an access token
 * used as a playback token and a playback token used as an access token. The genuine token
 * plays on each path (so each refusal is the check's doing), and jose verifies it with the
 * key `tollgate keys edge` prints.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAYBACK_JWT_TYP } from '../../src/core/playback-token-jwt.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitleAs } from '../support/titles.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const UA = 'Mozilla/5.0 (tollgate attack test)';
const MODES = ['path', 'query', 'cookie'] as const;
type Mode = (typeof MODES)[number];

interface Rig {
  t: TestApp;
  /** The genuine playback JWTs of an HLS and a DASH session of "movie". */
  hls: string;
  dash: string;
  dashKid: string;
  bearer: string;
  secret: Uint8Array;
}

async function startRig(mode: Mode): Promise<Rig> {
  const t = await startTestApp({
    env: { TOLLGATE_PLAYBACK_TOKEN_FORMAT: 'jwt', TOLLGATE_TOKEN_MODE: mode, TOLLGATE_BIND_IP: 'exact', TOLLGATE_PLAYBACK_BIND_UA: 'true' },
  });
  const { dash } = await registerSyntheticTitleAs(t.services, 'movie', ['hls', 'dash']);
  await registerSyntheticTitleAs(t.services, 'other', ['hls']);
  const viewer = await seedSubscriber(t.app, { titles: ['movie', 'other'] });
  const bearer = (await login(t.app, viewer.email, viewer.password)).json().access_token as string;
  const start = async (protocol: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/playback',
      headers: { authorization: `Bearer ${bearer}`, 'user-agent': UA },
      payload: { title_id: 'movie', protocol },
    });
    expect(res.statusCode).toBe(201);
    return mode === 'cookie' ? /^tg=([^;]+)/.exec(String(res.headers['set-cookie']))![1]! : tokenOf(res.json().manifest_url);
  };
  const hls = await start('hls');
  const dashToken = await start('dash');
  const [current] = await t.services.playbackKeys.verifyingSecrets();
  return { t, hls, dash: dashToken, dashKid: Buffer.from(dash!.sd.kid, 'base64url').toString('hex'), bearer, secret: current!.secret };
}

/** The token out of a manifest URL in path or query mode. */
function tokenOf(manifestUrl: string): string {
  const url = new URL(manifestUrl);
  return url.searchParams.get('tg') ?? /\/v1\/stream\/([^/]+)\//.exec(url.pathname)![1]!;
}

/** A media request for "movie" carrying token as the mode carries it. */
function media(rig: Rig, mode: Mode, token: string, path = 'hls/master.m3u8', ua = UA) {
  const headers: Record<string, string> = { 'user-agent': ua, ...(mode === 'cookie' ? { cookie: `tg=${token}` } : {}) };
  const url = mode === 'path' ? `/v1/stream/${token}/movie/${path}` : `/v1/media/movie/${path}${mode === 'query' ? `?tg=${encodeURIComponent(token)}` : ''}`;
  return rig.t.app.inject({ method: 'GET', url, headers });
}

function license(rig: Rig, token: string) {
  return rig.t.app.inject({
    method: 'POST',
    url: `/v1/license/s/${token}/movie`,
    headers: { 'content-type': 'application/octet-stream', 'user-agent': UA },
    payload: JSON.stringify({ kids: [Buffer.from(rig.dashKid, 'hex').toString('base64url')] }),
  });
}

/** Forgeries of the HLS token, each made with jose. */
async function forgeries(rig: Rig): Promise<Array<[string, string, number]>> {
  const header = decodeProtectedHeader(rig.hls) as { alg: string; kid: string };
  const claims = decodeJwt(rig.hls);
  const sign = (payload: JWTPayload, h: Record<string, unknown> = header, secret = rig.secret) =>
    new SignJWT(payload).setProtectedHeader(h as { alg: string }).sign(secret);
  const { sid: _sid, ...withoutSid } = claims;
  const now = Math.floor(rig.t.clock.now / 1000);
  return [
    ['alg none', new UnsecuredJWT(claims).encode(), 401],
    ['alg none with the typ and kid', `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${rig.hls.split('.')[1]}.`, 401],
    ['another key', await sign(claims, header, new Uint8Array(32).fill(1)), 401],
    ['the right key, typ JWT', await sign(claims, { ...header, typ: 'JWT' }), 401],
    ['the right key, no sid', await sign(withoutSid), 401],
    ['the right key, expired', await sign({ ...claims, exp: now - 1, iat: now - 100 }), 401],
    ['the right key, another network', await sign({ ...claims, ip: '198.51.100.7' }), 401],
    ['the right key, another title', await sign({ ...claims, video_id: 'other' }), 403],
    ['the right key, another user agent', await sign({ ...claims, ua_hash: 'AAAAAAAAAAAA' }), 401],
    ['an access token', rig.bearer, 401],
  ];
}

describe.each(MODES)('playback JWTs in %s mode', (mode) => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig(mode);
  });
  afterAll(() => rig?.t.close());

  it('are minted in the JWT form and play, for their user agent only', async () => {
    expect(decodeProtectedHeader(rig.hls)).toMatchObject({ alg: 'HS256', typ: PLAYBACK_JWT_TYP });
    expect((await media(rig, mode, rig.hls)).statusCode).toBe(200);
    expect((await media(rig, mode, rig.hls, 'hls/360p/seg_00000.ts')).statusCode).toBe(200);
    expect((await media(rig, mode, rig.hls, 'hls/master.m3u8', 'curl/8')).json().code).toBe('invalid_token');
  });

  it('refuse every forgery on the gateway', async () => {
    for (const [name, forged, status] of await forgeries(rig)) {
      const res = await media(rig, mode, forged);
      expect({ name, status: res.statusCode }).toEqual({ name, status });
      expect(res.json().code).toMatch(/^(invalid_token|token_expired|forbidden)$/);
    }
  });
});

describe('playback JWTs on the license route, the fast path and at the edge', () => {
  let rig: Rig;
  let base: string;
  beforeAll(async () => {
    rig = await startRig('path');
    await rig.t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(rig.t.app.server.address() as { port: number }).port}`;
  });
  afterAll(() => rig?.t.close());

  it('license_url: the genuine token gets its keys, every forgery is refused', async () => {
    expect((await license(rig, rig.dash)).statusCode).toBe(200);
    const dashClaims = decodeJwt(rig.dash);
    const header = decodeProtectedHeader(rig.dash) as { alg: string };
    const forged = await new SignJWT({ ...dashClaims, scope: '' }).setProtectedHeader({ ...header, typ: 'JWT' }).sign(rig.secret);
    expect((await license(rig, forged)).statusCode).toBe(401);
    for (const [name, token, status] of await forgeries(rig)) {
      // Forgeries of the HLS token: on the license route even a genuine HLS token is no license.
      const res = await license(rig, token);
      expect({ name, refused: res.statusCode >= 400 && res.statusCode < 500 }).toEqual({ name, refused: true });
      if (status === 401) expect(res.statusCode).toBe(401);
    }
  });

  it('fast path: serves the cached genuine token, and never a forgery', async () => {
    const segment = (token: string) => fetch(`${base}/v1/stream/${token}/movie/hls/360p/seg_00001.ts`, { headers: { 'user-agent': UA } });
    const fastResponses = async () => {
      const text = (await rig.t.app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(text.split('\n').find((l) => l.startsWith('tollgate_gateway_fast_responses_total'))?.split(' ')[1] ?? 0);
    };
    expect((await segment(rig.hls)).status).toBe(200);
    const before = await fastResponses();
    expect((await segment(rig.hls)).status).toBe(200);
    expect(await fastResponses()).toBe(before + 1);
    for (const [name, forged, status] of await forgeries(rig)) {
      const first = await segment(forged);
      const again = await segment(forged);
      expect({ name, first: first.status, again: again.status }).toEqual({ name, first: status, again: status });
    }
    expect(await fastResponses()).toBe(before + 1);
  });

  it('a playback JWT is no access token', async () => {
    for (const url of ['/v1/titles', '/v1/playback']) {
      const res = await rig.t.app.inject({
        method: url === '/v1/playback' ? 'POST' : 'GET',
        url,
        headers: { authorization: `Bearer ${rig.hls}` },
        ...(url === '/v1/playback' ? { payload: { title_id: 'movie' } } : {}),
      });
      expect({ url, status: res.statusCode, code: res.json().code }).toEqual({ url, status: 401, code: 'invalid_token' });
    }
  });

  it('jose verifies the genuine token with the key `tollgate keys edge` prints', async () => {
    const { stdout } = await run('node', [BIN, 'keys', 'edge'], {
      env: { ...process.env, TOLLGATE_DATA_DIR: rig.t.config.dataDir, TOLLGATE_LOG_LEVEL: 'silent' },
    });
    const { keys } = JSON.parse(stdout) as { keys: { kid: string; secret: string }[] };
    const { kid } = decodeProtectedHeader(rig.hls);
    const key = keys.find((k) => k.kid === kid);
    expect(key).toBeDefined();
    const verified = await jwtVerify(rig.hls, Buffer.from(key!.secret, 'base64url'), {
      algorithms: ['HS256'],
      typ: PLAYBACK_JWT_TYP,
      currentDate: new Date(rig.t.clock.now),
    });
    expect(verified.payload).toMatchObject({ video_id: 'movie', scope: '', ip: '127.0.0.1', ua_hash: expect.any(String) });
    await expect(jwtVerify(rig.hls, new Uint8Array(32), { algorithms: ['HS256'] })).rejects.toThrow();
  });
});
