/**
 * A real nginx (ngx_http_secure_link_module) checks links that Tollgate's signer made: it
 * serves the file for a good link, with and without a bound client address, and refuses
 * expired (410), forged (403) and other-address (403) ones. nginx runs as a child process,
 * single-process, on a free port, with its config (src/server/edge/nginx-config.ts) and logs in
 * a temp dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signNginxSecureLink } from '../../src/core/cdn/nginx.js';
import { nodeCdnCrypto } from '../../src/server/edge/cdn-crypto.js';
import { secureLinkConfig, stageSite } from '../../src/server/edge/nginx-config.js';

const SECRET = 'tollgate-edge-secret';
const BODY = 'segment bytes\n';
const NOW = Math.floor(Date.now() / 1000);
const LATER = NOW + 3600;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** GET from a chosen loopback source address, so $remote_addr is what the test says. */
function get(port: number, path: string, from = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

function sign(path: string, expires: number, ip?: string): string {
  const verdict = signNginxSecureLink({ url: path, secret: SECRET, expires, ...(ip !== undefined ? { ip } : {}) }, nodeCdnCrypto);
  if (!verdict.ok) throw new Error(verdict.detail);
  return verdict.value;
}

describe('nginx secure_link accepts Tollgate-signed links', () => {
  let dir: string;
  let nginx: ChildProcess;
  let port: number;
  let output = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-nginx-'));
    const source = join(dir, 'source.ts');
    writeFileSync(source, BODY);
    stageSite(dir, ['/open/movie 1/seg-1.ts', '/bound/movie1/seg-1.ts'].map((path) => ({ path, source })));
    port = await freePort();
    const locations = [
      { prefix: '/open/', bindAddress: false },
      { prefix: '/bound/', bindAddress: true },
    ];
    writeFileSync(join(dir, 'nginx.conf'), secureLinkConfig({ dir, port, secret: SECRET, locations, masterProcess: false }));
    nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    nginx.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    for (let i = 0; ; i++) {
      try {
        await get(port, '/probe');
        break;
      } catch (error) {
        if (i > 100 || nginx.exitCode !== null) throw new Error(`nginx did not start: ${output} ${String(error)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a link without an address, its path percent-encoded', async () => {
    const res = await get(port, sign('/open/movie%201/seg-1.ts', LATER));
    expect(res).toEqual({ status: 200, body: BODY });
  });

  it('serves a link bound to the requesting address', async () => {
    expect(await get(port, sign('/bound/movie1/seg-1.ts', LATER, '127.0.0.1'))).toEqual({ status: 200, body: BODY });
    expect(await get(port, sign('/bound/movie1/seg-1.ts', LATER, '127.0.0.2'), '127.0.0.2')).toEqual({ status: 200, body: BODY });
  });

  it('refuses a link bound to another address (403)', async () => {
    expect((await get(port, sign('/bound/movie1/seg-1.ts', LATER, '127.0.0.2'), '127.0.0.1')).status).toBe(403);
    expect((await get(port, sign('/bound/movie1/seg-1.ts', LATER))).status).toBe(403);
  });

  it('refuses an expired link (410)', async () => {
    expect((await get(port, sign('/open/movie%201/seg-1.ts', NOW - 60))).status).toBe(410);
    expect((await get(port, sign('/bound/movie1/seg-1.ts', NOW - 60, '127.0.0.1'))).status).toBe(410);
  });

  it('refuses forged links (403): another secret, another path, a stretched expiry, a damaged hash, no hash', async () => {
    const good = sign('/open/movie%201/seg-1.ts', LATER);
    const forged = [
      signNginxSecureLink({ url: '/open/movie%201/seg-1.ts', secret: 'guessed', expires: LATER }, nodeCdnCrypto),
    ].map((v) => (v.ok ? v.value : ''));
    forged.push(good.replace('/open/movie%201/', '/open/movie%202/'));
    forged.push(good.replace(`expires=${LATER}`, `expires=${LATER + 1}`));
    forged.push(good.replace(/md5=(.)/, (_, c: string) => `md5=${c === 'A' ? 'B' : 'A'}`));
    forged.push('/open/movie%201/seg-1.ts');
    for (const path of forged) expect((await get(port, path)).status, path).toBe(403);
  });
});
