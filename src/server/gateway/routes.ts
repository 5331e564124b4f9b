/**
 * The gateway's HTTP face. Every manifest, segment and key request carries the playback token:
 *   path mode   /v1/stream/<token>/<title>/<path>   (default: relative URIs inherit the token)
 *   query mode  /v1/media/<title>/<path>?tg=<token> (manifests are rewritten to carry it)
 *   cookie mode /v1/media/<title>/<path> with the `tg` cookie set by POST /v1/playback
 * AES-128 keys live at <title>/hls/keys/<kid> and come from the key store, never from disk.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TollgateError } from '../../core/errors.js';
import { rewriteDashMpd } from '../../core/manifest/dash.js';
import { rewriteHlsPlaylist } from '../../core/manifest/hls.js';
import { isOpaqueUri, withQueryToken } from '../../core/manifest/uri.js';
import type { Services } from '../compose.js';
import { requestOrigin } from '../access/guard.js';
import { fail } from '../http/problem.js';
import { openContentKey } from '../keys/content-keys.js';
import { media, noContent, problems, security } from '../http/openapi.js';
import { accelHeaders } from '../edge/accel.js';
import type { EdgeLinker } from '../edge/edge-links.js';
import { watermarkEdgeLinks } from '../edge/watermark-edge-links.js';
import { noteSessionEvent } from '../monitor/request-events.js';
import { isManifest, sendMediaFile, SESSION_MEDIA, TYPES } from './files.js';

export const TOKEN_COOKIE = 'tg';
const KEY_PATH = /^hls\/keys\/([0-9a-f]{32})$/;
/** The URIs edge mode sends to the edge: media (HLS segment, DASH segment and index) and init segments. */
const EDGE_KINDS = new Set(['segment', 'map', 'init', 'index']);

const filePath = { type: 'string', description: 'the file under the title: a manifest, a segment, or hls/keys/<kid>' };
const titleParam = { type: 'string', description: 'the title id' };
const served = [...new Set([...Object.values(TYPES), 'application/octet-stream'])];
const mediaResponses = (...codes: Parameters<typeof problems>) => ({
  200: media('a manifest (rewritten for this session), a segment, or a 16-byte AES-128 key', served, { type: 'string', format: 'binary' }),
  206: media('a byte range of a segment (Range)', served, { type: 'string', format: 'binary' }),
  304: noContent('not modified (If-None-Match)'),
  ...problems(...codes, 'invalid_token', 'token_expired', 'token_revoked', 'forbidden', 'not_entitled', 'geo_blocked', 'origin_not_allowed', 'not_found', 'range_not_satisfiable'),
});

const streamSchema = {
  summary: 'A manifest, segment or key, with the playback token in the path (path token mode)',
  tags: ['gateway'],
  params: {
    type: 'object',
    properties: { token: { type: 'string', description: 'the playback token (tgp1.… or its JWT form)' }, title: titleParam, '*': filePath },
  },
  response: mediaResponses(),
};

const mediaSchema = {
  summary: 'A manifest, segment or key, with the playback token in ?tg= or the tg cookie',
  tags: ['gateway'],
  security: security.playbackQueryOrCookie,
  params: { type: 'object', properties: { title: titleParam, '*': filePath } },
  response: mediaResponses('unauthorized'),
};

export function gatewayRoutes(app: FastifyInstance, services: Services): void {
  const serve = mediaHandler(services);
  const { originGuard } = services;
  // Origin protection comes before anything else, the token included (edge/origin-guard.ts).
  const onRequest = async (request: FastifyRequest) => {
    const refused = originGuard?.(request.headers, request.socket.remoteAddress);
    if (refused !== undefined) fail(refused);
  };

  app.get<{ Params: { token: string; title: string; '*': string } }>('/v1/stream/:token/:title/*', { schema: streamSchema, onRequest }, (request, reply) =>
    serve(request, reply, request.params.token, false),
  );

  app.get<{ Params: { title: string; '*': string }; Querystring: { tg?: string } }>('/v1/media/:title/*', { schema: mediaSchema, onRequest }, (request, reply) => {
    const fromQuery = typeof request.query.tg === 'string' ? request.query.tg : undefined;
    const token = fromQuery ?? cookie(request.headers.cookie, TOKEN_COOKIE);
    if (token === undefined) throw new TollgateError('unauthorized', 'this URL needs a playback token (?tg= or the tg cookie)');
    return serve(request, reply, token, fromQuery !== undefined);
  });
}

