/**
 * GET /openapi.json is complete and true: it is a valid OpenAPI 3.1 document, it lists every
 * route the app serves with its answers, and every route, called the right way and a wrong
 * way, answers with a status it documents and a body that matches the documented schema.
 */
import { createServer, type Server } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { ADMIN_TOKEN, login, seedSubscriber } from '../support/app.js';
import { enrolMfa, totpCode } from '../support/mfa.js';
import { registerSyntheticDashTitle, registerSyntheticTitle } from '../support/titles.js';
import { packageTitle } from '../../src/cli/package.js';
import { gradientClip } from '../media/watermark/support.js';

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }>; tags?: string[]; security?: unknown[] };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object> } };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const b64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

let dataDir: string;
let services: Services;
let app: FastifyInstance;
let upstream: Server;
let doc: Doc;
const routes: RouteOptions[] = [];
/** Fixtures the calls below need: a viewer's tokens, live sessions, a DASH title's keys. */
const f = {} as {
  auth: { authorization: string };
  email: string;
  password: string;
  userId: string;
  stream: string;
  token: string;
  licenseUrl: string;
  sdKid: string;
  entitlement: string;
  /** A short clip, packaged as the watermarked title 'marked': the upload of a trace. */
  leak: Buffer;
};

beforeAll(async () => {
  // A stand-in upstream license service, so the Widevine route can answer 200.
  upstream = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('LICENSE')));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-openapi-'));
  services = await compose(
    loadConfig({
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      TOLLGATE_LOG_LEVEL: 'silent',
      TOLLGATE_DRM_WIDEVINE_URL: `http://127.0.0.1:${(upstream.address() as { port: number }).port}/license`,
      TOLLGATE_DRM_COM_KEY_ID: randomUUID(),
      TOLLGATE_DRM_COM_KEY: randomBytes(32).toString('base64'),
    }),
  );
  app = buildApp(services);
  app.addHook('onRoute', (route) => void routes.push(route));
  await app.ready();
  doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();

  await registerSyntheticTitle(services, 'movie');
  await gradientClip(join(dataDir, 'leak.mp4'), 4, '320x180');
  const marked = await packageTitle(services, { id: 'marked', name: 'Marked', file: join(dataDir, 'leak.mp4'), watermark: true, segmentSec: 2 });
  if (!marked.ok) throw new Error(marked.detail);
  f.leak = await readFile(join(dataDir, 'leak.mp4'));
  f.sdKid = (await registerSyntheticDashTitle(services, 'drm')).sd.kid;
  const viewer = await seedSubscriber(app, { titles: '*' });
  [f.email, f.password, f.userId] = [viewer.email, viewer.password, viewer.userId];
  f.auth = { authorization: `Bearer ${(await login(app, viewer.email, viewer.password)).json().access_token}` };
  const hls = (await app.inject({ method: 'POST', url: '/v1/playback', headers: f.auth, payload: { title_id: 'movie' } })).json();
  f.stream = hls.manifest_url.replace(services.config.publicUrl, '');
  f.token = /\/v1\/stream\/([^/]+)\//.exec(f.stream)![1]!;
  const dash = (await app.inject({ method: 'POST', url: '/v1/playback', headers: f.auth, payload: { title_id: 'drm', protocol: 'dash' } })).json();
  f.licenseUrl = dash.license_url.replace(services.config.publicUrl, '');
  const [, token, title] = /\/v1\/license\/s\/([^/]+)\/([^/]+)$/.exec(f.licenseUrl)!;
  const minted = await services.proxy.entitle({ token: token!, titleId: title!, ip: '127.0.0.1', userAgent: '' });
  if (!minted.ok) throw new Error(minted.detail);
  f.entitlement = minted.value;
}, 120_000);

