/**
 * The player page's static files, read once per process and kept in memory with their
 * gzip form and an ETag: the page is small and hls.js is 600 KB that compresses to a third.
 * Shared by the web routes and by the browser tests' second-origin server, so both serve
 * exactly the same bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface WebAsset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly type: string;
  readonly etag: string;
}

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** URL path → file; the pages' own files sit in web/ (the dashboard's in web/admin/), the players and Chart.js come from node_modules. */
function sources(): [string, string, string][] {
  const web = join(packageRoot(), 'web');
  const resolve = createRequire(import.meta.url).resolve;
  return [
    ['/', join(web, 'index.html'), HTML],
    ['/player.js', join(web, 'player.js'), JS],
    ['/api.js', join(web, 'api.js'), JS],
    ['/playback.js', join(web, 'playback.js'), JS],
    ['/dash.js', join(web, 'dash.js'), JS],
    ['/device.js', join(web, 'device.js'), JS],
    ['/heartbeat.js', join(web, 'heartbeat.js'), JS],
    ['/screens.js', join(web, 'screens.js'), JS],
    ['/base.css', join(web, 'base.css'), CSS],
    ['/player.css', join(web, 'player.css'), CSS],
    ['/assets/hls.min.js', resolve('hls.js/dist/hls.min.js'), JS],
    ['/assets/shaka-player.compiled.js', resolve('shaka-player/dist/shaka-player.compiled.js'), JS],
    ['/admin/', join(web, 'admin', 'index.html'), HTML],
    ...['dashboard.js', 'admin-api.js', 'dom.js', 'streams.js', 'alerts.js', 'charts.js', 'user.js'].map(
      (file): [string, string, string] => [`/admin/${file}`, join(web, 'admin', file), JS],
    ),
    ['/admin/dashboard.css', join(web, 'admin', 'dashboard.css'), CSS],
    ['/admin/assets/chart.umd.min.js', join(dirname(resolve('chart.js')), 'chart.umd.min.js'), JS],
  ];
}

/** The folder holding package.json: web/ sits beside src/ whether we run from src or dist. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the tollgate package root for the player page');
    dir = parent;
  }
  return dir;
}

let loaded: ReadonlyMap<string, WebAsset> | undefined;

/** Every asset by URL path; the first call reads and compresses them (tens of milliseconds). */
export function webAssets(): ReadonlyMap<string, WebAsset> {
  loaded ??= new Map(
    sources().map(([path, file, type]) => {
      const body = readFileSync(file);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      return [path, { body, gzip: gzipSync(body, { level: 9 }), type, etag }];
    }),
  );
  return loaded;
}

/** Whether the client can take the gzip form (a q=0 refusal counts as no). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return (acceptEncoding ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    return (coding === 'gzip' || coding === '*') && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}
