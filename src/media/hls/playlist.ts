/**
 * Reads the clear playlists ffmpeg (or the demo-sample script) wrote and writes the published,
 * encrypted ones (RFC 8216). The reader accepts only what a clear, single-file-per-segment VOD
 * tree can contain: a URI that is not a plain file name, or an already encrypted, byte-range or
 * fMP4 playlist, is refused rather than half-understood, so nothing outside the tree is read.
 */
import { MediaError } from '../ffmpeg.js';

export interface Segment {
  readonly uri: string;
  readonly durationSec: number;
}

export interface Variant {
  /** The variant playlist's URI, "<rendition>/index.m3u8". */
  readonly uri: string;
  readonly attributes: ReadonlyMap<string, string>;
}

/** A file or folder name with no path separator, no leading dot and nothing to escape. */
export const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

const REFUSED_TAGS = ['#EXT-X-KEY', '#EXT-X-MAP', '#EXT-X-BYTERANGE', '#EXT-X-SESSION-KEY'];

function lines(text: string, what: string): string[] {
  const all = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (all[0] !== '#EXTM3U') throw new MediaError('bad_sample', `${what} is not an M3U8 playlist`);
  for (const line of all) {
    const refused = REFUSED_TAGS.find((tag) => line.startsWith(`${tag}:`));
    if (refused) throw new MediaError('bad_sample', `${what} uses ${refused}: only clear whole-file TS segments can be encrypted`);
  }
  return all;
}

export function parseMediaPlaylist(text: string, what: string): Segment[] {
  const segments: Segment[] = [];
  let duration: number | undefined;
  for (const line of lines(text, what)) {
    if (line.startsWith('#EXTINF:')) duration = Number(line.slice(8).split(',')[0]);
    if (line.startsWith('#')) continue;
    if (duration === undefined || !(duration > 0)) throw new MediaError('bad_sample', `${what}: ${line} has no valid #EXTINF`);
    if (!SAFE_NAME.test(line)) throw new MediaError('bad_sample', `${what}: segment URI ${line} is not a plain file name`);
    segments.push({ uri: line, durationSec: duration });
    duration = undefined;
  }
  if (segments.length === 0) throw new MediaError('bad_sample', `${what} lists no segments`);
  return segments;
}

export function parseMultivariantPlaylist(text: string, what: string): Variant[] {
  const variants: Variant[] = [];
  let attributes: Map<string, string> | undefined;
  for (const line of lines(text, what)) {
    if (line.startsWith('#EXT-X-STREAM-INF:')) attributes = parseAttributes(line.slice(18));
    if (line.startsWith('#')) continue;
    if (!attributes) throw new MediaError('bad_sample', `${what}: ${line} has no #EXT-X-STREAM-INF`);
    const [folder, file, ...rest] = line.split('/');
    if (!folder || !file || rest.length > 0 || !SAFE_NAME.test(folder) || !SAFE_NAME.test(file)) {
      throw new MediaError('bad_sample', `${what}: variant URI ${line} is not <rendition>/<playlist>`);
    }
    variants.push({ uri: line, attributes });
    attributes = undefined;
  }
  if (variants.length === 0) throw new MediaError('bad_sample', `${what} lists no variants`);
  return variants;
}

/** RFC 8216 §4.2 attribute list; quoted values may contain commas (CODECS). */
function parseAttributes(list: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) {
    const [, name = '', value = ''] = m;
    out.set(name, value.startsWith('"') ? value.slice(1, -1) : value);
  }
  return out;
}

/** Rounded EXTINF must not exceed the target duration (§4.3.3.1); ceil never understates it. */
export function targetDurationSec(segments: readonly Segment[]): number {
  return Math.max(1, ...segments.map((s) => Math.ceil(s.durationSec - 1e-6)));
}

/**
 * A VOD media playlist of AES-128 segments. No IV attribute: each segment's IV is its media
 * sequence number (RFC 8216 §5.2), starting at 0. The key URI is relative so the playback
 * token in the request path is inherited by the key request.
 */
export function formatMediaPlaylist(segments: readonly Segment[], keyUri: string): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${targetDurationSec(segments)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXT-X-KEY:METHOD=AES-128,URI="${keyUri}"`,
    ...segments.flatMap((s) => [`#EXTINF:${s.durationSec.toFixed(6)},`, s.uri]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

export interface VariantEntry {
  readonly uri: string;
  readonly bandwidth: number;
  readonly averageBandwidth: number;
  readonly resolution: string;
  readonly codecs: string;
}

/** Every segment starts with a keyframe (ffmpeg's hls muxer cuts only there): INDEPENDENT-SEGMENTS. */
export function formatMultivariantPlaylist(variants: readonly VariantEntry[]): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    ...variants.flatMap((v) => [
      `#EXT-X-STREAM-INF:BANDWIDTH=${v.bandwidth},AVERAGE-BANDWIDTH=${v.averageBandwidth},` +
        `RESOLUTION=${v.resolution},CODECS="${v.codecs}"`,
      v.uri,
    ]),
    '',
  ].join('\n');
}
