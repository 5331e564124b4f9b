/**
 * nginx `secure_link` with `secure_link_md5 "$secure_link_expires$uri$remote_addr <secret>"`
 * (without `$remote_addr` when no address is bound), checked by ngx_http_secure_link_module
 * (reference/FORMATS.md §3): `?md5=<base64url MD5, unpadded>&expires=<unix>`. Threat: a link
 * that nginx checks against another path than the one signed — nginx hashes `$uri`, the
 * percent-decoded, normalised path — so the signer decodes the path the same way and refuses
 * paths nginx would rewrite (`//`, `.` and `..` segments) rather than sign text nginx never
 * hashes. MD5 by concatenation is nginx's construction; it is only as strong as the secret.
 */
import { encodeBase64url } from '../base64url.js';
import { deny, type Verdict } from '../errors.js';
import { parseIp } from '../playback-token-ip.js';
import { type CdnCrypto, type CdnCryptoAsync, type CdnPlan, completeAsync, completeSync } from './crypto.js';
import { isUnixSeconds } from './encoding.js';
import { appendQuery, isWellFormed, pathAndQuery } from './url-parts.js';

export interface NginxSecureLinkOptions {
  /** Absolute URL or path. */
  readonly url: string;
  readonly secret: string;
  /** Unix seconds; nginx answers "expired" once now > expires. */
  readonly expires: number;
  /** The client address as nginx writes `$remote_addr`, when the link is bound to it. */
  readonly ip?: string;
}

export function signNginxSecureLink(options: NginxSecureLinkOptions, crypto: CdnCrypto): Verdict<string> {
  return completeSync(planNginxSecureLink(options), crypto);
}

/** signNginxSecureLink with async crypto (WebCrypto at the edge). */
export function signNginxSecureLinkAsync(options: NginxSecureLinkOptions, crypto: CdnCryptoAsync): Promise<Verdict<string>> {
  return completeAsync(planNginxSecureLink(options), crypto);
}

function planNginxSecureLink(options: NginxSecureLinkOptions): CdnPlan<string> {
  const parts = pathAndQuery(options.url);
  if (parts === undefined || !isWellFormed(options.url)) return deny('bad_request', 'url must be an absolute http(s) URL or a path');
  const uri = decodePath(parts.path);
  if (uri === undefined) return deny('bad_request', 'the path must be normalised (no "//", "." or ".." segments, no bad % escapes)');
  return planSecureLinkQuery(uri, options, (query) => appendQuery(options.url, query));
}

/**
 * The query (`md5=…&expires=…`) that lets every file under a directory through, for nginx
 * configured to hash the directory instead of `$uri`:
 * `secure_link_md5 "$secure_link_expires$scope[$remote_addr] <secret>"`, `$scope` captured
 * from the location regex (src/server/edge/nginx-config.ts). So one token covers a whole VOD
 * title and a playlist stays valid for its session. The scope must be a normalised directory
 * path (leading and trailing '/'), as nginx's decoded `$uri` begins.
 */
export function signNginxSecureLinkScope(options: NginxScopeOptions, crypto: CdnCrypto): Verdict<string> {
  return completeSync(planNginxSecureLinkScope(options), crypto);
}

type NginxScopeOptions = Omit<NginxSecureLinkOptions, 'url'> & { readonly scope: string };

function planNginxSecureLinkScope(options: NginxScopeOptions): CdnPlan<string> {
  const scope = options.scope.endsWith('/') && options.scope.startsWith('/') && isWellFormed(options.scope) ? decodePath(options.scope) : undefined;
  if (scope === undefined) return deny('bad_request', 'scope must be a normalised directory path with leading and trailing "/"');
  return planSecureLinkQuery(scope, options, (query) => query);
}

/** The MD5 over expires, the path (or scope) and the secret; `finish` places the query. */
function planSecureLinkQuery(uri: Uint8Array, options: Omit<NginxSecureLinkOptions, 'url'>, finish: (query: string) => string): CdnPlan<string> {
  if (!isUnixSeconds(options.expires)) return deny('bad_request', 'expires must be Unix seconds');
  if (options.secret === '' || /\s/.test(options.secret)) return deny('bad_request', 'secret must be non-empty, without spaces');
  if (options.ip !== undefined && parseIp(options.ip) === undefined) return deny('bad_request', 'ip must be an IPv4 or IPv6 address');
  const encoder = new TextEncoder();
  const data = concat([encoder.encode(String(options.expires)), uri, encoder.encode(`${options.ip ?? ''} ${options.secret}`)]);
  return { request: { op: 'md5', data }, finish: (md5) => finish(`md5=${encodeBase64url(md5)}&expires=${options.expires}`) };
}

/** The bytes of nginx's `$uri` for this path: %XX decoded to raw bytes; undefined if nginx would rewrite it. */
function decodePath(path: string): Uint8Array | undefined {
  const pieces = path.split(/(%[0-9A-Fa-f]{2})/);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (i % 2 === 1) chunks.push(Uint8Array.of(parseInt(piece.slice(1), 16)));
    else if (piece.includes('%')) return undefined;
    else chunks.push(new TextEncoder().encode(piece));
  }
  const bytes = concat(chunks);
  // One character per byte, to look for the segments nginx would merge or resolve.
  if (/\/\/|\/\.\.?(?:\/|$)/.test(new TextDecoder('latin1').decode(bytes))) return undefined;
  return bytes;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
