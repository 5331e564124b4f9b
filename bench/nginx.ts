/**
 * The bar: nginx serving the same files behind ngx_http_secure_link_module, configured as its
 * documentation shows (reference/FORMATS.md §3) — `secure_link $arg_md5,$arg_expires`, the MD5
 * of "$secure_link_expires$uri secret", 403 for a missing or wrong hash, 410 once expired —
 * with one worker process, access_log off and sendfile on.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { signNginxSecureLink } from '../src/core/cdn/nginx.js';
import { nodeCdnCrypto } from '../src/server/edge/cdn-crypto.js';
import { nginxConfig, secureLinkConfig, type SiteFile, stageSite } from '../src/server/edge/nginx-config.js';
import { accelServerBlock } from '../src/server/edge/nginx-serving-config.js';
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

export async function startNginx(files: readonly SiteFile[]): Promise<NginxServer> {
  const dir = tempDir('nginx');
  // Run as root, nginx switches its worker to `nobody`, which must read the files.
  stageSite(dir, files);
  const port = await freePort();
  const locations = [{ prefix: '/', bindAddress: false }];
  const { base, workerPid, stop } = await runNginx(dir, port, secureLinkConfig({ dir, port, secret: NGINX_SECRET, locations, masterProcess: true }), 403);
  return {
    base,
    workerPid,
    signedUrl: (path, expires) => {
      const signed = signNginxSecureLink({ url: path, secret: NGINX_SECRET, expires }, nodeCdnCrypto);
      if (!signed.ok) throw new Error(signed.detail);
      return `${base}${signed.value}`;
    },
    stop,
  };
}

/**
 * nginx in front of a Tollgate in X-Accel-Redirect mode (TOLLGATE_SEND_FILE=x-accel): it
 * proxies every request and sends the files Tollgate names from the media directory.
 */
export async function startAccelNginx(port: number, upstream: string, mediaRoot: string): Promise<{ base: string; workerPid: number; stop(): Promise<void> }> {
  // The `nobody` worker must reach the media (and only the media) of Tollgate's data dir.
  chmodSync(dirname(mediaRoot), 0o711);
  execFileSync('chmod', ['-R', 'a+rX', mediaRoot]);
  const dir = tempDir('nginx-accel');
  stageSite(dir, []);
  const server = accelServerBlock({ port, upstream, prefix: '/internal/media/', mediaRoot });
  return runNginx(dir, port, nginxConfig({ dir, masterProcess: true, accessLog: false, server }), 404);
}

/** Starts nginx (one worker under a master) and waits until a probe gets probeStatus. */
async function runNginx(dir: string, port: number, config: string, probeStatus: number): Promise<{ base: string; workerPid: number; stop(): Promise<void> }> {
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, config);
  const nginx: Service = startService('nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'logs', 'error.log')]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => ((await fetch(`${base}/nginx-bench-probe`)).status === probeStatus ? true : undefined),
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
  return { base, workerPid, stop: () => nginx.stop() };
}
