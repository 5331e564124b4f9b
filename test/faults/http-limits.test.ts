/**
 * Fault: connection limits of the HTTP server (issue 8, item 9), on a real listening server.
 * Behind a load balancer, Tollgate must keep idle connections longer than the balancer does
 * (else the balancer reuses a connection Tollgate just closed: a 502); a client dripping its
 * body must be cut at the request deadline, not held for Node's 300 s; and connections beyond
 * the cap are refused instead of exhausting file descriptors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { type RunningServer, startServer } from '../../src/server/main.js';

let server: RunningServer | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  server = undefined;
});

async function listen(env: Record<string, string> = {}): Promise<{ host: string; port: number }> {
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-http-limits-'));
  server = await startServer(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_PORT: '0', TOLLGATE_LOG_LEVEL: 'silent', ...env }));
  return { host: '127.0.0.1', port: Number(new URL(server.url).port) };
}

/** A raw connection that records what the server sent and when it closed. */
async function open(at: { host: string; port: number }): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const socket = connect(at.port, at.host);
  socket.setNoDelay(true);
  let data = '';
  socket.on('data', (chunk) => (data += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  return { socket, received: () => data, closed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const healthz = 'GET /healthz HTTP/1.1\r\nHost: tollgate\r\nConnection: keep-alive\r\n\r\n';

describe('fault: HTTP connection limits', () => {
  it('defaults to keep-alive 65 s (beyond a load balancer\'s 60 s), requests cut at 30 s, 10 000 connections', async () => {
    await listen();
    const node = server!.app.server;
    expect(node.keepAliveTimeout).toBe(65_000);
    expect(node.headersTimeout).toBe(20_000);
    expect(node.requestTimeout).toBe(30_000);
    expect(node.maxConnections).toBe(10_000);
  });

  it('refuses a headers timeout longer than the request timeout at boot', () => {
    expect(() => loadConfig({ TOLLGATE_HTTP_HEADERS_TIMEOUT: '40', TOLLGATE_HTTP_REQUEST_TIMEOUT: '30' })).toThrow(/TOLLGATE_HTTP_HEADERS_TIMEOUT/);
    expect(() => loadConfig({ TOLLGATE_HTTP_MAX_CONNECTIONS: 'many' })).toThrow(/TOLLGATE_HTTP_MAX_CONNECTIONS/);
  });

  it('cuts a client that drips its body once the request timeout has passed', async () => {
    const at = await listen({ TOLLGATE_HTTP_REQUEST_TIMEOUT: '2', TOLLGATE_HTTP_HEADERS_TIMEOUT: '1' });
    const client = await open(at);
    const started = Date.now();
    client.socket.write('POST /v1/auth/login HTTP/1.1\r\nHost: tollgate\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{');
    const drip = setInterval(() => client.socket.writable && client.socket.write(' '), 200);
    try {
      const closedAt = await Promise.race([client.closed, sleep(10_000).then(() => Infinity)]);
      expect(closedAt - started).toBeGreaterThanOrEqual(1900);
      expect(closedAt - started).toBeLessThan(5000);
      expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  });

  it('keeps an idle keep-alive connection open for the configured time, longer than Node\'s 5 s, then closes it', async () => {
    const at = await listen({ TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT: '6' });
    const client = await open(at);
    client.socket.write(healthz);
    const early = await Promise.race([client.closed, sleep(5500).then(() => undefined)]);
    expect(early).toBeUndefined();
    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
    // Still usable after Node's default would have closed it.
    client.socket.write(healthz);
    const againAt = Date.now();
    await sleep(200);
    expect(client.received().match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    const closedAt = await Promise.race([client.closed, sleep(9000).then(() => Infinity)]);
    expect(closedAt - againAt).toBeGreaterThanOrEqual(5500);
    expect(closedAt - againAt).toBeLessThan(8000);
  });

  it('refuses connections beyond the cap and serves again once one closes', async () => {
    const at = await listen({ TOLLGATE_HTTP_MAX_CONNECTIONS: '2' });
    const first = await open(at);
    const second = await open(at);
    first.socket.write(healthz);
    second.socket.write(healthz);
    await sleep(200);
    const third = await open(at).catch(() => undefined);
    if (third !== undefined) {
      third.socket.write(healthz);
      await Promise.race([third.closed, sleep(2000)]);
      expect(third.received()).toBe('');
      expect(third.socket.destroyed).toBe(true);
    }
    first.socket.destroy();
    await first.closed;
    await sleep(100);
    const fourth = await open(at);
    fourth.socket.write(healthz);
    await sleep(300);
    expect(fourth.received()).toMatch(/^HTTP\/1\.1 200/);
    second.socket.destroy();
    fourth.socket.destroy();
  });
});
