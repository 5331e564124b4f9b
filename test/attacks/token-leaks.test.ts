/**
 * Attacks on the secrecy of playback tokens: whoever reads the logs or an error body must not
 * learn a token. Every variant of a URL that carries one — percent-encoded, mixed case, double
 * slashes, broken encodings, over-long, in the query — is sent, and the logs (at debug level,
 * the most verbose), the body and the headers are checked. Some errors happen before the HTTP
 * framework sees a request (a bad request line, oversized headers), so a real socket too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { ADMIN_TOKEN, login, seedSubscriber } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

let app: FastifyInstance;
let services: Services;
let dataDir: string;
let origin: string;
/** The playback token of a live session, and its MAC (the part that must never leak). */
let token: string;
let mac: string;
const lines: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-leaks-'));
  services = await compose(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_LOG_LEVEL: 'debug' }));
  app = buildApp(services, { logStream: { write: (line) => lines.push(line) } });
  await registerSyntheticTitle(services, 'movie');
  const viewer = await seedSubscriber(app, { titles: '*' });
  const { access_token } = (await login(app, viewer.email, viewer.password)).json();
  const started = await app.inject({ method: 'POST', url: '/v1/playback', headers: { authorization: `Bearer ${access_token}` }, payload: { title_id: 'movie' } });
  token = /\/v1\/stream\/([^/]+)\//.exec(started.json().manifest_url)![1]!;
  mac = token.split('.').at(-1)!;
  origin = new URL(services.config.publicUrl).origin;
});

afterAll(async () => {
  await app.close();
  await services.close();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  lines.length = 0;
});

/** Every character percent-encoded, as a hostile or odd client may send it. */
const percentEncoded = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');

function expectNoToken(text: string): void {
  expect(text).not.toContain(mac);
  expect(text.toLowerCase()).not.toContain(mac.toLowerCase());
  expect(text).not.toContain(percentEncoded(mac).slice(0, 30));
}

function expectSecurityAndCors(headers: Record<string, unknown>, cors = true): void {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-frame-options']).toBe('DENY');
  if (cors) expect(headers['access-control-allow-origin']).toBe(origin);
}

type Variant = { name: string; method?: 'GET' | 'POST' | 'DELETE'; url: () => string; headers?: () => Record<string, string>; status: number };

const stream = () => `/v1/stream/${token}/movie/hls`;
const VARIANTS: Variant[] = [
  { name: 'a percent-encoded route segment (/v1/%73tream/…)', url: () => `/v1/%73tream/${token}/movie/hls/master.m3u8`, status: 200 },
  { name: 'a fully percent-encoded token', url: () => `/v1/stream/${percentEncoded(token)}/movie/hls/master.m3u8`, status: 200 },
  { name: 'a mixed-case route (/V1/sTrEaM/…)', url: () => `/V1/sTrEaM/${token}/movie/hls/master.m3u8`, status: 404 },
  { name: 'a double slash before the token', url: () => `/v1/stream//${token}/movie/hls/master.m3u8`, status: 401 },
  { name: 'a leading double slash', url: () => `//v1/stream/${token}/movie/hls/master.m3u8`, status: 404 },
  { name: 'a bad percent-encoding after the token (%c0%ae)', url: () => `${stream()}/%c0%ae`, status: 400 },
  { name: 'a truncated percent-encoding in the token', url: () => `/v1/stream/${token}%e2%8/movie/hls/master.m3u8`, status: 400 },
  { name: 'an over-long path segment', url: () => `/v1/stream/${token}${'a'.repeat(3000)}/movie/hls/master.m3u8`, status: 414 },
  { name: 'an over-long URL', url: () => `${stream()}/master.m3u8?pad=${'a'.repeat(9000)}`, status: 414 },
  { name: 'the tg cookie', url: () => '/v1/media/movie/hls/master.m3u8', headers: () => ({ cookie: `tg=${token}` }), status: 200 },
  { name: 'the token in the query, upper-case name', url: () => `/v1/media/movie/hls/master.m3u8?TG=${token}`, status: 401 },
  { name: 'the token in the query under another name', url: () => `/v1/media/movie/hls/master.m3u8?x=${token}`, status: 401 },
  { name: 'the token twice in the query', url: () => `/v1/media/movie/hls/master.m3u8?tg=${token}&tg=${token}`, status: 401 },
  { name: 'a broken query encoding around the token', url: () => `/v1/media/movie/hls/master.m3u8?tg=%zz${percentEncoded(token)}%`, status: 401 },
  { name: 'the token on an unknown route', url: () => `/v1/${token}`, status: 404 },
  { name: 'a license URL with the wrong method', url: () => `/v1/license/s/${token}/movie`, status: 404 },
  { name: 'a stream URL with the wrong method', method: 'DELETE', url: () => `${stream()}/master.m3u8`, status: 404 },
  { name: 'a path segment an error detail quotes (the DRM system)', method: 'POST', url: () => `/v1/license/s/x/movie/${token}`, status: 404 },
  {
    name: 'the token in a content type',
    method: 'POST',
    url: () => '/v1/auth/login',
    headers: () => ({ 'content-type': `application/x-${token}` }),
    status: 415,
  },
];

