/**
 * HTTP for licenses. `license_url` (from POST /v1/playback) is the entitlement proxy: the
 * player posts its bare CDM request, whatever content type its EME stack uses.
 * `POST /v1/license/clearkey` is the license server itself, for a proxy that runs elsewhere:
 * the entitlement message comes in X-Tollgate-Entitlement.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Verdict } from '../../core/errors.js';
import type { ClearKeyLicense } from '../../core/drm/clearkey.js';
import { TollgateError } from '../../core/errors.js';
import type { Services } from '../compose.js';
import { requestOrigin } from '../access/guard.js';
import { fail } from '../http/problem.js';
import { noteSessionEvent } from '../monitor/request-events.js';
import type { SessionObserver } from './proxy.js';
import { jsonBody, sessionLicense } from './session-license.js';
import { DRM_SYSTEMS, type DrmSystem } from './upstream.js';
import { documentedBody, json, media, problems, security } from '../http/openapi.js';
import { clearKeyLicenseSchema, clearKeyRequestSchema } from '../http/schemas.js';

const MAX_MESSAGE_LENGTH = 32 * 1024;
/** license_url: the session's ClearKey license, through the entitlement proxy. */
export const LICENSE_ROUTE = '/v1/license/s/:token/:title';

const sessionParams = {
  token: { type: 'string', description: 'the playback token (tgp1.… or its JWT form), as written into license_url' },
  title: { type: 'string', description: 'the title id' },
};
const sessionDenials = ['bad_request', 'invalid_token', 'token_expired', 'token_revoked', 'forbidden', 'not_entitled', 'geo_blocked', 'origin_not_allowed', 'not_found', 'rate_limited', 'bad_gateway', 'unavailable'] as const;

const proxySchema = {
  summary: 'ClearKey license through the entitlement proxy (the license_url of a playback session)',
  description: 'The player posts its bare W3C Clear Key request, in whatever content type its EME stack uses.',
  tags: ['license'],
  params: { type: 'object', properties: sessionParams },
  documentedBody: documentedBody(['application/json', 'application/octet-stream', 'text/plain'], clearKeyRequestSchema),
  response: { 200: json('the keys this client may have, under their usage policies', clearKeyLicenseSchema), ...problems(...sessionDenials) },
};

const upstreamSchema = {
  summary: 'Widevine, PlayReady or FairPlay license through the entitlement proxy, from the upstream license service',
  tags: ['license'],
  params: { type: 'object', properties: { ...sessionParams, system: { type: 'string', description: `one of ${DRM_SYSTEMS.join(', ')}` } } },
  documentedBody: documentedBody(['application/octet-stream'], { type: 'string', format: 'binary', description: 'the CDM challenge' }),
  response: {
    200: media('the upstream license service answer, in its content type', ['application/octet-stream'], { type: 'string', format: 'binary' }),
    ...problems(...sessionDenials),
  },
};

const serverSchema = {
  summary: 'ClearKey license server, for an entitlement proxy that runs elsewhere; each message is accepted once',
  tags: ['license'],
  security: security.entitlement,
  documentedBody: documentedBody(['application/json'], clearKeyRequestSchema),
  response: {
    200: json('the keys the message entitles, under their usage policies', clearKeyLicenseSchema),
    ...problems('bad_request', 'unauthorized', 'invalid_token', 'token_expired', 'not_entitled'),
  },
};

export function licenseRoutes(app: FastifyInstance, { proxy, licenseServer, rateLimiter }: Services): void {
  app.register(async (scope) => {
    // EME hands the request over as bytes: accept any content type and parse JSON ourselves.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    // license_url, by address here and by playback session in the proxy. Not the license server
    // route below: a remote proxy calls it from one address, and each message works once anyway.
    // Most of these requests take the fast path in front of Fastify (fast-path.ts), to the same
    // decision (session-license.ts).
    scope.post<{ Params: { token: string; title: string } }>(LICENSE_ROUTE, { schema: proxySchema }, async (request, reply) => {
      const verdict = await sessionLicense(
        { proxy, rateLimiter },
        { token: request.params.token, titleId: request.params.title, ip: request.ip, userAgent: request.headers['user-agent'] ?? '', origin: requestOrigin(request.headers) },
        Buffer.isBuffer(request.body) ? request.body : undefined,
        noteSession(request),
      );
      return sendLicense(reply, verdict);
    });

    scope.post<{ Params: { token: string; title: string; system: string } }>('/v1/license/s/:token/:title/:system', { schema: upstreamSchema }, async (request, reply) => {
      const system = request.params.system;
      if (!(DRM_SYSTEMS as readonly string[]).includes(system)) throw new TollgateError('not_found', `unknown DRM system "${system}"`);
      await rateLimiter.enforce('licensePerAddress', request.ip);
      const message = await proxy.entitle(
        {
          token: request.params.token,
          titleId: request.params.title,
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? '',
          origin: requestOrigin(request.headers),
        },
        noteSession(request),
      );
      if (!message.ok) fail(message);
      const challenge = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const contentType = request.headers['content-type'] ?? 'application/octet-stream';
      const verdict = await licenseServer.upstream(system as DrmSystem, message.value, challenge, contentType);
      if (!verdict.ok) fail(verdict);
      return reply.header('cache-control', 'no-store').type(verdict.value.contentType).send(Buffer.from(verdict.value.body));
    });

    scope.post('/v1/license/clearkey', { schema: serverSchema }, async (request, reply) => {
      const message = request.headers['x-tollgate-entitlement'];
      if (typeof message !== 'string' || message === '') {
        throw new TollgateError('unauthorized', 'send the entitlement message in the X-Tollgate-Entitlement header');
      }
      if (message.length > MAX_MESSAGE_LENGTH) throw new TollgateError('invalid_token', 'the entitlement message is too long');
      const body = jsonBody(request.body);
      if (!body.ok) fail(body);
      return sendLicense(reply, await licenseServer.clearKey(message, body.value));
    });
  });
}

function noteSession(request: FastifyRequest): SessionObserver {
  return (session, bindingRefused) => noteSessionEvent(request, session, bindingRefused);
}

function sendLicense(reply: FastifyReply, verdict: Verdict<ClearKeyLicense>): FastifyReply {
  if (!verdict.ok) fail(verdict);
  return reply.header('cache-control', 'no-store').send(verdict.value);
}
