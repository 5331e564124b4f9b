/**
 * The upstream DRM adapter against a local stand-in for a commercial license service (the
 * only fake in the suite: Widevine/PlayReady/FairPlay need vendor credentials). The stand-in
 * checks what such a service checks: the X-AxDRM-Message signature under the shared
 * communication key, the entitlement it carries, and the CDM challenge passed through intact.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticDashTitle } from '../support/titles.js';

const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

describe('Widevine/PlayReady/FairPlay through an upstream license service', () => {
  const comKeyId = randomUUID();
  const comKey = randomBytes(32);
  let standIn: Server;
  let received: { message: Record<string, any>; challenge: Buffer; contentType: string }[] = [];
  let t: TestApp;
  let keys: Awaited<ReturnType<typeof registerSyntheticDashTitle>>;
  let auth: { authorization: string };

  beforeAll(async () => {
    standIn = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const jwt = String(req.headers['x-axdrm-message'] ?? '');
        const [h, p, s] = jwt.split('.');
        const expected = createHmac('sha256', comKey).update(`${h}.${p}`).digest('base64url');
        if (s !== expected) return res.writeHead(401).end('bad message signature');
        const challenge = Buffer.concat(chunks);
        received.push({ message: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')), challenge, contentType: String(req.headers['content-type']) });
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.concat([Buffer.from('LICENSE:'), createHash('sha256').update(challenge).digest()]));
      });
    });
    await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(standIn.address() as { port: number }).port}/license`;
    t = await startTestApp({
      env: { TOLLGATE_DRM_WIDEVINE_URL: url, TOLLGATE_DRM_COM_KEY_ID: comKeyId, TOLLGATE_DRM_COM_KEY: comKey.toString('base64') },
    });
    keys = await registerSyntheticDashTitle(t.services, 'drm');
    const viewer = await seedSubscriber(t.app, { titles: ['drm'] });
    auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => standIn.close(resolve));
  });

  const licenseUrl = async () =>
    ((await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'drm', protocol: 'dash' } })).json().license_url as string).replace(
      t.config.publicUrl,
      '',
    );

  it('forwards the CDM challenge with a signed Axinom entitlement and returns the service’s answer', async () => {
    received = [];
    const challenge = randomBytes(300);
    const res = await t.app.inject({ method: 'POST', url: `${await licenseUrl()}/widevine`, payload: challenge, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toEqual(Buffer.concat([Buffer.from('LICENSE:'), createHash('sha256').update(challenge).digest()]));
    expect(received).toHaveLength(1);
    const { message } = received[0]!;
    expect(message).toMatchObject({ version: 1, com_key_id: comKeyId, message: { type: 'entitlement_message', version: 2 } });
    const inline = message.message.content_keys_source.inline as { id: string; usage_policy: string }[];
    expect(inline.map((k) => k.id).sort()).toEqual(Object.values(keys).map((k) => uuid(k.kid)).sort());
    const policies = message.message.content_key_usage_policies as { name: string; widevine: { device_security_level: string } }[];
    expect(policies.find((p) => p.name === 'uhd')!.widevine.device_security_level).toBe('HW_SECURE_ALL');
    expect(policies.find((p) => p.name === 'sd')!.widevine.device_security_level).toBe('SW_SECURE_CRYPTO');
    // No key material travels to the vendor in the message.
    for (const { key } of Object.values(keys)) expect(JSON.stringify(message)).not.toContain(Buffer.from(key).toString('base64'));
  });

  it('answers not_found for a system with no upstream, and refuses ended sessions before calling upstream', async () => {
    received = [];
    const url = await licenseUrl();
    const playready = await t.app.inject({ method: 'POST', url: `${url}/playready`, payload: randomBytes(10), headers: { 'content-type': 'application/octet-stream' } });
    expect(playready.statusCode).toBe(404);
    const unknown = await t.app.inject({ method: 'POST', url: `${url}/betamax`, payload: randomBytes(10), headers: { 'content-type': 'application/octet-stream' } });
    expect(unknown.statusCode).toBe(404);
    const bad = await t.app.inject({ method: 'POST', url: `${url.replace(/tgp1\.([^.]+)\./, 'tgp1.$1z.')}/widevine`, payload: randomBytes(10), headers: { 'content-type': 'application/octet-stream' } });
    expect(bad.statusCode).toBe(401);
    expect(received).toHaveLength(0);
  });
});
