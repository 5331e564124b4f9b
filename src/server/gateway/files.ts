/**
 * Serving packaged media files with what players and CDNs rely on: byte ranges (RFC 9110
 * §14), validators (ETag, Last-Modified) and conditional requests. The caller has already
 * checked the path is a plain relative path (no traversal); this module only joins it under
 * the title's folder.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TollgateError } from '../../core/errors.js';

export const TYPES: Readonly<Record<string, string>> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.aac': 'audio/aac',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.m4v': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.mpd': 'application/dash+xml',
  '.vtt': 'text/vtt',
};

export function isManifest(path: string): boolean {
  const ext = extname(path);
  return ext === '.m3u8' || ext === '.mpd';
}

export interface MediaFile {
  readonly file: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: string;
  readonly type: string;
  /** The contents, when the file is small enough to be kept in memory. */
  readonly bytes?: Buffer;
}

/** Files up to this size are kept in memory; larger ones are streamed from disk. */
const MAX_CACHED_FILE_BYTES = 8 << 20;

/** How often a title's folder is looked at, to notice it was replaced or removed. */
export const FOLDER_RECHECK_MS = 2_000;

/**
 * Packaged media, read through a memory cache bounded in bytes (least recently used first
 * out). A published title folder's files never change in place, so a cached file stays valid
 * and a hit costs no system call: per-request stat and open were most of the gateway's CPU
 * time (docs/BENCHMARKS.md). A whole folder can be swapped (`tollgate package --replace`) or
 * removed, possibly by another process: its identity (device and inode) is looked at every
 * FOLDER_RECHECK_MS, and when it changed the title's cached files are dropped, so no old
 * manifest or segment outlives its replacement by more than that.
 */
export class MediaFiles {
  private readonly cache = new Map<string, MediaFile>();
  private cachedBytes = 0;
  private readonly folders = new Map<string, { identity: string; checkedAt: number }>();
  /** Whether a folder inside a title exists, by its full path; dropped with the title's files. */
  private readonly subfolders = new Map<string, boolean>();

  constructor(
    private readonly root: string,
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A file already in memory, or undefined (then use get). */
  cached(titleId: string, path: string): MediaFile | undefined {
    const folder = this.folders.get(titleId);
    if (folder === undefined || this.now() - folder.checkedAt >= FOLDER_RECHECK_MS) return undefined;
    return this.cache.get(`${this.root}/${titleId}/${path}`);
  }

  /** titleId and path must already be checked (checkBindings): they are joined as they are. */
  async get(titleId: string, path: string): Promise<MediaFile> {
    await this.checkFolder(titleId);
    const file = `${this.root}/${titleId}/${path}`;
    const hit = this.cache.get(file);
    if (hit !== undefined) {
      this.cache.delete(file);
      this.cache.set(file, hit);
      return hit;
    }
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) throw new TollgateError('not_found', 'no such file in this title');
    const media: MediaFile = {
      file,
      size: info.size,
      etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      lastModified: info.mtime.toUTCString(),
      type: TYPES[extname(path)] ?? 'application/octet-stream',
    };
    if (info.size > MAX_CACHED_FILE_BYTES || info.size > this.maxBytes) return media;
    const cached = { ...media, bytes: await readFile(file) };
    this.cache.set(file, cached);
    this.cachedBytes += cached.size;
    for (const [key, old] of this.cache) {
      if (this.cachedBytes <= this.maxBytes) break;
      this.cache.delete(key);
      this.cachedBytes -= old.size;
    }
    return cached;
  }

  /** Whether the title has the folder `path` (checked as its files are: once per published folder). */
  async hasFolder(titleId: string, path: string): Promise<boolean> {
    await this.checkFolder(titleId);
    const dir = `${this.root}/${titleId}/${path}`;
    let known = this.subfolders.get(dir);
    if (known === undefined) {
      known = (await stat(dir).catch(() => undefined))?.isDirectory() === true;
      this.subfolders.set(dir, known);
    }
    return known;
  }

  private async checkFolder(titleId: string): Promise<void> {
    const now = this.now();
    const known = this.folders.get(titleId);
    if (known !== undefined && now - known.checkedAt < FOLDER_RECHECK_MS) return;
    const info = await stat(`${this.root}/${titleId}`).catch(() => undefined);
    const identity = info === undefined ? 'none' : `${info.dev}:${info.ino}`;
    if (known !== undefined && known.identity !== identity) {
      const prefix = `${this.root}/${titleId}/`;
      for (const [key, media] of this.cache) {
        if (!key.startsWith(prefix)) continue;
        this.cache.delete(key);
        this.cachedBytes -= media.size;
      }
      for (const dir of this.subfolders.keys()) if (dir.startsWith(prefix)) this.subfolders.delete(dir);
    }
    this.folders.set(titleId, { identity, checkedAt: now });
  }
}

/** Caching headers of packaged files: they never change under a URL (a CDN that validates tokens at the edge can keep them). */
export const IMMUTABLE_MEDIA = Object.freeze({ 'accept-ranges': 'bytes', 'cache-control': 'public, max-age=86400, immutable' });
/**
 * A watermark variant chosen for one session: a shared cache must not hand it to another
 * (in cookie mode every session asks for the same URL).
 */
export const SESSION_MEDIA = Object.freeze({ 'accept-ranges': 'bytes', 'cache-control': 'private, max-age=86400, immutable' });

/** Sends a segment or other immutable media file, honouring Range and If-None-Match. */
export function sendMediaFile(
  request: FastifyRequest,
  reply: FastifyReply,
  media: MediaFile,
  caching: Readonly<Record<string, string>> = IMMUTABLE_MEDIA,
): FastifyReply {
  reply.headers(caching).header('content-type', media.type).header('etag', media.etag).header('last-modified', media.lastModified);
  if (request.headers['if-none-match'] === media.etag) return reply.code(304).send();

  const range = parseRange(request.headers.range, media.size);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${media.size}`);
    throw new TollgateError('range_not_satisfiable', `the file has ${media.size} bytes`);
  }
  if (range === undefined) {
    return reply.header('content-length', media.size).send(media.bytes ?? createReadStream(media.file));
  }
  const [start, end] = range;
  return reply
    .code(206)
    .header('content-range', `bytes ${start}-${end}/${media.size}`)
    .header('content-length', end - start + 1)
    .send(media.bytes?.subarray(start, end + 1) ?? createReadStream(media.file, { start, end }));
}

/** One `bytes=` range; multiple ranges are answered with the whole file (allowed by RFC 9110). */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  let start: number;
  let end: number;
  if (first === '') {
    start = Math.max(0, size - Number(last));
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  }
  if (start >= size || start > end || size === 0) return 'unsatisfiable';
  return [start, end];
}
