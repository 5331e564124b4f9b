/**
 * nginx as an edge that checks Tollgate's `secure_link` tokens: the site layout and the
 * config, written in one place for the benchmark (bench/nginx.ts) and the interop test
 * (test/e2e/nginx-secure-link.test.ts). The check is the module documentation's: the MD5 of
 * "$secure_link_expires$uri[$remote_addr] <secret>", 403 for a missing or wrong hash, 410
 * once expired; the signer is src/core/cdn/nginx.ts.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface SecureLinkLocation {
  /** Location prefix, leading and trailing '/'. */
  readonly prefix: string;
  /** Whether links are bound to the client address ($remote_addr in the hash). */
  readonly bindAddress: boolean;
}

export interface SecureLinkSite {
  /** Prefix dir holding www/, tmp/, logs/ (see stageSite). */
  readonly dir: string;
  readonly port: number;
  readonly secret: string;
  readonly locations: readonly SecureLinkLocation[];
  /** One worker under a master (the bench measures the worker), or a single process (tests). */
  readonly masterProcess: boolean;
}

export interface SiteFile {
  /** Path under the web root, leading '/'. */
  readonly path: string;
  /** Copied from here. */
  readonly source: string;
}

/** Lays out dir (www/ with the files, tmp/, logs/), readable by the `nobody` worker a root master starts. */
export function stageSite(dir: string, files: readonly SiteFile[]): void {
  const root = join(dir, 'www');
  for (const file of files) {
    const target = join(root, file.path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file.source, target);
  }
  for (const sub of ['www', 'tmp', 'logs']) mkdirSync(join(dir, sub), { recursive: true });
  chmodSync(dir, 0o755);
  for (const sub of ['www', 'tmp', 'logs']) chmodRecursive(join(dir, sub));
}

function chmodRecursive(path: string): void {
  // Directories 0755, files 0644: read-only for the worker.
  const stat = statSync(path);
  chmodSync(path, stat.isDirectory() ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chmodRecursive(join(path, entry));
}

export function secureLinkConfig(site: SecureLinkSite): string {
  if (/[\s"'$;{}\\]/.test(site.secret)) throw new Error('the secure_link secret must be plain text for the nginx config');
  const locations = site.locations.map(
    (l) => `
        location ${l.prefix} {
            secure_link $arg_md5,$arg_expires;
            secure_link_md5 "$secure_link_expires$uri${l.bindAddress ? '$remote_addr' : ''} ${site.secret}";

            if ($secure_link = "") {
                return 403;
            }
            if ($secure_link = "0") {
                return 410;
            }
        }`,
  );
  return nginxConfig({
    dir: site.dir,
    masterProcess: site.masterProcess,
    accessLog: false,
    server: `
    server {
        listen 127.0.0.1:${site.port};
        root ${join(site.dir, 'www')};
${locations.join('\n')}
    }`,
  });
}

export interface NginxProcessConfig {
  /** Prefix dir holding tmp/ and logs/ (see stageSite). */
  readonly dir: string;
  readonly masterProcess: boolean;
  /** Log each request to logs/access.log (the edge test reads it), or not (the bench). */
  readonly accessLog: boolean;
  /** The server block(s). */
  readonly server: string;
}

/** The whole nginx.conf around the given server block: one worker, sendfile, media types. */
export function nginxConfig(conf: NginxProcessConfig): string {
  const temp = (name: string): string => `${name}_temp_path ${join(conf.dir, 'tmp', name)};`;
  return `# Written by Tollgate (src/server/edge/nginx-config.ts).
daemon off;
master_process ${conf.masterProcess ? 'on' : 'off'};
worker_processes 1;
pid ${join(conf.dir, 'nginx.pid')};
error_log ${join(conf.dir, 'logs', 'error.log')} warn;

events {
    worker_connections 1024;
}

http {
    access_log ${conf.accessLog ? join(conf.dir, 'logs', 'access.log') : 'off'};
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
        application/dash+xml mpd;
        video/mp2t ts;
        video/mp4 mp4;
        video/iso.segment m4s;
    }
    default_type application/octet-stream;
${conf.server}
}
`;
}

