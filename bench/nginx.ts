/**
 * The bar: nginx serving the same files behind ngx_http_secure_link_module, configured as its
 * documentation shows (reference/FORMATS.md §3) — `secure_link $arg_md5,$arg_expires`, the MD5
 * of "$secure_link_expires$uri secret", 403 for a missing or wrong hash, 410 once expired —
 * with one worker process, access_log off and sendfile on.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { childPids, freePort, onCleanUp, type Service, startService, tempDir, waitFor } from './processes.js';

export const NGINX_SECRET = 'secret';

export interface NginxServer {
  readonly base: string;
  /** The worker's pid: the one process that serves. */
  readonly workerPid: number;
  /** A signed URL for a path under the root (leading '/'), valid until expires (Unix seconds). */
  signedUrl(path: string, expires: number): string;
  stop(): Promise<void>;
}

export interface NginxFile {
  /** Path under the web root, leading '/'. */
  readonly path: string;
  /** Copied from here. */
  readonly source: string;
}

/** `echo -n "$expires$uri secret" | openssl md5 -binary | base64url`, unpadded. */
export function secureLinkHash(uri: string, expires: number, secret = NGINX_SECRET): string {
  return createHash('md5').update(`${expires}${uri} ${secret}`).digest('base64url');
}

export async function startNginx(files: readonly NginxFile[]): Promise<NginxServer> {
  const dir = tempDir('nginx');
  const root = join(dir, 'www');
  for (const file of files) {
    const target = join(root, file.path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file.source, target);
  }
  for (const sub of ['tmp', 'logs']) mkdirSync(join(dir, sub));
  // Run as root, nginx switches its worker to `nobody`, which must read the files.
  chmodTree(dir);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, config(dir, root, port));
  const nginx: Service = startService('nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'logs', 'error.log')]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => ((await fetch(`${base}/nginx-bench-probe`)).status === 403 ? true : undefined),
      10_000,
      () => `nginx did not answer on ${base}:\n${nginx.output()}`,
    );
  } catch (error) {
    await nginx.stop();
    throw error;
  }
  const workers = childPids(nginx.pid);
  if (workers.length !== 1) {
    await nginx.stop();
    throw new Error(`expected one nginx worker under ${nginx.pid}, found ${workers.length}`);
  }
  // A master killed outright (Ctrl+C) leaves its worker running: kill the worker too.
  const workerPid = workers[0]!;
  onCleanUp(() => {
    try {
      // Only if that pid is still our worker, not a process that reused the number.
      if (readFileSync(`/proc/${workerPid}/cmdline`, 'utf8').startsWith('nginx: worker')) process.kill(workerPid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return {
    base,
    workerPid,
    signedUrl: (path, expires) => `${base}${path}?md5=${secureLinkHash(path, expires)}&expires=${expires}`,
    stop: () => nginx.stop(),
  };
}

function config(dir: string, root: string, port: number): string {
  const temp = (name: string): string => `${name}_temp_path ${join(dir, 'tmp', name)};`;
  return `# Written by Tollgate's bench (bench/nginx.ts).
daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} warn;

events {
    worker_connections 1024;
}

http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    ${temp('client_body')}
    ${temp('proxy')}
    ${temp('fastcgi')}
    ${temp('uwsgi')}
    ${temp('scgi')}
    types {
        application/vnd.apple.mpegurl m3u8;
        video/mp2t ts;
        video/mp4 mp4 m4s;
    }
    default_type application/octet-stream;

    server {
        listen 127.0.0.1:${port};
        root ${root};

        location / {
            secure_link $arg_md5,$arg_expires;
            secure_link_md5 "$secure_link_expires$uri ${NGINX_SECRET}";

            if ($secure_link = "") {
                return 403;
            }
            if ($secure_link = "0") {
                return 410;
            }
        }
    }
}
`;
}

function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const sub of ['www', 'tmp', 'logs']) chmodRecursive(join(dir, sub));
}

function chmodRecursive(path: string): void {
  // Directories 0755, files 0644: read-only for the worker.
  const stat = statSync(path);
  chmodSync(path, stat.isDirectory() ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chmodRecursive(join(path, entry));
}