afterAll(async () => {
  await app.close();
  await services.close();
  await new Promise((resolve) => upstream.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

/** Fastify's route URL as the document names it: `:name` → `{name}`, a trailing `*` → `{path}`. */
const documentedPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the app serves, with a success answer and no parameter named *', () => {
    const served = routes.flatMap((r) => [r.method].flat().filter((m) => m !== 'HEAD').map((m) => `${m} ${documentedPath(r.url)}`));
    expect(served.length).toBeGreaterThan(20);
    for (const route of served) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = doc.paths[path]?.[method.toLowerCase()];
      expect(operation, `${route} is missing from /openapi.json: give it a schema with summary, tags and response`).toBeDefined();
      expect(Object.keys(operation!.responses).some((s) => /^2\d\d$/.test(s)), `${route} documents no success answer`).toBe(true);
      expect(operation!.responses.default, `${route} lacks the default Problem answer`).toBeDefined();
    }
    expect(JSON.stringify(doc)).not.toContain('{*}');
  });

  it('shares one Problem schema for application/problem+json errors', () => {
    expect(doc.components.schemas.Problem).toMatchObject({ required: ['type', 'title', 'status', 'code', 'detail'] });
    const errorSchemas = Object.values(doc.paths)
      .flatMap((item) => Object.values(item))
      .flatMap((op) => Object.entries(op.responses).filter(([status]) => status === 'default' || Number(status) >= 400))
      .map(([, response]) => response.content?.['application/problem+json']?.schema);
    expect(errorSchemas.length).toBeGreaterThan(50);
    for (const schema of errorSchemas) expect(schema).toEqual({ $ref: '#/components/schemas/Problem' });
  });

  it('names who may call what: access token, admin token, playback token or entitlement message', () => {
    expect(doc.paths['/v1/me']!.get!.security).toEqual([{ accessToken: [] }]);
    expect(doc.paths['/v1/playback']!.post!.security).toEqual([{ accessToken: [] }]);
    expect(doc.paths['/v1/admin/users']!.post!.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths['/v1/media/{title}/{path}']!.get!.security).toEqual([{ playbackQuery: [] }, { playbackCookie: [] }]);
    expect(doc.paths['/v1/license/clearkey']!.post!.security).toEqual([{ entitlement: [] }]);
    expect(doc.paths['/v1/auth/login']!.post!.security).toBeUndefined();
  });
});

