/**
 * What a new operator runs into: each mistake is answered with what to change (the setting
 * or the command), a distinct exit status, and no raw system error or password.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase, TEST_REDIS_URL } from '../support/app.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');

function listening(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('tollgate, as a new operator meets it', () => {
  let dataDir: string;
  const tollgate = (args: string[], extra: Record<string, string> = {}) =>
    run('node', [BIN, ...args], { env: { ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent', ...extra } }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-operator-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('says a command is unknown, with exit 2', async () => {
    const res = await tollgate(['frobnicate']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^tollgate: unknown command "frobnicate"\n/);
    expect(res.stderr).toContain('usage: tollgate <command>');
    expect((await tollgate(['titles', 'frobnicate'])).stderr).toContain('unknown command "titles frobnicate"');
  });

  it('warns about a misspelled setting, one line each, and not about TOLLGATE_TEST_*', async () => {
    const res = await tollgate(['titles', 'list'], { TOLLGATE_PROT: '9000', TOLLGATE_TEST_ANYTHING: '1' });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('tollgate: warning: unknown setting TOLLGATE_PROT is ignored (did you mean TOLLGATE_PORT?)\n');
  });

  it('refuses a shared database without Redis with exit 78, naming both settings', async () => {
    const res = await tollgate(['titles', 'list'], { TOLLGATE_DATABASE_URL: 'postgres://tollgate@127.0.0.1:5432/anything' });
    expect(res.code).toBe(78);
    expect(res.stderr).toContain('TOLLGATE_DATABASE_URL is set without TOLLGATE_REDIS_URL');
    expect(res.stderr).toContain('TOLLGATE_SINGLE_INSTANCE=true');
  });

  it('runs on PostgreSQL with Redis, or alone with TOLLGATE_SINGLE_INSTANCE=true', async () => {
    const database = await freshPostgresDatabase();
    try {
      const withRedis = await tollgate(['titles', 'list'], { TOLLGATE_DATABASE_URL: database.url, TOLLGATE_REDIS_URL: TEST_REDIS_URL });
      expect(withRedis).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(withRedis.stdout)).toEqual({ titles: [] });
      const alone = await tollgate(['titles', 'list'], { TOLLGATE_DATABASE_URL: database.url, TOLLGATE_SINGLE_INSTANCE: 'true' });
      expect(alone).toMatchObject({ code: 0, stderr: '' });
    } finally {
      await database.drop();
    }
  });

  it('names the unreachable store and its setting, masks the password, and exits 69 at once', async () => {
    const closed = await listening();
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const postgres = await tollgate(['titles', 'list'], {
      TOLLGATE_DATABASE_URL: `postgres://tollgate:pg-secret-pw@127.0.0.1:${port}/tollgate`,
      TOLLGATE_SINGLE_INSTANCE: 'true',
    });
    expect(postgres.code).toBe(69);
    expect(postgres.stderr).toContain(`cannot open PostgreSQL at postgres://tollgate:***@127.0.0.1:${port}/tollgate (TOLLGATE_DATABASE_URL)`);
    expect(postgres.stderr).not.toContain('pg-secret-pw');
    // ioredis would retry for ever; the start must fail instead, and the test's timeout bounds it.
    const redis = await tollgate(['titles', 'list'], { TOLLGATE_REDIS_URL: `redis://:redis-secret-pw@127.0.0.1:${port}` });
    expect(redis.code).toBe(69);
    expect(redis.stderr).toContain(`cannot open Redis at redis://:***@127.0.0.1:${port} (TOLLGATE_REDIS_URL)`);
    expect(redis.stderr).not.toContain('redis-secret-pw');
    const cluster = await tollgate(['titles', 'list'], { TOLLGATE_REDIS_CLUSTER_NODES: `redis://:redis-secret-pw@127.0.0.1:${port}` });
    expect(cluster.code).toBe(69);
    expect(cluster.stderr).toContain(`cannot open Redis Cluster at redis://:***@127.0.0.1:${port} (TOLLGATE_REDIS_CLUSTER_NODES)`);
    expect(cluster.stderr).not.toContain('redis-secret-pw');
  });

  it('gives up on a Redis that accepts connections but never answers, with exit 69', { timeout: 30_000 }, async () => {
    const silent = await listening();
    try {
      const port = (silent.address() as { port: number }).port;
      const res = await tollgate(['titles', 'list'], { TOLLGATE_REDIS_URL: `redis://127.0.0.1:${port}` });
      expect(res.code).toBe(69);
      expect(res.stderr).toContain(`cannot open Redis at redis://127.0.0.1:${port} (TOLLGATE_REDIS_URL): no answer within`);
    } finally {
      silent.close();
    }
  });

  it('says which setting to change when the port is taken, and exits 1', async () => {
    const taken = await listening();
    try {
      const port = (taken.address() as { port: number }).port;
      const res = await tollgate(['serve'], { TOLLGATE_PORT: String(port) });
      expect(res.code).toBe(1);
      expect(res.stderr).toBe(`tollgate serve: port ${port} on 127.0.0.1 is already in use: set TOLLGATE_PORT to a free port (or TOLLGATE_HOST)\n`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('prints a usable URL, not 0.0.0.0, when listening on every interface, and points to TOLLGATE_PUBLIC_URL', async () => {
    const free = await listening();
    const port = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    const child: ChildProcess = spawn('node', [BIN, 'serve'], {
      env: { ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent', TOLLGATE_HOST: '0.0.0.0', TOLLGATE_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const seen = (chunk: Buffer): void => {
          output += chunk.toString();
          if (output.includes('Tollgate is running at')) resolve();
        };
        child.stdout!.on('data', seen);
        child.stderr!.on('data', seen);
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
      });
      expect(output).toContain(`Tollgate is running at http://localhost:${port} (listening on 0.0.0.0:${port})`);
      expect(output).toContain('set TOLLGATE_PUBLIC_URL');
      expect(output).not.toContain('http://0.0.0.0');
      expect((await fetch(`http://localhost:${port}/healthz`)).status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('says an entitlement cannot be minted for a title that does not exist', async () => {
    const res = await tollgate(['entitlement', 'mint', '--title', 'no-such-title']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('title "no-such-title" does not exist');
    expect(res.stderr).not.toContain('DRM keys');
  });
});
