/**
 * The edge examples (examples/edge: a Cloudflare Worker and a Lambda@Edge viewer-request
 * handler) run against real playback tokens of a running Tollgate, in both token formats,
 * with the keys `tollgate keys edge` prints: the genuine request reaches the media origin as
 * `/<title>/<file>`; another address, user agent or title, a forged token, an unknown key,
 * an expired token and a watermark variant folder are refused with Tollgate's codes. Cloudflare's KV and the origin are
 * stand-ins (Maps and a recording fetcher); the handlers and WebCrypto are real.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import worker, { type Env } from '../../examples/edge/cloudflare-worker.js';
import { type CloudFrontRequest, type CloudFrontRequestEvent, handler, viewerRequestHandler } from '../../examples/edge/lambda-edge.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const UA = 'Mozilla/5.0 (edge example test)';
const SEGMENT = 'hls/360p/seg_00001.ts';

describe.each(['compact', 'jwt'] as const)('edge examples with %s playback tokens', (format) => {
  let t: TestApp;
  let token: string;
  let keys: { keys: { kid: string; secret: string }[] };

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_PLAYBACK_TOKEN_FORMAT: format, TOLLGATE_BIND_IP: 'exact', TOLLGATE_PLAYBACK_BIND_UA: 'true' } });
    await registerSyntheticTitle(t.services, 'movie');
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    const bearer = (await login(t.app, viewer.email, viewer.password)).json().access_token;
    const started = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: { authorization: `Bearer ${bearer}`, 'user-agent': UA }, payload: { title_id: 'movie' } });
    token = /\/v1\/stream\/([^/]+)\//.exec(started.json().manifest_url)![1]!;
    expect(token.startsWith('tgp1.')).toBe(format === 'compact');
    const { stdout } = await run(process.execPath, [BIN, 'keys', 'edge'], { env: { ...process.env, TOLLGATE_DATA_DIR: t.config.dataDir, TOLLGATE_LOG_LEVEL: 'silent' } });
    keys = JSON.parse(stdout);
  });
  afterAll(() => t?.close());

  const forged = () => token.slice(0, -2) + (token.endsWith('AA') ? 'BA' : 'AA');
  /** Requests that must be refused, with the status and code Tollgate's gateway gives. */
  const refusals = () =>
    [
      ['another address', `/v1/stream/${token}/movie/${SEGMENT}`, '198.51.100.7', UA, 401, 'invalid_token'],
      ['another user agent', `/v1/stream/${token}/movie/${SEGMENT}`, '127.0.0.1', 'curl/8', 401, 'invalid_token'],
      ['another title', `/v1/stream/${token}/other/${SEGMENT}`, '127.0.0.1', UA, 403, 'forbidden'],
      ['a path outside the title', `/v1/stream/${token}/movie/hls/../../other/a.ts`, '127.0.0.1', UA, 403, 'forbidden'],
      ['a forged token', `/v1/stream/${forged()}/movie/${SEGMENT}`, '127.0.0.1', UA, 401, 'invalid_token'],
      ['no token', `/movie/${SEGMENT}`, '127.0.0.1', UA, 404, 'not_found'],
      ['a watermark variant folder', `/v1/stream/${token}/movie/hls/360p/a/seg_00001.ts`, '127.0.0.1', UA, 404, 'not_found'],
      ['the other variant folder', `/v1/stream/${token}/movie/hls/360p/b/seg_00001.ts`, '127.0.0.1', UA, 404, 'not_found'],
      ['a DASH variant folder', `/v1/stream/${token}/movie/dash/360p/b/seg-00001.m4s`, '127.0.0.1', UA, 404, 'not_found'],
      ['the edge names folder', `/v1/stream/${token}/movie/hls/360p/v/AAAAAAAAAAAAAAAAAAAAAA.ts`, '127.0.0.1', UA, 404, 'not_found'],
    ] as const;

  describe('Cloudflare Worker', () => {
    const originRequests: string[] = [];
    const env = (kv: Map<string, string>): Env => ({
      PLAYBACK_KEYS: { get: async (kid) => kv.get(kid) ?? null },
      MEDIA: {
        fetch: async (request) => {
          originRequests.push(request.url);
          return new Response('segment bytes', { status: 200 });
        },
      },
    });
    const kv = () => new Map(keys.keys.map((k) => [k.kid, k.secret]));
    const get = (path: string, ip: string, ua: string, store = kv(), method = 'GET') =>
      worker.fetch(new Request(`https://edge.example${path}`, { method, headers: { 'cf-connecting-ip': ip, 'user-agent': ua } }), env(store));

    it('fetches the file from the media origin for the genuine request', async () => {
      const response = await get(`/v1/stream/${token}/movie/${SEGMENT}`, '127.0.0.1', UA);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('segment bytes');
      expect(originRequests.at(-1)).toBe(`https://edge.example/movie/${SEGMENT}`);
    });

    it('refuses everything else with Tollgate’s codes, and never asks the origin', async () => {
      const before = originRequests.length;
      for (const [name, path, ip, ua, status, code] of refusals()) {
        const response = await get(path, ip, ua);
        expect({ name, status: response.status, code: ((await response.json()) as { code: string }).code }).toEqual({ name, status, code });
        expect(response.headers.get('content-type')).toBe('application/problem+json');
      }
      const unknownKey = await get(`/v1/stream/${token}/movie/${SEGMENT}`, '127.0.0.1', UA, new Map());
      expect(unknownKey.status).toBe(401);
      expect((await get(`/v1/stream/${token}/movie/${SEGMENT}`, '127.0.0.1', UA, kv(), 'POST')).status).toBe(405);
      expect(originRequests.length).toBe(before);
    });
  });

  describe('Lambda@Edge viewer-request handler', () => {
    const event = (uri: string, ip: string, ua: string): CloudFrontRequestEvent => ({
      Records: [{ cf: { request: { clientIp: ip, method: 'GET', uri, querystring: '', headers: { 'user-agent': [{ key: 'User-Agent', value: ua }] } } } }],
    });

    it('rewrites the genuine request to the origin file', async () => {
      const answer = (await viewerRequestHandler(keys, () => t.clock.now)(event(`/v1/stream/${token}/movie/${SEGMENT}`, '127.0.0.1', UA))) as CloudFrontRequest;
      expect(answer.uri).toBe(`/movie/${SEGMENT}`);
    });

    it('answers everything else itself, with Tollgate’s codes', async () => {
      const check = viewerRequestHandler(keys, () => t.clock.now);
      for (const [name, uri, ip, ua, status, code] of refusals()) {
        const answer = await check(event(uri, ip, ua));
        expect({ name, status: 'status' in answer ? answer.status : 'passed', code: 'body' in answer ? JSON.parse(answer.body).code : undefined }).toEqual({ name, status: String(status), code });
      }
      const expired = await viewerRequestHandler(keys, () => t.clock.now + 7 * 3600_000)(event(`/v1/stream/${token}/movie/${SEGMENT}`, '127.0.0.1', UA));
      expect('body' in expired && JSON.parse(expired.body).code).toBe('token_expired');
      // As shipped, before the deploy step bundles the keys: nothing passes.
      const undeployed = await handler(event(`/v1/stream/${token}/movie/${SEGMENT}`, '127.0.0.1', UA));
      expect('status' in undeployed && undeployed.status).toBe('401');
    });
  });
});