type Call = InjectOptions & { method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' };
/** A representative right call and wrong call of each route ("right" may be conditional). */
const CALLS: Record<string, { valid: () => Call | Promise<Call>; invalid?: () => Call | Promise<Call> }> = {
  'GET /openapi.json': { valid: () => ({ method: 'GET', url: '/openapi.json' }) },
  'GET /healthz': { valid: () => ({ method: 'GET', url: '/healthz' }) },
  'GET /readyz': { valid: () => ({ method: 'GET', url: '/readyz' }) },
  'GET /metrics': { valid: () => ({ method: 'GET', url: '/metrics' }) },
  'GET /.well-known/jwks.json': { valid: () => ({ method: 'GET', url: '/.well-known/jwks.json' }) },
  'POST /v1/auth/login': {
    valid: () => ({ method: 'POST', url: '/v1/auth/login', payload: { email: f.email, password: f.password } }),
    invalid: () => ({ method: 'POST', url: '/v1/auth/login', payload: { email: 'nobody' } }),
  },
  'POST /v1/auth/refresh': {
    valid: async () => ({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: (await login(app, f.email, f.password)).json().refresh_token } }),
    invalid: () => ({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: 'not-a-token' } }),
  },
  'POST /v1/auth/logout': {
    valid: async () => ({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: (await login(app, f.email, f.password)).json().refresh_token } }),
    invalid: () => ({ method: 'POST', url: '/v1/auth/logout', payload: {} }),
  },
  'GET /v1/me': { valid: () => ({ method: 'GET', url: '/v1/me', headers: f.auth }), invalid: () => ({ method: 'GET', url: '/v1/me' }) },
  'GET /v1/devices': { valid: () => ({ method: 'GET', url: '/v1/devices', headers: f.auth }), invalid: () => ({ method: 'GET', url: '/v1/devices' }) },
  'DELETE /v1/devices/{device_id}': {
    valid: async () => {
      const device = `openapi-${randomUUID()}`;
      const signedIn = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: f.email, password: f.password, device_id: device } });
      return { method: 'DELETE', url: `/v1/devices/${device}`, headers: { authorization: `Bearer ${signedIn.json().access_token}` } };
    },
    invalid: () => ({ method: 'DELETE', url: '/v1/devices/no-such-device', headers: f.auth }),
  },
  'POST /v1/me/mfa': {
    valid: () => ({ method: 'POST', url: '/v1/me/mfa', headers: f.auth, payload: { password: f.password } }),
    invalid: () => ({ method: 'POST', url: '/v1/me/mfa', headers: f.auth, payload: { password: 'not the password' } }),
  },
  'DELETE /v1/me/mfa': {
    valid: async () => {
      const other = await seedSubscriber(app, { plan: 'second-factor', titles: '*' });
      const auth = { authorization: `Bearer ${(await login(app, other.email, other.password)).json().access_token}` };
      const { recoveryCodes } = await enrolMfa(app, auth, other.password, services.now());
      return { method: 'DELETE', url: '/v1/me/mfa', headers: auth, payload: { password: other.password, totp: recoveryCodes[0] } };
    },
    // Two-factor login is not on for the viewer.
    invalid: () => ({ method: 'DELETE', url: '/v1/me/mfa', headers: f.auth, payload: { password: f.password, totp: '123456' } }),
  },
  'POST /v1/me/mfa/confirm': {
    valid: async () => {
      // Its own subscriber: confirming turns two-factor login on, which the viewer's calls do not expect.
      const other = await seedSubscriber(app, { plan: 'second-factor', titles: '*' });
      const auth = { authorization: `Bearer ${(await login(app, other.email, other.password)).json().access_token}` };
      const { secret } = (await app.inject({ method: 'POST', url: '/v1/me/mfa', headers: auth, payload: { password: other.password } })).json();
      return { method: 'POST', url: '/v1/me/mfa/confirm', headers: auth, payload: { totp: totpCode(secret, services.now()) } };
    },
    invalid: () => ({ method: 'POST', url: '/v1/me/mfa/confirm', headers: f.auth, payload: { totp: 'abc' } }),
  },
  'GET /v1/titles': { valid: () => ({ method: 'GET', url: '/v1/titles', headers: f.auth }), invalid: () => ({ method: 'GET', url: '/v1/titles' }) },
  'POST /v1/playback': {
    valid: () => ({ method: 'POST', url: '/v1/playback', headers: f.auth, payload: { title_id: 'movie' } }),
    invalid: () => ({ method: 'POST', url: '/v1/playback', headers: f.auth, payload: { title_id: 'no-such-title' } }),
  },
  'GET /v1/playback': { valid: () => ({ method: 'GET', url: '/v1/playback', headers: f.auth }), invalid: () => ({ method: 'GET', url: '/v1/playback' }) },
  'POST /v1/playback/{session_id}/heartbeat': {
    valid: async () => {
      const { session_id } = (await app.inject({ method: 'POST', url: '/v1/playback', headers: f.auth, payload: { title_id: 'movie' } })).json();
      return { method: 'POST', url: `/v1/playback/${session_id}/heartbeat`, headers: f.auth };
    },
    invalid: () => ({ method: 'POST', url: '/v1/playback/no-such-session/heartbeat', headers: f.auth }),
  },
  'DELETE /v1/playback/{session_id}': {
    valid: async () => {
      const { session_id } = (await app.inject({ method: 'POST', url: '/v1/playback', headers: f.auth, payload: { title_id: 'movie' } })).json();
      return { method: 'DELETE', url: `/v1/playback/${session_id}`, headers: f.auth };
    },
    invalid: () => ({ method: 'DELETE', url: '/v1/playback/no-such-session', headers: f.auth }),
  },
  'GET /v1/stream/{token}/{title}/{path}': {
    valid: () => ({ method: 'GET', url: f.stream }),
    invalid: () => ({ method: 'GET', url: f.stream.replace(f.token, `${f.token.slice(0, -2)}AA`) }),
  },
  'GET /v1/media/{title}/{path}': {
    valid: () => ({ method: 'GET', url: `/v1/media/movie/hls/master.m3u8?tg=${f.token}` }),
    invalid: () => ({ method: 'GET', url: '/v1/media/movie/hls/master.m3u8' }),
  },
  'POST /v1/license/s/{token}/{title}': {
    valid: () => ({ method: 'POST', url: f.licenseUrl, headers: { 'content-type': 'application/octet-stream' }, payload: JSON.stringify({ kids: [b64url(f.sdKid)] }) }),
    invalid: () => ({ method: 'POST', url: f.licenseUrl, headers: { 'content-type': 'application/octet-stream' }, payload: '{"kids": "x"}' }),
  },
  'POST /v1/license/s/{token}/{title}/{system}': {
    valid: () => ({ method: 'POST', url: `${f.licenseUrl}/widevine`, headers: { 'content-type': 'application/octet-stream' }, payload: randomBytes(64) }),
    invalid: () => ({ method: 'POST', url: `${f.licenseUrl}/no-such-drm`, headers: { 'content-type': 'application/octet-stream' }, payload: randomBytes(64) }),
  },
  'POST /v1/license/clearkey': {
    valid: () => ({
      method: 'POST',
      url: '/v1/license/clearkey',
      headers: { 'content-type': 'application/json', 'x-tollgate-entitlement': f.entitlement },
      payload: JSON.stringify({ kids: [b64url(f.sdKid)] }),
    }),
    invalid: () => ({ method: 'POST', url: '/v1/license/clearkey', headers: { 'content-type': 'application/json' }, payload: '{"kids": []}' }),
  },
  'POST /v1/admin/plans': {
    valid: () => ({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: 'gold', titles: '*', max_streams: null } }),
    invalid: () => ({ method: 'POST', url: '/v1/admin/plans', payload: { id: 'gold', titles: '*' } }),
  },
  'GET /v1/admin/plans': {
    valid: () => ({ method: 'GET', url: '/v1/admin/plans', headers: admin }),
    invalid: () => ({ method: 'GET', url: '/v1/admin/plans', headers: { authorization: 'Bearer wrong' } }),
  },
  'POST /v1/admin/users': {
    valid: () => ({ method: 'POST', url: '/v1/admin/users', headers: admin, payload: { email: `u-${randomUUID()}@example.com`, password: 'long enough password', plan_id: 'basic' } }),
    invalid: () => ({ method: 'POST', url: '/v1/admin/users', headers: admin, payload: { email: f.email, password: 'long enough password', plan_id: 'basic' } }),
  },
  'POST /v1/admin/trace': {
    valid: () => ({ method: 'POST', url: '/v1/admin/trace?title_id=marked', headers: { ...admin, 'content-type': 'video/mp4' }, payload: f.leak }),
    invalid: () => ({ method: 'POST', url: '/v1/admin/trace?title_id=movie', headers: { ...admin, 'content-type': 'video/mp4' }, payload: f.leak }),
  },
  'GET /v1/admin/titles': {
    valid: () => ({ method: 'GET', url: '/v1/admin/titles', headers: admin }),
    invalid: () => ({ method: 'GET', url: '/v1/admin/titles', headers: { authorization: 'Bearer wrong' } }),
  },
  'PATCH /v1/admin/titles/{id}': {
    valid: () => ({ method: 'PATCH', url: '/v1/admin/titles/movie', headers: admin, payload: { countries: { block: ['us'] }, allowed_origins: [] } }),
    invalid: () => ({ method: 'PATCH', url: '/v1/admin/titles/movie', headers: admin, payload: { countries: { allow: ['UK'] } } }),
  },
  'GET /v1/admin/users': {
    valid: () => ({ method: 'GET', url: `/v1/admin/users?email=${encodeURIComponent(f.email)}`, headers: admin }),
    invalid: () => ({ method: 'GET', url: '/v1/admin/users?email=not-an-email', headers: admin }),
  },
  'PATCH /v1/admin/users/{user_id}': {
    valid: () => ({ method: 'PATCH', url: `/v1/admin/users/${f.userId}`, headers: admin, payload: { plan_id: 'basic' } }),
    invalid: () => ({ method: 'PATCH', url: `/v1/admin/users/${f.userId}`, headers: admin, payload: { plan_id: 'no-such-plan' } }),
  },
  'POST /v1/admin/users/{user_id}/revoke': {
    valid: async () => {
      const other = await seedSubscriber(app, { titles: '*' });
      return { method: 'POST', url: `/v1/admin/users/${other.userId}/revoke`, headers: admin };
    },
    invalid: () => ({ method: 'POST', url: '/v1/admin/users/no-such-user/revoke', headers: admin }),
  },
  'DELETE /v1/admin/users/{user_id}/mfa': {
    valid: async () => ({ method: 'DELETE', url: `/v1/admin/users/${(await seedSubscriber(app, { plan: 'second-factor', titles: '*' })).userId}/mfa`, headers: admin }),
    invalid: () => ({ method: 'DELETE', url: '/v1/admin/users/no-such-user/mfa', headers: admin }),
  },
  'POST /v1/admin/users/{user_id}/rentals': {
    valid: () => ({ method: 'POST', url: `/v1/admin/users/${f.userId}/rentals`, headers: admin, payload: { title_id: 'movie', hours: 48, playback_hours: 24 } }),
    invalid: () => ({ method: 'POST', url: `/v1/admin/users/${f.userId}/rentals`, headers: admin, payload: { title_id: 'movie', hours: 0 } }),
  },
  'GET /v1/admin/sessions': {
    valid: () => ({ method: 'GET', url: `/v1/admin/sessions?user_id=${f.userId}&title_id=movie`, headers: admin }),
    invalid: () => ({ method: 'GET', url: '/v1/admin/sessions?title_id=../x', headers: admin }),
  },
  'DELETE /v1/admin/sessions/{session_id}': {
    valid: async () => {
      const { session_id } = (await app.inject({ method: 'POST', url: '/v1/playback', headers: f.auth, payload: { title_id: 'movie' } })).json();
      return { method: 'DELETE', url: `/v1/admin/sessions/${session_id}`, headers: admin };
    },
    invalid: () => ({ method: 'DELETE', url: '/v1/admin/sessions/no-such-session', headers: admin }),
  },
  'GET /v1/admin/alerts': {
    valid: async () => {
      await services.stores.watchtower.raiseAlert({ id: randomUUID(), detector: 'spikes', subject: `title:${randomUUID()}`, severity: 'medium', summary: 'a spike', userId: null, sessionId: null, ip: null, evidence: ['e1'], dryRun: false }, 0, services.now());
      return { method: 'GET', url: '/v1/admin/alerts?status=open', headers: admin };
    },
    invalid: () => ({ method: 'GET', url: '/v1/admin/alerts?status=closed', headers: admin }),
  },
  'POST /v1/admin/alerts/{alert_id}/resolve': {
    valid: async () => {
      const { alert } = await services.stores.watchtower.raiseAlert({ id: randomUUID(), detector: 'spikes', subject: `title:${randomUUID()}`, severity: 'medium', summary: 'a spike', userId: null, sessionId: null, ip: null, evidence: [], dryRun: false }, 0, services.now());
      return { method: 'POST', url: `/v1/admin/alerts/${alert.id}/resolve`, headers: admin };
    },
    invalid: () => ({ method: 'POST', url: '/v1/admin/alerts/no-such-alert/resolve', headers: admin }),
  },
  'GET /v1/admin/blocks': { valid: () => ({ method: 'GET', url: '/v1/admin/blocks', headers: admin }), invalid: () => ({ method: 'GET', url: '/v1/admin/blocks' }) },
  'POST /v1/admin/blocks': {
    valid: () => ({ method: 'POST', url: '/v1/admin/blocks', headers: admin, payload: { network: '192.0.2.0/24', minutes: 5, reason: 'openapi test' } }),
    invalid: () => ({ method: 'POST', url: '/v1/admin/blocks', headers: admin, payload: { network: 'nowhere', minutes: 5 } }),
  },
  'DELETE /v1/admin/blocks/{block_id}': {
    valid: async () => {
      const block = await app.inject({ method: 'POST', url: '/v1/admin/blocks', headers: admin, payload: { network: '198.51.100.0/24', minutes: 5 } });
      return { method: 'DELETE', url: `/v1/admin/blocks/${block.json().id}`, headers: admin };
    },
    invalid: () => ({ method: 'DELETE', url: '/v1/admin/blocks/no-such-block', headers: admin }),
  },
  'PUT /v1/admin/titles/{title_id}/sensitive': {
    valid: () => ({ method: 'PUT', url: '/v1/admin/titles/drm/sensitive', headers: admin, payload: { sensitive: false } }),
    invalid: () => ({ method: 'PUT', url: '/v1/admin/titles/drm/sensitive', headers: admin, payload: { sensitive: 'yes' } }),
  },
  'DELETE /v1/admin/users/{user_id}/mfa-requirement': {
    valid: async () => {
      const other = await seedSubscriber(app, { titles: '*' });
      await services.stores.watchtower.requireMfa(other.userId, null, services.now());
      return { method: 'DELETE', url: `/v1/admin/users/${other.userId}/mfa-requirement`, headers: admin };
    },
    invalid: () => ({ method: 'DELETE', url: '/v1/admin/users/no-such-user/mfa-requirement', headers: admin }),
  },
  'GET /v1/admin/events': {
    valid: () => ({ method: 'GET', url: `/v1/admin/events?user_id=${f.userId}&kind=login&decision=grant&since=2020-01-01T00:00:00Z&limit=10`, headers: admin }),
    invalid: () => ({ method: 'GET', url: '/v1/admin/events?kind=everything', headers: admin }),
  },
  'GET /v1/admin/events/per-minute': {
    valid: () => ({ method: 'GET', url: '/v1/admin/events/per-minute', headers: admin }),
    invalid: () => ({ method: 'GET', url: '/v1/admin/events/per-minute?since=2001-01-01T00:00:00Z', headers: admin }),
  },
};

