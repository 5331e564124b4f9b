/**
 * HLS playlist rewriting (RFC 8216): every URI a player will fetch passes through one mapper,
 * so the gateway can put the playback token on it (query mode) or point it elsewhere.
 * Threats: a URI that escapes the mapper is fetched without a token (fails closed, but breaks
 * playback); a rewrite that touches anything else can corrupt the playlist, and a mapped URI
 * carrying a line break or quote could inject tags. So URIs are found by parsing (tags by
 * exact name, attribute lists with quoted commas), `skd:` and `data:` URIs are never touched,
 * every other byte — line endings, comments, unknown tags — is kept, and a mapper result that
 * would break the line is refused.
 */
import { findAttribute, isBlank, parseAttributeList } from './hls-attributes.js';
import { isOpaqueUri } from './uri.js';

export type HlsUriKind = 'variant' | 'media' | 'segment' | 'key' | 'map' | 'iframe' | 'other';
export type HlsUriMapper = (uri: string, kind: HlsUriKind) => string;

interface UriTag {
  readonly attribute: string;
  readonly kind: HlsUriKind;
}

/** Tags with a URI attribute. EXT-X-PRELOAD-HINT is 'segment' unless TYPE=MAP. */
const URI_TAGS: ReadonlyMap<string, UriTag> = new Map([
  ['#EXT-X-KEY', { attribute: 'URI', kind: 'key' }],
  ['#EXT-X-SESSION-KEY', { attribute: 'URI', kind: 'key' }],
  ['#EXT-X-MAP', { attribute: 'URI', kind: 'map' }],
  ['#EXT-X-MEDIA', { attribute: 'URI', kind: 'media' }],
  ['#EXT-X-I-FRAME-STREAM-INF', { attribute: 'URI', kind: 'iframe' }],
  ['#EXT-X-PART', { attribute: 'URI', kind: 'segment' }],
  ['#EXT-X-PRELOAD-HINT', { attribute: 'URI', kind: 'segment' }],
  ['#EXT-X-RENDITION-REPORT', { attribute: 'URI', kind: 'media' }],
  ['#EXT-X-SESSION-DATA', { attribute: 'URI', kind: 'other' }],
  ['#EXT-X-CONTENT-STEERING', { attribute: 'SERVER-URI', kind: 'other' }],
]);

const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const BOM = 0xfeff;

/**
 * Maps every URI of a multivariant or media playlist: URI lines (kind 'variant' after
 * EXT-X-STREAM-INF, else 'segment') and the URI attribute of the tags above. Throws
 * TypeError if the mapper returns a line break (or, inside quotes, a `"`): a mapper bug.
 */
export function rewriteHlsPlaylist(text: string, mapUri: HlsUriMapper): string {
  let out = '';
  let expectVariant = false;
  let pos = 0;
  while (pos < text.length) {
    const newline = text.indexOf('\n', pos);
    const next = newline < 0 ? text.length : newline + 1;
    let end = newline < 0 ? text.length : newline;
    if (end > pos && text.charCodeAt(end - 1) === CR) end--;
    // A BOM is not allowed (RFC 8216 §4.1) but common; it must not make #EXTM3U a URI line.
    const start = pos === 0 && text.charCodeAt(0) === BOM ? 1 : pos;
    const line = text.slice(start, end);
    const content = trimBounds(line);
    if (content.start === content.end) {
      out += text.slice(pos, next);
    } else if (line.charCodeAt(content.start) === HASH) {
      const tagEnd = line.indexOf(':', content.start);
      const tag = line.slice(content.start, tagEnd < 0 ? content.end : tagEnd);
      if (tag === '#EXT-X-STREAM-INF') expectVariant = true;
      const uriTag = tagEnd < 0 ? undefined : URI_TAGS.get(tag);
      const rewritten = uriTag === undefined ? line : rewriteTag(line, tagEnd + 1, content.end, tag, uriTag, mapUri);
      out += text.slice(pos, start) + rewritten + text.slice(end, next);
    } else {
      const kind: HlsUriKind = expectVariant ? 'variant' : 'segment';
      expectVariant = false;
      const uri = line.slice(content.start, content.end);
      const mapped = isOpaqueUri(uri) ? uri : checked(mapUri(uri, kind), false);
      out += text.slice(pos, start) + line.slice(0, content.start) + mapped + line.slice(content.end) + text.slice(end, next);
    }
    pos = next;
  }
  return out;
}

function rewriteTag(line: string, from: number, to: number, tag: string, uriTag: UriTag, mapUri: HlsUriMapper): string {
  const attributes = parseAttributeList(line.slice(0, to), from);
  if (attributes === undefined) return line;
  const uri = findAttribute(attributes, uriTag.attribute);
  if (uri === undefined || !uri.quoted) return line;
  const value = line.slice(uri.start, uri.end);
  if (isOpaqueUri(value)) return line;
  let kind = uriTag.kind;
  if (tag === '#EXT-X-PRELOAD-HINT') {
    const type = findAttribute(attributes, 'TYPE');
    if (type !== undefined && line.slice(type.start, type.end) === 'MAP') kind = 'map';
  }
  return line.slice(0, uri.start) + checked(mapUri(value, kind), true) + line.slice(uri.end);
}

/** A mapped URI must stay on its line and, when quoted, inside its quotes. */
function checked(uri: string, quoted: boolean): string {
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c === LF || c === CR || (quoted && c === 0x22)) throw new TypeError('rewriteHlsPlaylist: mapped URI would break the playlist line');
  }
  return uri;
}

/** Bounds of `line` without leading and trailing blanks (players trim lines). */
function trimBounds(line: string): { start: number; end: number } {
  let start = 0;
  let end = line.length;
  while (start < end && isBlank(line.charCodeAt(start))) start++;
  while (end > start && isBlank(line.charCodeAt(end - 1))) end--;
  return { start, end };
}
