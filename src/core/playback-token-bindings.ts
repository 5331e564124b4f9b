/**
 * What a verified playback token may be used for. Threats: using a genuine token for another
 * title or for files outside its path scope — by `..` traversal, encoded (`%2e%2e`, `%2f`,
 * double-encoded `%252e`) or with backslashes — and replaying it from another network or
 * browser. Paths are refused outright when they contain anything a file system or a second
 * decoding could turn into a different path, so the scope test is a plain prefix test on
 * whole segments.
 *
 * Denials: title or path outside the token → 'forbidden' (the token is genuine but does not
 * cover this resource; a new token for the same title would not either). IP or user-agent
 * mismatch → 'invalid_token' (the token is not valid for this client; the remedy for a
 * legitimate viewer whose network changed is a new playback session, which is what an
 * invalid token tells a player to get).
 */
import { deny, grant, type Grant, type Verdict } from './errors.js';
import { ipInNetwork } from './playback-token-ip.js';
import type { PlaybackClaims } from './playback-token.js';

export interface PlaybackRequest {
  readonly titleId: string;
  /**
   * The path under the title as the router decoded it, relative: `hls/720p/seg_00001.ts`.
   * Segments must be non-empty and not `.` or `..`; `%`, `\` and control characters are
   * refused (no legitimate media path needs them; they are how traversal gets smuggled).
   */
  readonly path: string;
  /** The client address as the route determined it (trusted proxy headers only). */
  readonly ip: string;
  /** hashUserAgent(user agent); needed only when the token is bound to one. */
  readonly userAgentHash?: string;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const GRANTED: Grant<void> = Object.freeze(grant(undefined));

/** Cheap checks of a verified token against the request; stops at the first failure. */
export function checkBindings(claims: PlaybackClaims, request: PlaybackRequest): Verdict<void> {
  if (claims.titleId !== request.titleId) return deny('forbidden', 'the playback token is for another title');
  if (!isSafeRelativePath(request.path)) return deny('forbidden', 'the path is not a plain relative path');
  if (!isWithinScope(request.path, claims.scope)) return deny('forbidden', 'the path is outside the playback token scope');
  if (claims.ip !== undefined && !ipInNetwork(request.ip, claims.ip)) {
    return deny('invalid_token', 'the playback token is bound to another network');
  }
  if (claims.uaHash !== undefined && claims.uaHash !== request.userAgentHash) {
    return deny('invalid_token', 'the playback token is bound to another user agent');
  }
  return GRANTED;
}

/**
 * The canonical scope for a token: leading and trailing `/` removed, '' for the whole title.
 * Undefined when what remains is not a safe relative path.
 */
export function normalizeScope(scope: string): string | undefined {
  let start = 0;
  let end = scope.length;
  while (start < end && scope.charCodeAt(start) === SLASH) start++;
  while (end > start && scope.charCodeAt(end - 1) === SLASH) end--;
  const trimmed = scope.slice(start, end);
  return trimmed === '' || isSafeRelativePath(trimmed) ? trimmed : undefined;
}

/** Non-empty `/`-separated segments, none empty, `.` or `..`, no `%`, `\` or control characters. */
export function isSafeRelativePath(path: string): boolean {
  let segmentStart = 0;
  for (let i = 0; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const length = i - segmentStart;
      if (length === 0) return false;
      if (path.charCodeAt(segmentStart) === DOT && (length === 1 || (length === 2 && path.charCodeAt(segmentStart + 1) === DOT))) {
        return false;
      }
      segmentStart = i + 1;
    } else if (c < 0x20 || c === 0x7f || c === 0x25 /* % */ || c === 0x5c /* \ */) {
      return false;
    }
  }
  return true;
}

/** Whole-segment prefix: scope `hls` covers `hls/a.ts`, never `hls2/a.ts`. */
function isWithinScope(path: string, scope: string): boolean {
  if (scope === '') return true;
  return path.startsWith(scope) && (path.length === scope.length || path.charCodeAt(scope.length) === SLASH);
}
