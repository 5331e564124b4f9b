/**
 * Private PostgreSQL and Redis servers for fault-injection tests. Each test file starts its own,
 * on a free port, so it can crash, restart, freeze and stop them without touching the
 * machine's shared services (and other test files running beside it).
 *
 * PostgreSQL: a cluster of its own made with Debian's `pg_createcluster` (initdb refuses root,
 * the wrapper runs it as the postgres user), trust auth on 127.0.0.1. Redis: a child
 * `redis-server` that keeps nothing on disk, as the machine's does.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface PrivateServer {
  readonly url: string;
  /** Crashes it: SIGKILL to every process of the server (no shutdown, no flush). */
  crash(): Promise<void>;
  /** Starts it again on the same port and data, and waits until it answers. */
  restart(): Promise<void>;
  /** SIGSTOP to every process: connections stay open and nothing answers. */
  freeze(): Promise<void>;
  /** SIGCONT: undoes freeze(). */
  thaw(): Promise<void>;
  /** Stops it for good and removes its data. */
  remove(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function until(what: string, probe: () => Promise<unknown>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not come up: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already: a crashed backend, or a process that exited between listing and signal.
    }
  }
}

/** A PostgreSQL 15 cluster of the test's own; its database `test` is empty. */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const port = await freePort();
  const name = `tg_${process.pid}_${port}`;
  const version = (await readdir('/etc/postgresql')).sort().at(-1)!;
  await run('pg_createcluster', [version, name, '-p', String(port), '--', '--auth-local=trust', '--auth-host=trust']);
  const ctl = (action: string, ...extra: string[]) => run('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, action, ...extra]);
  const url = `postgres://postgres@127.0.0.1:${port}/test`;
  const ready = () =>
    until('private PostgreSQL', async () => {
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 1000 });
      await client.connect();
      await client.end();
    });
  /** The postmaster and every backend it started. */
  const pids = async (): Promise<number[]> => {
    const postmaster = Number((await readFile(`/var/lib/postgresql/${version}/${name}/postmaster.pid`, 'utf8')).split('\n')[0]);
    const children = await run('pgrep', ['-P', String(postmaster)]).then(
      ({ stdout }) => stdout.split('\n').filter(Boolean).map(Number),
      () => [] as number[],
    );
    return [postmaster, ...children];
  };

  const thaw = async () => signalAll(await pids(), 'SIGCONT');

  await ctl('start');
  await ready();
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE test');
  await admin.end();

  return {
    url,
    async crash() {
      signalAll(await pids(), 'SIGKILL');
      // A crash leaves the lock files behind. PostgreSQL treats one as stale when its pid is
      // gone, but here the killed postmaster may linger as an unreaped zombie (no init reaps
      // it in a container), so the lock would look live: remove them as an operator would.
      await rm(`/var/lib/postgresql/${version}/${name}/postmaster.pid`, { force: true });
      await rm(`/var/run/postgresql/.s.PGSQL.${port}.lock`, { force: true });
    },
    async restart() {
      await ctl('start').catch(() => ctl('restart', '-m', 'immediate'));
      await ready();
    },
    async freeze() {
      signalAll(await pids(), 'SIGSTOP');
    },
    thaw,
    async remove() {
      signalAll(await pids().catch(() => []), 'SIGCONT');
      await run('pg_dropcluster', [version, name, '--stop']).catch(() => run('pg_dropcluster', [version, name]));
    },
  };
}

/** A Redis server of the test's own, empty, keeping nothing on disk. */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until('private Redis', () => run('redis-cli', ['-p', String(port), 'ping']).then(({ stdout }) => {
      if (!stdout.includes('PONG')) throw new Error(stdout);
    }));
  };
  const exited = (proc: ChildProcess) => new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
  await start();
  return {
    url,
    async crash() {
      const proc = child!;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    restart: start,
    async freeze() {
      child?.kill('SIGSTOP');
    },
    async thaw() {
      child?.kill('SIGCONT');
    },
    async remove() {
      const proc = child!;
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      await exited(proc);
    },
  };
}
