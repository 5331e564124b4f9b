/**
 * Tollgate set up as a user would: `tollgate package` on an ffmpeg test clip, `tollgate serve`
 * on a fresh data dir, a plan and a subscriber through the admin API, login, POST /v1/playback,
 * then the manifest and a media playlist to find real segment URLs carrying the playback token.
 * On request also a DASH CENC title from a 720p clip (SD, HD and audio keys), for licenses.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, run, type Service, startService, tempDir, waitFor } from './processes.js';

export const TITLE = 'bench';
/** The DASH CENC title packaged when StartOptions.dash is set. */
export const DASH_TITLE = 'bench-dash';

export interface TollgateServer {
  readonly base: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Where the title's packaged files are: <data>/media/<title>. */
  readonly titleDir: string;
  /** The gateway URL prefix carrying the playback token: ".../v1/stream/<token>/bench/". */
  readonly streamPrefix: string;
  readonly manifestUrl: string;
  /** Media segments named by the playlists, as paths relative to the title. */
  readonly segments: readonly string[];
  /** The subscriber's access token, for more POST /v1/playback calls. */
  readonly accessToken: string;
  /** For more plans and subscribers through the admin API. */
  readonly adminToken: string;
  stop(): Promise<void>;
}

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'bin', 'tollgate.js');

export interface Clip {
  readonly width: number;
  readonly height: number;
  readonly seconds: number;
}

/** The 8 s 640x360 clip of the HTTP part, as the brief for the bench asks. */
export const HLS_CLIP: Clip = { width: 640, height: 360, seconds: 8 };
/** Tall enough for an HD rung (the DASH ladder never upscales): SD, HD and audio keys. */
export const DASH_CLIP: Clip = { width: 1280, height: 720, seconds: 4 };

/** An H.264/AAC test clip, 25 fps with a keyframe every 2 s. */
export async function makeClip(dir: string, clip: Clip = HLS_CLIP): Promise<string> {
  const file = join(dir, `clip-${clip.height}p.mp4`);
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${clip.width}x${clip.height}:rate=25`, '-f', 'lavfi', '-i', 'sine'];
  args.push('-t', String(clip.seconds), '-c:v', 'libx264', '-g', '50', '-c:a', 'aac', file);
  const result = await run('ffmpeg', args, 120_000);
  if (result.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${result.stderr}`);
  return file;
}

