/**
 * What both edge examples do with a media request, written once: verify the playback token in
 * a path-mode URL (`/v1/stream/<token>/<title>/<path>`, either token format) with WebCrypto,
 * then check it covers this title and path, client address and user agent — the checks the
 * Tollgate gateway makes before a segment, minus session liveness, which only Tollgate knows
 * (so keep playback tokens short when the edge is the only check). A watermarked title's
 * variant folders are refused, as the gateway refuses them; these examples do not choose a
 * session's variants, so such a title needs TOLLGATE_EDGE or an edge sequencing from the WM
 * token (docs/WATERMARK.md).
 */
import { checkBindings, hashUserAgentAsync, isWatermarkVariantPath, verifyAnyPlaybackTokenAsync, webCryptoHmacSha256 } from 'tollgate/core';

export interface MediaRequest {
  /** The request path, e.g. /v1/stream/<token>/movie/hls/360p/seg_00001.ts. */
  readonly path: string;
  /** The viewer's address as the edge saw it. */
  readonly ip: string;
  readonly userAgent: string;
  /** Unix milliseconds. */
  readonly now: number;
  /** The secret of a playback kid (from `npx tollgate keys edge`), or undefined. */
  resolveKey(kid: string): Promise<Uint8Array | undefined> | Uint8Array | undefined;
}

/** Allowed: the file to fetch from the media origin. Refused: the status and problem to answer with. */
export type EdgeDecision =
  | { readonly allow: true; readonly titleId: string; readonly file: string }
  | { readonly allow: false; readonly status: 401 | 403 | 404; readonly code: string; readonly detail: string };

const STREAM_PREFIX = '/v1/stream/';
const hmac = webCryptoHmacSha256();

export async function checkPlaybackRequest(request: MediaRequest): Promise<EdgeDecision> {
  const match = request.path.startsWith(STREAM_PREFIX) ? /^([^/]+)\/([^/]+)\/(.+)$/.exec(request.path.slice(STREAM_PREFIX.length)) : null;
  if (match === null) return { allow: false, status: 404, code: 'not_found', detail: 'not a stream URL' };
  const [, token, titleId, file] = match as unknown as [string, string, string, string];
  const verdict = await verifyAnyPlaybackTokenAsync(token, { now: Math.floor(request.now / 1000), resolveKey: (kid) => request.resolveKey(kid), hmac });
  if (!verdict.ok) return { allow: false, status: 401, code: verdict.code, detail: verdict.detail };
  const userAgentHash = verdict.value.uaHash === undefined ? undefined : await hashUserAgentAsync(request.userAgent, hmac);
  const bound = checkBindings(verdict.value, { titleId, path: file, ip: request.ip, ...(userAgentHash !== undefined ? { userAgentHash } : {}) });
  if (!bound.ok) return { allow: false, status: bound.code === 'forbidden' ? 403 : 401, code: bound.code, detail: bound.detail };
  // A watermarked title's variant folders: the token covers the whole title, and with both
  // variants of a segment a viewer could erase the mark. The gateway refuses them too.
  if (isWatermarkVariantPath(file)) return { allow: false, status: 404, code: 'not_found', detail: 'no such file in this title' };
  return { allow: true, titleId, file };
}

/** The problem+json body Tollgate itself would answer with. */
export function problemBody(decision: Extract<EdgeDecision, { allow: false }>): string {
  return JSON.stringify({ type: 'about:blank', title: decision.code, status: decision.status, code: decision.code, detail: decision.detail });
}
