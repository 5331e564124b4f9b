/**
 * A Cloudflare Worker in front of a media origin that verifies Tollgate playback tokens with
 * `tollgate/core` on WebCrypto: segment URLs keep Tollgate's path-mode shape, and the worker
 * fetches `<title>/<file>` from the origin (a bucket or Tollgate's media folder behind a
 * service binding), so the edge can cache files without the per-session token in their key.
 *
 * Bindings (wrangler.toml): PLAYBACK_KEYS, a KV namespace holding each playback kid's secret
 * (base64url, from `npx tollgate keys edge`; write them after every `tollgate keys rotate`),
 * and MEDIA, a service binding (or any fetcher) to the media origin.
 */
import { decodeBase64url } from 'tollgate/core';
import { checkPlaybackRequest, problemBody } from './playback-check.js';

/** The parts of Cloudflare's runtime types this worker uses (no @cloudflare/workers-types dependency). */
export interface KVNamespace {
  get(key: string): Promise<string | null>;
}
export interface Fetcher {
  fetch(request: Request): Promise<Response>;
}
export interface Env {
  readonly PLAYBACK_KEYS: KVNamespace;
  readonly MEDIA: Fetcher;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    const url = new URL(request.url);
    const decision = await checkPlaybackRequest({
      path: url.pathname,
      ip: request.headers.get('cf-connecting-ip') ?? '',
      userAgent: request.headers.get('user-agent') ?? '',
      now: Date.now(),
      resolveKey: async (kid) => {
        const secret = await env.PLAYBACK_KEYS.get(kid);
        return secret === null ? undefined : decodeBase64url(secret);
      },
    });
    if (!decision.allow) {
      return new Response(problemBody(decision), { status: decision.status, headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' } });
    }
    const origin = new URL(`/${decision.titleId}/${decision.file}`, url);
    return env.MEDIA.fetch(new Request(origin, { method: request.method, headers: { range: request.headers.get('range') ?? '' } }));
  },
};