/** The player page's files take no input: a second, conditional call must get 304. */
function webCall(path: string) {
  return {
    valid: () => ({ method: 'GET' as const, url: path }),
    conditional: async () => {
      const etag = (await app.inject({ method: 'GET', url: path })).headers.etag as string;
      return { method: 'GET' as const, url: path, headers: { 'if-none-match': etag } };
    },
  };
}

/** The documented schema with its component references put in place, for ajv. */
function inlineRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(inlineRefs);
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (ref !== undefined) return inlineRefs(doc.components.schemas[ref.replace('#/components/schemas/', '')]);
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inlineRefs(v)]));
}

async function expectDocumentedAnswer(operationKey: string, call: Call, expectedClass: 'success' | 'error'): Promise<void> {
  const [method, path] = operationKey.split(' ') as [string, string];
  const operation = doc.paths[path]![method.toLowerCase()]!;
  const res = await app.inject(call);
  const documented = Object.keys(operation.responses).filter((s) => s !== 'default');
  expect(documented, `${operationKey} answered ${res.statusCode}: ${res.body.slice(0, 200)}`).toContain(String(res.statusCode));
  expect(res.statusCode < 400, `${operationKey}: ${res.statusCode}`).toBe(expectedClass === 'success');
  const response = operation.responses[String(res.statusCode)]!;
  if (response.content === undefined) return expect(res.body).toBe('');
  const mediaType = String(res.headers['content-type']).split(';')[0]!.trim();
  expect(Object.keys(response.content), `${operationKey} ${res.statusCode} answered in ${mediaType}`).toContain(mediaType);
  if (!mediaType.endsWith('json')) return;
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  const validate = ajv.compile(inlineRefs(response.content[mediaType]!.schema) as object);
  expect(validate(res.json()), `${operationKey} ${res.statusCode}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

describe('every documented route', () => {
  it('has a representative call in this test', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).filter(([, op]) => !op.tags?.includes('web')).map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(Object.keys(CALLS).sort());
  });

  for (const [operation, calls] of Object.entries(CALLS)) {
    it(`answers a right call of ${operation} as documented`, async () => {
      await expectDocumentedAnswer(operation, await calls.valid(), 'success');
    });
    if (calls.invalid !== undefined) {
      const invalid = calls.invalid;
      it(`answers a wrong call of ${operation} as documented`, async () => {
        await expectDocumentedAnswer(operation, await invalid(), 'error');
      });
    }
  }

  it('serves the player page files as documented, and 304 when unchanged', async () => {
    const webPaths = Object.entries(doc.paths).filter(([, item]) => item.get?.tags?.includes('web')).map(([path]) => path);
    expect(webPaths).toContain('/');
    for (const path of webPaths) {
      const call = webCall(path);
      await expectDocumentedAnswer(`GET ${path}`, call.valid(), 'success');
      await expectDocumentedAnswer(`GET ${path}`, await call.conditional(), 'success');
    }
  });
});
