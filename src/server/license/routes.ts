/**
 * HTTP for licenses. `license_url` (from POST /v1/playback) is the entitlement proxy: the
 * player posts its bare CDM request, whatever content type its EME stack uses.
 * `POST /v1/license/clearkey` is the license server itself, for a proxy that runs elsewhere:
 * the entitlement message comes in X-Tollgate-Entitlement.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Verdict } from '../../core/errors.js';
import type { ClearKeyLicense } from '../../core/drm/clearkey.js';
import { TollgateError } from '../../core/errors.js';
import type { Services } from '../compose.js';
import { fail } from '../http/problem.js';
import { DRM_SYSTEMS, type DrmSystem } from './upstream.js';

const MAX_MESSAGE_LENGTH = 32 * 1024;

export function licenseRoutes(app: FastifyInstance, { proxy, licenseServer, rateLimiter }: Services): void {
  app.register(async (scope) => {
    // EME hands the request over as bytes: accept any content type and parse JSON ourselves.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    // license_url, by address here and by playback session in the proxy. Not the license server
    // route below: a remote proxy calls it from one address, and each message works once anyway.
    scope.post<{ Params: { token: string; title: string } }>('/v1/license/s/:token/:title', async (request, reply) => {
      await rateLimiter.enforce('licensePerAddress', request.ip);
      const verdict = await proxy.clearKey(
        { token: request.params.token, titleId: request.params.title, ip: request.ip, userAgent: request.headers['user-agent'] ?? '' },
        jsonBody(request.body),
      );
      return sendLicense(reply, verdict);
    });

    scope.post<{ Params: { token: string; title: string; system: string } }>('/v1/license/s/:token/:title/:system', async (request, reply) => {
      const system = request.params.system;
      if (!(DRM_SYSTEMS as readonly string[]).includes(system)) throw new TollgateError('not_found', `unknown DRM system "${system}"`);
      await rateLimiter.enforce('licensePerAddress', request.ip);
      const message = await proxy.entitle({
        token: request.params.token,
        titleId: request.params.title,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? '',
      });
      if (!message.ok) fail(message);
      const challenge = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const contentType = request.headers['content-type'] ?? 'application/octet-stream';
      const verdict = await licenseServer.upstream(system as DrmSystem, message.value, challenge, contentType);
      if (!verdict.ok) fail(verdict);
      return reply.header('cache-control', 'no-store').type(verdict.value.contentType).send(Buffer.from(verdict.value.body));
    });

    scope.post('/v1/license/clearkey', async (request, reply) => {
      const message = request.headers['x-tollgate-entitlement'];
      if (typeof message !== 'string' || message === '') {
        throw new TollgateError('unauthorized', 'send the entitlement message in the X-Tollgate-Entitlement header');
      }
      if (message.length > MAX_MESSAGE_LENGTH) throw new TollgateError('invalid_token', 'the entitlement message is too long');
      return sendLicense(reply, await licenseServer.clearKey(message, jsonBody(request.body)));
    });
  });
}

function jsonBody(body: unknown): unknown {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new TollgateError('bad_request', 'the license request body is empty');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new TollgateError('bad_request', 'the license request is not JSON (a W3C Clear Key request is {"kids": [...]})');
  }
}

function sendLicense(reply: FastifyReply, verdict: Verdict<ClearKeyLicense>): FastifyReply {
  if (!verdict.ok) fail(verdict);
  return reply.header('cache-control', 'no-store').send(verdict.value);
}
