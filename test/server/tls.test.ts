/**
 * HTTPS (TOLLGATE_TLS_CERT / TOLLGATE_TLS_KEY) with a certificate made by openssl: the settings
 * are both-or-neither and checked at boot (exit 78 naming them, never echoing the key), the
 * server then speaks only TLS, sends HSTS, hands out https:// URLs, and keeps its HTTP limits.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.js';
import { type RunningServer, startServer } from '../../src/server/main.js';
import { startTestApp } from '../support/app.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const NAME = 'tollgate.test';

let certs: TestCertificates;
let other: TestCertificates;
beforeAll(async () => {
  [certs, other] = await Promise.all([makeTestCertificates(NAME), makeTestCertificates('other.test')]);
}, 30_000);
afterAll(async () => {
  await certs?.remove();
  await other?.remove();
});

function configProblem(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

/** GET over HTTPS to 127.0.0.1 as NAME, trusting only the test CA. */
function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: NAME, headers: { host: `${NAME}:${port}` }, ca: certs.caPem }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS settings', () => {
  it('reads both PEM files and makes the default public URL https', () => {
    const config = loadConfig({ TOLLGATE_TLS_CERT: certs.certPath, TOLLGATE_TLS_KEY: certs.keyPath, TOLLGATE_PORT: '8443' });
    expect(config.tls?.cert).toContain('BEGIN CERTIFICATE');
    expect(config.publicUrl).toBe('https://127.0.0.1:8443');
    expect(loadConfig({}).tls).toBeUndefined();
  });

  it('refuses one without the other, naming both', () => {
    for (const env of [{ TOLLGATE_TLS_CERT: certs.certPath }, { TOLLGATE_TLS_KEY: certs.keyPath }]) {
      const message = configProblem(env);
      expect(message).toContain('TOLLGATE_TLS_CERT and TOLLGATE_TLS_KEY');
    }
  });

  it('refuses unreadable files, text that is not PEM and a key of another certificate, never quoting the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-tls-bad-'));
    try {
      const junk = join(dir, 'junk.pem');
      await writeFile(junk, 'not a pem file\n');
      expect(configProblem({ TOLLGATE_TLS_CERT: join(dir, 'missing.pem'), TOLLGATE_TLS_KEY: certs.keyPath })).toMatch(/TOLLGATE_TLS_CERT: cannot read .*missing\.pem \(ENOENT\)/);
      expect(configProblem({ TOLLGATE_TLS_CERT: junk, TOLLGATE_TLS_KEY: certs.keyPath })).toMatch(/TOLLGATE_TLS_CERT: .*junk\.pem is not a PEM certificate/);
      expect(configProblem({ TOLLGATE_TLS_CERT: certs.certPath, TOLLGATE_TLS_KEY: junk })).toMatch(/TOLLGATE_TLS_KEY: .*junk\.pem is not a PEM private key/);
      const mismatch = configProblem({ TOLLGATE_TLS_CERT: certs.certPath, TOLLGATE_TLS_KEY: other.keyPath });
      expect(mismatch).toMatch(/TOLLGATE_TLS_KEY: .* is not the private key of the certificate/);
      expect(mismatch).not.toContain('PRIVATE KEY');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops the command with exit 78 naming the settings', async () => {
    const failed = await run('node', [BIN, 'serve'], { env: { ...process.env, TOLLGATE_TLS_CERT: certs.certPath, TOLLGATE_DATA_DIR: certs.dir } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed.code).toBe(78);
    expect(failed.stderr).toContain('TOLLGATE_TLS_KEY');
  });
});

describe('serving HTTPS', () => {
  let server: RunningServer;
  let port: number;
  beforeAll(async () => {
    server = await startServer(
      loadConfig({
        TOLLGATE_TLS_CERT: certs.certPath,
        TOLLGATE_TLS_KEY: certs.keyPath,
        TOLLGATE_DATA_DIR: certs.dir,
        TOLLGATE_PORT: '0',
        TOLLGATE_LOG_LEVEL: 'silent',
        TOLLGATE_HTTP_HEADERS_TIMEOUT: '1',
        TOLLGATE_HTTP_REQUEST_TIMEOUT: '1',
      }),
    );
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server?.stop());

  it('answers over a chain that verifies to the CA for its name, with HSTS', async () => {
    expect(server.url).toMatch(/^https:\/\//);
    const health = await get(port, '/healthz');
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('sends HSTS on the fast gateway path and on problems too', async () => {
    const media = await get(port, '/v1/stream/tgp1.x.y.z/no-title/master.m3u8');
    expect(media.status).toBe(401);
    expect(media.headers['strict-transport-security']).toBe('max-age=31536000');
    const missing = await get(port, '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('does not speak plain HTTP on its port', async () => {
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('keeps the HTTP limits: a client that never finishes its headers is cut', async () => {
    const socket = connectTls({ host: '127.0.0.1', port, servername: NAME, ca: certs.caPem });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const opened = Date.now();
    socket.write('GET /healthz HTTP/1.1\r\nHost: tollgate.test\r\n');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - opened).toBeLessThan(5_000);
    expect(received).toMatch(/^HTTP\/1\.1 408|^$/);
  });
});

describe('without TLS', () => {
  it('sends HSTS when the public URL is https (TLS ended by a proxy in front)', async () => {
    const t = await startTestApp({ env: { TOLLGATE_PUBLIC_URL: 'https://tv.example.com' } });
    try {
      const response = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await t.close();
    }
  });

  it('sends no HSTS while the public URL is plain http', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-plain-'));
    const server = await startServer(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_PORT: '0', TOLLGATE_LOG_LEVEL: 'silent' }));
    try {
      const response = await fetch(`${server.url}/healthz`);
      expect(response.status).toBe(200);
      expect(response.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