describe('attack: reading playback tokens out of logs and error bodies', () => {
  for (const variant of VARIANTS) {
    it(`refuses to log or echo the token sent in ${variant.name}`, async () => {
      const res = await app.inject({
        method: variant.method ?? 'GET',
        url: variant.url(),
        headers: { origin, ...variant.headers?.() },
        ...(variant.method === 'POST' ? { payload: '{}' } : {}),
      });
      expect(res.statusCode).toBe(variant.status);
      expectSecurityAndCors(res.headers);
      if (variant.status >= 400) {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ status: variant.status, code: expect.any(String), detail: expect.any(String) });
        expectNoToken(res.body);
      }
      expect(lines.length).toBeGreaterThan(0);
      expectNoToken(lines.join(''));
    });
  }
});

/** Sends raw bytes over TCP and returns the whole answer (the server closes or we stop reading). */
async function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text);
      if (head >= 0 && length !== null && text.length - head - 4 >= Number(length[1])) socket.end();
    });
    socket.on('error', (error) => (chunks.length > 0 ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(error)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(bytes, 'latin1');
  });
}

function parseResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const head = text.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = text.slice(0, head).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(head + 4) };
}

describe('attack: reading playback tokens out of errors raised before routing (real socket)', () => {
  let port: number;
  beforeAll(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });

  // The parser hands over only the chunk it stopped at, so the Origin (and CORS) is read where
  // that chunk has it: not after 140 KiB of headers.
  const CASES: { name: string; request: () => string; status: number; cors?: false }[] = [
    { name: 'a URL over the header size limit', request: () => `GET ${stream()}/${'a'.repeat(140 * 1024)} HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\n\r\n`, status: 431 },
    { name: 'an over-long URL', request: () => `GET ${stream()}/master.m3u8?pad=${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\n\r\n`, status: 414 },
    { name: 'oversized headers', request: () => `GET ${stream()}/master.m3u8 HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\nX-Pad: ${'a'.repeat(140 * 1024)}\r\n\r\n`, status: 431, cors: false },
    { name: 'a control character in the request line', request: () => `GET ${stream()}/\x01master.m3u8 HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\n\r\n`, status: 400 },
    { name: 'a malformed HTTP version', request: () => `GET ${stream()}/master.m3u8 HTTP/9.Z\r\nHost: x\r\nOrigin: ${origin}\r\n\r\n`, status: 400 },
    { name: 'a bad percent-encoding', request: () => `GET ${stream()}/%c0%ae HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\nConnection: close\r\n\r\n`, status: 400 },
  ];

  for (const c of CASES) {
    it(`refuses to log or echo the token sent in ${c.name}`, async () => {
      const res = parseResponse(await rawRequest(port, c.request()));
      expect(res.status).toBe(c.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body)).toMatchObject({ status: c.status, code: expect.any(String) });
      expectSecurityAndCors(res.headers, c.cors);
      expectNoToken(res.body);
      expectNoToken(lines.join(''));
    });
  }
});
