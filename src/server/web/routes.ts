/**
 * Serves the player page and the player libraries from memory. Threats: script injected into
 * the page (which holds the subscriber's tokens), and a crafted `/?api=https://evil` link that
 * would send a typed password elsewhere. The Content-Security-Policy allows scripts and styles
 * from this origin only, and network and media only to this origin and the public URL (where
 * the gateway answers), plus blob: for Media Source Extensions and hls.js's transmux worker.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../compose.js';
import { acceptsGzip, type WebAsset, webAssets } from './assets.js';
import { media, noContent } from '../http/openapi.js';

/** Nothing is fingerprinted, so browsers revalidate every time; the ETag makes that a 304. */
const CACHE_CONTROL = 'no-cache';

export function contentSecurityPolicy(publicUrl: string): string {
  const api = new URL(publicUrl).origin;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${api}`,
    `media-src 'self' ${api} blob:`,
    'worker-src blob:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function webRoutes(app: FastifyInstance, { config }: Services): void {
  const csp = contentSecurityPolicy(config.publicUrl);
  for (const [path, asset] of webAssets()) {
    const isPage = asset.type.startsWith('text/html');
    const schema = {
      summary: isPage ? (path === '/admin/' ? 'The operator dashboard' : 'The player page') : `A file of the player page (${asset.type.split(';')[0]})`,
      tags: ['web'],
      response: { 200: media('the file (gzip when accepted)', [asset.type.split(';')[0]!]), 304: noContent('not modified (If-None-Match)') },
    };
    app.get(path, { schema }, async (request, reply) => {
      if (isPage) reply.header('content-security-policy', csp);
      return send(request, reply, asset);
    });
  }
}

function send(request: FastifyRequest, reply: FastifyReply, asset: WebAsset): FastifyReply {
  const vary = reply.getHeader('vary'); // CORS may have set Vary: Origin already
  reply.header('cache-control', CACHE_CONTROL).header('etag', asset.etag);
  reply.header('vary', vary === undefined ? 'Accept-Encoding' : `${String(vary)}, Accept-Encoding`);
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag)) {
    return reply.code(304).send();
  }
  reply.type(asset.type);
  if (acceptsGzip(request.headers['accept-encoding'])) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}
