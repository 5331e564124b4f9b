/**
 * A remote license server (TOLLGATE_LICENSE_SERVER_URL) that is broken, misconfigured or
 * hostile — or an attacker answering at its address. Its answer must never hand the CDM a key
 * the proxy would not, never hold the player's request open, and never become a 500.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticDashTitle } from '../support/titles.js';

type Keys = Awaited<ReturnType<typeof registerSyntheticDashTitle>>;
const b64url = (bytes: Uint8Array | string) => Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes, 'hex') : bytes).toString('base64url');
const clearKey = (...keys: { kid: string; key: Uint8Array }[]) => keys.map(({ kid, key }) => ({ kty: 'oct', kid: b64url(kid), k: b64url(key) }));

describe('attack: a hostile remote license server', () => {
  let hostile: Server;
  let answer: (req: IncomingMessage, res: ServerResponse) => void;
  let t: TestApp;
  let keys: Keys;
  let other: Keys;
  let licensePath: string;

  beforeAll(async () => {
    hostile = createServer((req, res) => answer(req, res));
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const port = (hostile.address() as AddressInfo).port;
    // The timeout is what the hang cases wait for; long enough that a loaded CI machine never hits it otherwise.
    t = await startTestApp({
      env: { TOLLGATE_LICENSE_SERVER_URL: `http://127.0.0.1:${port}/v1/license/clearkey`, TOLLGATE_LICENSE_SERVER_TIMEOUT_MS: '3000' },
    });
    keys = await registerSyntheticDashTitle(t.services, 'drm');
    other = await registerSyntheticDashTitle(t.services, 'drm2');
    const viewer = await seedSubscriber(t.app, { titles: ['drm', 'drm2'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const started = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } });
    licensePath = started.json().license_url.replace(t.config.publicUrl, '');
  });
  afterAll(async () => {
    await t.close();
    hostile.closeAllConnections();
    await new Promise((resolve) => hostile.close(resolve));
  });

  const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  /** Asks for the SD and HD keys; a ClearKey client may only ever get SD (and audio). */
  const askSdAndHd = () => t.app.inject({ method: 'POST', url: licensePath, payload: JSON.stringify({ kids: [b64url(keys.sd.kid), b64url(keys.hd.kid)] }) });
  const expectBadGateway = async () => {
    const res = await askSdAndHd();
    expect(res.statusCode).toBe(502);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('bad_gateway');
    for (const k of [keys.sd, keys.hd, keys.uhd, other.sd]) expect(res.body).not.toContain(b64url(k.key));
    return res;
  };

  it('passes a well-formed license of the allowed keys (the baseline)', async () => {
    answer = json(200, { keys: clearKey(keys.sd), type: 'temporary' });
    const res = await askSdAndHd();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ keys: clearKey(keys.sd), type: 'temporary' });
  });

  it('refuses a license with extra keys: one withheld by policy, and one nobody asked for', async () => {
    answer = json(200, { keys: clearKey(keys.sd, keys.hd), type: 'temporary' });
    await expectBadGateway();
    answer = json(200, { keys: clearKey(keys.sd, keys.audio), type: 'temporary' });
    await expectBadGateway();
  });

  it('refuses keys for other key ids (another title) and a key twice', async () => {
    answer = json(200, { keys: clearKey(other.sd), type: 'temporary' });
    await expectBadGateway();
    answer = json(200, { keys: clearKey(keys.sd, keys.sd), type: 'temporary' });
    await expectBadGateway();
  });

  it('refuses keys and key ids of the wrong length or encoding', async () => {
    const sd = clearKey(keys.sd)[0]!;
    for (const bad of [
      { ...sd, k: b64url(keys.sd.key.subarray(0, 15)) },
      { ...sd, k: b64url(Buffer.concat([keys.sd.key, Buffer.alloc(16)])) },
      { ...sd, kid: b64url(Buffer.concat([Buffer.from(keys.sd.kid, 'hex'), Buffer.alloc(1)])) },
      { ...sd, k: Buffer.from(keys.sd.key).toString('base64') + '==' },
      { ...sd, kty: 'RSA' },
      { ...sd, alg: 'A128KW' },
    ]) {
      answer = json(200, { keys: [bad], type: 'temporary' });
      await expectBadGateway();
    }
  });

  it('refuses another session type, extra members and non-license shapes', async () => {
    for (const body of [
      { keys: clearKey(keys.sd), type: 'persistent-license' },
      { keys: clearKey(keys.sd), type: 'temporary', note: 'extra' },
      { keys: [], type: 'temporary' },
      [clearKey(keys.sd)],
      null,
    ]) {
      answer = json(200, body);
      await expectBadGateway();
    }
  });

  it('refuses an answer that is not JSON, or not strict JSON', async () => {
    for (const text of ['<html>gateway</html>', '', `{"keys": ${JSON.stringify(clearKey(keys.sd))}, "type": "temporary", "type": "temporary"}`]) {
      answer = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(text);
      await expectBadGateway();
    }
  });

  it('stops reading a huge answer and refuses it', async () => {
    let written = 0;
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < 64 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (written < 64 * 1024 * 1024) res.once('drain', pump);
        else res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    };
    await expectBadGateway();
    expect(written).toBeLessThan(64 * 1024 * 1024);
    answer = (_req, res) => res.writeHead(200, { 'content-length': String(1 << 30) }).end();
    await expectBadGateway();
  });

  it('maps an unknown error code, a misstated status and a 5xx to 502, never 500', async () => {
    for (const [status, body] of [
      [418, { code: 'teapot', detail: 'short and stout' }],
      [400, { code: 'internal', detail: 'a 500 code under a 400' }],
      [403, { code: 'not_found', detail: 'status and code disagree' }],
      [400, 'plain text'],
      [500, { code: 'internal', detail: 'boom' }],
      [302, {}],
    ] as const) {
      answer = json(status, body);
      await expectBadGateway();
    }
  });

  it('passes a known refusal through as the same 4xx, its detail cleaned', async () => {
    answer = json(403, { code: 'not_entitled', detail: 'no\r\nSet-Cookie: x=1' + 'a'.repeat(5000) });
    const res = await askSdAndHd();
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('not_entitled');
    expect(res.json().detail).not.toMatch(/[\r\n]/);
    expect(res.json().detail.length).toBeLessThanOrEqual(200);
  });

  it('answers 503 with Retry-After when the license server hangs, within the timeout', async () => {
    answer = () => undefined; // never answers
    const res = await askSdAndHd();
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    answer = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{"keys": ['); // headers, then a stalled body
    const stalled = await askSdAndHd();
    expect(stalled.statusCode).toBe(503);
  });
});
