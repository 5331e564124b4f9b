/**
 * A real nginx for tests: a child process, single-process (no master), with the config
 * src/server/edge writes, its logs and temp files in a fresh directory, the access log kept
 * so a test can show which requests nginx itself served. Fails loudly when nginx is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxConfig } from '../../src/server/edge/nginx-config.js';

export const NGINX_PATH = process.env.TOLLGATE_TEST_NGINX ?? '/usr/sbin/nginx';

export interface TestNginx {
  readonly url: string;
  /** The request lines nginx logged so far ("GET /path HTTP/1.1" status). */
  accessLog(): string[];
  stop(): Promise<void>;
}

/** Starts nginx with the given server block(s) (which listen on `port`) and waits until it answers. */
export async function startTestNginx(port: number, server: string): Promise<TestNginx> {
  if (!existsSync(NGINX_PATH)) throw new Error(`nginx is not at ${NGINX_PATH}: install Debian's nginx-light or set TOLLGATE_TEST_NGINX`);
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-nginx-'));
  for (const sub of ['tmp', 'logs']) mkdirSync(join(dir, sub));
  chmodSync(dir, 0o755);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir, masterProcess: false, accessLog: true, server }));
  let output = '';
  const nginx: ChildProcess = spawn(NGINX_PATH, ['-p', dir, '-c', conf, '-e', join(dir, 'logs', 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  nginx.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (nginx.exitCode === null && nginx.signalCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/nginx-probe`);
      break;
    } catch (error) {
      if (i > 100 || nginx.exitCode !== null) {
        await stop();
        throw new Error(`nginx did not start: ${output} ${String(error)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    accessLog: () => {
      const file = join(dir, 'logs', 'access.log');
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => /"([^"]*)" (\d{3})/.exec(l)!.slice(1).join(' ')) : [];
    },
    stop,
  };
}
