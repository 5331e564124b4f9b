/**
 * How Tollgate serves the player page and libraries over HTTP: types, caching, compression,
 * and the Content-Security-Policy that keeps the page's tokens from leaving for other origins.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsGzip, webAssets } from '../../src/server/web/assets.js';
import { startTestApp, type TestApp } from '../support/app.js';

describe('player page routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_PUBLIC_URL: 'https://tv.example.com', TOLLGATE_CORS_ORIGINS: 'https://player.example.com' } });
  });
  afterAll(() => t.close());

  it.each([
    ['/', 'text/html; charset=utf-8'],
    ['/player.js', 'text/javascript; charset=utf-8'],
    ['/api.js', 'text/javascript; charset=utf-8'],
    ['/playback.js', 'text/javascript; charset=utf-8'],
    ['/dash.js', 'text/javascript; charset=utf-8'],
    ['/device.js', 'text/javascript; charset=utf-8'],
    ['/heartbeat.js', 'text/javascript; charset=utf-8'],
    ['/screens.js', 'text/javascript; charset=utf-8'],
    ['/player.css', 'text/css; charset=utf-8'],
    ['/assets/hls.min.js', 'text/javascript; charset=utf-8'],
    ['/assets/shaka-player.compiled.js', 'text/javascript; charset=utf-8'],
  ])('serves %s as %s, revalidated by ETag, without sniffing', async (url, type) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.rawPayload.equals(webAssets().get(url)!.body)).toBe(true);

    const again = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': String(res.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
  });

  it('sends gzip only to clients that accept it', async () => {
    const zipped = await t.app.inject({ method: 'GET', url: '/assets/hls.min.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toContain('Accept-Encoding');
    const plain = webAssets().get('/assets/hls.min.js')!.body;
    expect(zipped.rawPayload.length).toBeLessThan(plain.length / 2);
    expect(gunzipSync(zipped.rawPayload).equals(plain)).toBe(true);

    const refused = await t.app.inject({ method: 'GET', url: '/assets/hls.min.js', headers: { 'accept-encoding': 'gzip;q=0, br' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  it('keeps CORS Vary: Origin beside Vary: Accept-Encoding', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/player.js', headers: { origin: 'https://player.example.com' } });
    expect(res.headers.vary).toMatch(/Origin.*Accept-Encoding/);
    expect(res.headers['access-control-allow-origin']).toBe('https://player.example.com');
  });

  it('gives the page a CSP that lets it reach only this origin and the public URL, and refuses framing', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/?api=https://evil.example' });
    const csp = String(res.headers['content-security-policy']);
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'", 'https://tv.example.com']);
    expect(directives.get('media-src')).toEqual(["'self'", 'https://tv.example.com', 'blob:']);
    expect(directives.get('worker-src')).toEqual(['blob:']);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp).not.toContain('unsafe');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers HEAD, and leaves other paths to the not-found problem', async () => {
    const head = await t.app.inject({ method: 'HEAD', url: '/' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-security-policy']).toBeDefined();
    const missing = await t.app.inject({ method: 'GET', url: '/assets/../package.json' });
    expect(missing.statusCode).toBe(404);
    const other = await t.app.inject({ method: 'GET', url: '/assets/hls.js' });
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toContain('application/problem+json');
  });
});
