/**
 * The bar: nginx serving the same files behind ngx_http_secure_link_module, configured as its
 * documentation shows (reference/FORMATS.md §3) — `secure_link $arg_md5,$arg_expires`, the MD5
 * of "$secure_link_expires$uri secret", 403 for a missing or wrong hash, 410 once expired —
 * with one worker process, access_log off and sendfile on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signNginxSecureLink } from '../src/core/cdn/nginx.js';
import { nodeCdnCrypto } from '../src/server/edge/cdn-crypto.js';
import { secureLinkConfig, type SiteFile, stageSite } from '../src/server/edge/nginx-config.js';
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
  const conf = join(dir, 'nginx.conf');
  const locations = [{ prefix: '/', bindAddress: false }];
  writeFileSync(conf, secureLinkConfig({ dir, port, secret: NGINX_SECRET, locations, masterProcess: true }));
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
    signedUrl: (path, expires) => {
      const signed = signNginxSecureLink({ url: path, secret: NGINX_SECRET, expires }, nodeCdnCrypto);
      if (!signed.ok) throw new Error(signed.detail);
      return `${base}${signed.value}`;
    },
    stop: () => nginx.stop(),
  };
}