export interface StartOptions {
  /** Extra node flags for the server process, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** Also package DASH_TITLE with --dash from a DASH_CLIP. */
  readonly dash?: boolean;
  /** Settings on top of the defaults (e.g. TOLLGATE_SEND_FILE=x-accel, or TOLLGATE_EVENTS=off for the comparison run). */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startTollgate(options: StartOptions = {}): Promise<TollgateServer> {
  const dataDir = tempDir('tollgate');
  const work = tempDir('clip');
  const adminToken = randomBytes(24).toString('hex');
  const port = await freePort();
  // Tollgate's defaults plus only these settings: none of the caller's TOLLGATE_* leaks in,
  // so the bench measures one instance on its embedded stores.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOLLGATE_')));
  Object.assign(env, {
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_ADMIN_TOKEN: adminToken,
    TOLLGATE_HOST: '127.0.0.1',
    TOLLGATE_PORT: String(port),
    TOLLGATE_LOG_LEVEL: 'warn',
    // One session from one address at thousands of licenses a second is the flood the rate
    // limits stop: raise them out of reach, so they are counted (and their cost measured) but never trip.
    TOLLGATE_RATE_LICENSE_PER_SESSION: '1000000',
    TOLLGATE_RATE_LICENSE_PER_ADDRESS: '1000000',
    // The license part starts thousands of sessions from this one address.
    TOLLGATE_RATE_PLAYBACK_PER_ADDRESS: '1000000',
    // Starting those sessions takes minutes on a busy machine: their leases (renewed by every
    // license) must outlast the set-up, or the first sessions would have lost their slots.
    TOLLGATE_STREAM_LEASE_SECONDS: '3600',
    ...options.env,
  });

  const titles = [{ id: TITLE, clip: HLS_CLIP, protocol: '--hls' }];
  if (options.dash) titles.push({ id: DASH_TITLE, clip: DASH_CLIP, protocol: '--dash' });
  for (const { id, clip, protocol } of titles) {
    const file = await makeClip(work, clip);
    const packaged = await run(process.execPath, [cli, 'package', file, '--title', id, protocol], 300_000, { env, cwd: work });
    if (packaged.status !== 0) throw new Error(`tollgate package ${protocol} failed (exit ${packaged.status}): ${packaged.stderr || packaged.stdout}`);
  }

  const server: Service = startService(process.execPath, [...(options.nodeFlags ?? []), cli, 'serve'], { env, cwd: work });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined),
      60_000, // a shared, busy machine can take this long to start Node
      () => `tollgate serve did not answer on ${base}:\n${server.output()}`,
    );
    const admin = { authorization: `Bearer ${adminToken}` };
    await call(`${base}/v1/admin/plans`, { id: 'bench-all', titles: '*' }, admin);
    const password = randomBytes(12).toString('hex');
    await call(`${base}/v1/admin/users`, { email: 'bench@tollgate.local', password, plan_id: 'bench-all' }, admin);
    const login = await call(`${base}/v1/auth/login`, { email: 'bench@tollgate.local', password });
    const accessToken = String(login.access_token);
    const grant = await call(`${base}/v1/playback`, { title_id: TITLE, protocol: 'hls' }, { authorization: `Bearer ${accessToken}` });
    const manifestUrl = String(grant.manifest_url);
    const marker = `/${TITLE}/`;
    const streamPrefix = manifestUrl.slice(0, manifestUrl.indexOf(marker, manifestUrl.indexOf('/v1/stream/')) + marker.length);
    if (!streamPrefix.includes('/v1/stream/')) throw new Error(`expected a path-mode manifest URL, got ${manifestUrl}`);
    const segments = await findSegments(manifestUrl, streamPrefix);
    return {
      base,
      pid: server.pid,
      dataDir,
      titleDir: join(dataDir, 'media', TITLE),
      streamPrefix,
      manifestUrl,
      segments,
      accessToken,
      adminToken,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** The media segments of every variant of an HLS multivariant playlist, relative to the title. */
async function findSegments(manifestUrl: string, streamPrefix: string): Promise<string[]> {
  const master = await text(manifestUrl);
  const variants = uriLines(master).map((u) => new URL(u, manifestUrl).href);
  // A media playlist given directly (no variants) is its own only variant.
  const playlists = variants.some((v) => new URL(v).pathname.endsWith('.m3u8')) ? variants : [manifestUrl];
  const segments: string[] = [];
  for (const playlist of playlists) {
    for (const uri of uriLines(await text(playlist))) {
      const url = new URL(uri, playlist).href;
      if (!url.startsWith(streamPrefix)) throw new Error(`segment ${url} is outside ${streamPrefix}`);
      segments.push(decodeURIComponent(url.slice(streamPrefix.length)));
    }
  }
  if (segments.length === 0) throw new Error(`no segments found from ${manifestUrl}`);
  return segments;
}

function uriLines(playlist: string): string[] {
  return playlist
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The segment whose size on disk is closest to target bytes. */
export function segmentNear(server: TollgateServer, target: number): { path: string; file: string; size: number } {
  const sized = server.segments.map((path) => {
    const file = join(server.titleDir, path);
    return { path, file, size: statSync(file).size };
  });
  sized.sort((a, b) => Math.abs(a.size - target) - Math.abs(b.size - target));
  return sized[0]!;
}

/**
 * A small file beside a real segment in the title's folder, for the per-request-overhead run:
 * the gateway serves any file under the title, so it passes the same token checks.
 */
export function addSmallFile(server: TollgateServer, nextTo: string, bytes: number): { path: string; file: string; size: number } {
  const dir = nextTo.includes('/') ? nextTo.slice(0, nextTo.lastIndexOf('/') + 1) : '';
  const path = `${dir}bench-${bytes}b.ts`;
  const file = join(server.titleDir, path);
  writeFileSync(file, randomBytes(bytes));
  return { path, file, size: bytes };
}

/** GETs url and checks it answers 200 with exactly the file's bytes. */
export async function expectFile(url: string, file: string): Promise<void> {
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${body.toString().slice(0, 300)}`);
  if (!body.equals(readFileSync(file))) throw new Error(`GET ${url}: the body differs from ${file}`);
}

/** GETs url and checks it is refused with one of the statuses. */
export async function expectRefused(url: string, statuses: readonly number[]): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!statuses.includes(response.status)) throw new Error(`GET ${url}: expected ${statuses.join('/')}, got ${response.status}`);
  return response.status;
}

export async function call(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function text(url: string): Promise<string> {
  const response = await fetch(url);
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 300)}`);
  return body;
}