function mediaHandler({ gateway, sealer, playback, mediaFiles: files, edgeLinks, config, variants }: Services) {
  return async (
    request: FastifyRequest<{ Params: { title: string; '*': string } }>,
    reply: FastifyReply,
    token: string,
    tokenInQuery: boolean,
  ): Promise<FastifyReply> => {
    const { title, '*': path } = request.params;
    const keyMatch = KEY_PATH.exec(path);
    // Manifests and keys are signs of life that renew the stream's lease; segments are not.
    const verdict = await gateway.authorize(
      { token, titleId: title, path, ip: request.ip, userAgent: request.headers['user-agent'] ?? '', origin: requestOrigin(request.headers) },
      keyMatch !== null || isManifest(path),
    );
    if (!verdict.ok) {
      if (verdict.refusedSession !== undefined) noteSessionEvent(request, verdict.refusedSession, true);
      fail(verdict);
    }
    noteSessionEvent(request, verdict.value);

    if (keyMatch !== null) {
      const key = await gateway.contentKey(verdict.value, keyMatch[1]!);
      if (!key.ok) fail(key);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('cache-control', 'no-store')
        .send(Buffer.from(openContentKey(sealer, key.value.kid, key.value.sealed)));
    }

    // A watermarked title's segment: this session's variant (gateway/variants.ts).
    const served = await variants.servedPath(title, verdict.value.id, path);
    if (served === null) throw new TollgateError('not_found', 'no such file in this title');
    const media = await files.get(title, served);
    if (!isManifest(path)) {
      const { sendFile, sendFilePrefix } = config.serving;
      if (sendFile === 'x-accel') return reply.headers(accelHeaders(sendFilePrefix, title, served, media)).send();
      return sendMediaFile(request, reply, media, served === path ? undefined : SESSION_MEDIA);
    }
    // Manifests: short private caching, since they are per session. An MPD's license URL
    // becomes this session's license_url; in query mode every URI also gets the token.
    let text = (media.bytes ?? (await readFile(media.file))).toString('utf8');
    // Absolute URIs point elsewhere and never get the token; a DASH BaseURL's query would be
    // dropped by URL resolution, so the token goes on the URLs resolved against it instead.
    const withToken = (uri: string, kind: string) =>
      kind === 'base' || isOpaqueUri(uri) || /^[a-z][a-z0-9+.-]*:/i.test(uri) ? uri : withQueryToken(uri, token);
    const onTollgate = tokenInQuery ? withToken : (uri: string) => uri;
    // Edge mode: segments and init segments come from the edge, signed for it (edge/edge-links.ts);
    // a watermarked title's segments as this session's variants under their edge names
    // (edge/watermark-edge-links.ts), the rest of it from here, where the gateway chooses.
    let edge: EdgeLinker | undefined;
    if (edgeLinks !== undefined) {
      const linker = edgeLinks.linker({ titleId: title, expires: Math.floor(verdict.value.expiresAt / 1000), ip: request.ip });
      const namer = await variants.namer(title, verdict.value.id);
      if (namer === undefined) edge = linker;
      else ({ text, edge } = await watermarkEdgeLinks(text, path, linker, namer, files, title));
    }
    const mapped = (uri: string, kind: string) => (edge !== undefined && EDGE_KINDS.has(kind) ? edge(path, uri) : undefined) ?? onTollgate(uri, kind);
    const body = path.endsWith('.mpd')
      ? rewriteDashMpd(text, (uri, kind) => (kind === 'license' ? playback.licenseUrl(token, title) : mapped(uri, kind)))
      : tokenInQuery || edge !== undefined
        ? rewriteHlsPlaylist(text, mapped)
        : text;
    return reply.header('content-type', media.type).header('cache-control', 'private, max-age=10').send(body);
  };
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
