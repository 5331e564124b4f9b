/**
 * The gateway's fast path, in front of the HTTP framework. The common request of a playing
 * session — a segment, with a token already verified and cached, no liveness check due, the
 * file already in memory — is answered right here, synchronously, with the same headers the
 * full path sends. Anything else (first sight of a token, a due re-check, ranges, conditional
 * requests, manifests, keys, errors) returns false and goes through Fastify and the full
 * checks. So the fast path never decides a refusal, and it can only say yes where the full
 * path would have said yes a moment ago. It still counts and records what it serves: metrics,
 * and the session's segment summary (a counter bump, monitor/segment-summaries.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestOrigin } from '../access/guard.js';
import { accelHeaders } from '../edge/accel.js';
import type { OriginGuard } from '../edge/origin-guard.js';
import type { CorsPolicy } from '../http/cors.js';
import type { Recorder } from '../monitor/events.js';
import type { HttpMetrics } from '../monitor/http-metrics.js';
import { IMMUTABLE_MEDIA, isManifest, type MediaFiles, SESSION_MEDIA } from './files.js';
import { SegmentHeaders } from './response-headers.js';
import type { GatewayService } from './service.js';
import type { VariantSelector } from './variants.js';

const PREFIX = '/v1/stream/';
export const STREAM_ROUTE = '/v1/stream/:token/:title/*';

export interface FastPathDeps {
  readonly gateway: GatewayService;
  readonly files: MediaFiles;
  readonly variants: VariantSelector;
  readonly cors: CorsPolicy;
  readonly security: Readonly<Record<string, string>>;
  readonly metrics: HttpMetrics;
  /** Segments served here are summarised like those of the full path. */
  readonly recorder: Recorder;
  /** The client address as the full path would see it; undefined = take the full path. */
  clientIp(request: IncomingMessage): string | undefined;
  /** Whether the address is blocked (monitor/block-list.ts): then the full path refuses it. */
  blocked(ip: string): boolean;
  /** Origin protection: a request it refuses takes the full path, which refuses it. */
  readonly originGuard: OriginGuard | undefined;
  /** X-Accel-Redirect mode: the internal location prefix nginx sends files from. */
  readonly accelPrefix: string | undefined;
}

/** Answers the request and returns true, or returns false having touched nothing. */
export function createFastPath(deps: FastPathDeps): (request: IncomingMessage, response: ServerResponse) => boolean {
  const segmentHeaders = new SegmentHeaders(deps.security);
  return (request, response) => {
    const started = performance.now();
    const { url, method, headers } = request;
    if (url === undefined || !url.startsWith(PREFIX) || (method !== 'GET' && method !== 'HEAD')) return false;
    if (headers.range !== undefined || headers['if-none-match'] !== undefined || url.includes('?') || url.includes('%')) return false;
    const tokenEnd = url.indexOf('/', PREFIX.length);
    const titleEnd = tokenEnd < 0 ? -1 : url.indexOf('/', tokenEnd + 1);
    if (titleEnd < 0) return false;
    const titleId = url.slice(tokenEnd + 1, titleEnd);
    const path = url.slice(titleEnd + 1);
    if (isManifest(path)) return false;
    if (deps.originGuard?.(headers, request.socket.remoteAddress) !== undefined) return false;
    const ip = deps.clientIp(request);
    if (ip === undefined || deps.blocked(ip)) return false;
    const session = deps.gateway.authorizeCached({
      token: url.slice(PREFIX.length, tokenEnd),
      titleId,
      path,
      ip,
      userAgent: headers['user-agent'] ?? '',
      origin: requestOrigin(headers),
    });
    if (session === undefined) return false;
    // A watermarked title's segment is the session's variant, as on the full path.
    const served = deps.variants.cachedPath(titleId, session.id, path);
    const media = served ? deps.files.cached(titleId, served) : undefined;
    if (!served || media?.bytes === undefined) return false;

    if (deps.accelPrefix !== undefined) {
      response.writeHead(200, { ...deps.security, ...deps.cors(headers.origin), ...accelHeaders(deps.accelPrefix, titleId, served, media), 'content-length': 0 });
      response.end();
    } else {
      response.writeHead(200, segmentHeaders.for(media, served === path ? IMMUTABLE_MEDIA : SESSION_MEDIA, deps.cors(headers.origin)));
      response.end(method === 'HEAD' ? undefined : media.bytes);
    }
    deps.metrics.record(STREAM_ROUTE, method, 200, (performance.now() - started) / 1000);
    deps.metrics.fastResponses.inc();
    deps.recorder.segment(session, ip, path, media.size);
    return true;
  };
}
