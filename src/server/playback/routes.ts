/** HTTP for playback: start, list, keep alive and stop sessions, and the subscriber's title list. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../compose.js';
import { TOKEN_COOKIE } from '../gateway/routes.js';
import { requestOrigin } from '../access/guard.js';
import { bearerToken } from '../http/auth.js';
import { fail } from '../http/problem.js';
import { activeStreamsSchema, entitledTitlesSchema, idSchema, playbackGrantSchema } from '../http/schemas.js';
import { json, noContent, problems, security } from '../http/openapi.js';
import type { Principal } from '../identity/service.js';
import { noteEvent } from '../monitor/request-events.js';

const titlesSchema = {
  summary: 'The titles the subscriber may watch',
  tags: ['playback'],
  security: security.accessToken,
  response: { 200: json('the entitled titles', entitledTitlesSchema), ...problems('unauthorized', 'invalid_token', 'token_expired', 'token_revoked') },
};

export function playbackRoutes(app: FastifyInstance, { identity, playback, streams, catalog, config, rateLimiter }: Services): void {
  async function principal(request: FastifyRequest): Promise<Principal> {
    const verdict = await identity.authenticate(bearerToken(request));
    if (!verdict.ok) fail(verdict);
    const { userId, deviceId } = verdict.value;
    noteEvent(request, { userId, ...(deviceId !== null ? { deviceId } : {}) });
    return verdict.value;
  }

  app.get('/v1/titles', { schema: titlesSchema }, async (request, reply) => {
    const { user } = await principal(request);
    return reply.header('cache-control', 'no-store').send({ titles: await catalog.entitledTitles(user) });
  });

  app.post<{ Body: { title_id: string; protocol?: 'hls' | 'dash' } }>(
    '/v1/playback',
    {
      schema: {
        summary: 'Start playback: a session, its manifest URL and (DASH) its license URL',
        tags: ['playback'],
        security: security.accessToken,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['title_id'],
          properties: { title_id: idSchema, protocol: { type: 'string', enum: ['hls', 'dash'] } },
        },
        response: {
          201: json('a playback session; in cookie token mode a `tg` cookie is also set', playbackGrantSchema),
          ...problems('bad_request', 'unauthorized', 'invalid_token', 'token_expired', 'token_revoked', 'mfa_required', 'not_entitled', 'geo_blocked', 'origin_not_allowed', 'not_found', 'stream_limit_reached', 'unsupported_media_type', 'rate_limited'),
        },
      },
    },
    async (request, reply) => {
      // By address before the token is checked, so a flood of bad tokens is cut short too.
      await rateLimiter.enforce('playbackPerAddress', request.ip);
      const who = await principal(request);
      await rateLimiter.enforce('playbackPerUser', who.userId);
      const { title_id: titleId, protocol } = request.body;
      noteEvent(request, { titleId });
      const verdict = await playback.start(who, { titleId, ...(protocol ? { protocol } : {}) }, {
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? '',
        origin: requestOrigin(request.headers),
      });
      if (!verdict.ok) fail(verdict);
      noteEvent(request, { sessionId: verdict.value.response.session_id });
      if (config.tokenMode === 'cookie') {
        const secure = config.publicUrl.startsWith('https:') ? '; Secure; SameSite=None' : '; SameSite=Lax';
        reply.header(
          'set-cookie',
          `${TOKEN_COOKIE}=${verdict.value.token}; Path=/v1/media/${titleId}/; HttpOnly${secure}; Max-Age=${config.playbackTokenTtlSec}`,
        );
      }
      return reply.code(201).header('cache-control', 'no-store').send(verdict.value.response);
    },
  );

  app.get(
    '/v1/playback',
    {
      schema: {
        summary: "The caller's active streams: those holding a slot under the plan's stream limit, oldest first",
        tags: ['playback'],
        security: security.accessToken,
        response: { 200: json('the active streams', activeStreamsSchema), ...problems('unauthorized', 'invalid_token', 'token_expired', 'token_revoked') },
      },
    },
    async (request, reply) => {
      const who = await principal(request);
      return reply.header('cache-control', 'no-store').send({ streams: await streams.active(who.userId) });
    },
  );

  app.post<{ Params: { session_id: string } }>(
    '/v1/playback/:session_id/heartbeat',
    {
      schema: {
        summary: "Keep a stream's slot: a stream with no sign of life for TOLLGATE_STREAM_LEASE_SECONDS stops",
        tags: ['playback'],
        security: security.accessToken,
        params: { type: 'object', properties: { session_id: { type: 'string', maxLength: 64 } } },
        response: {
          204: noContent('the stream keeps its slot'),
          ...problems('bad_request', 'unauthorized', 'invalid_token', 'token_expired', 'token_revoked', 'not_found', 'stream_limit_reached'),
        },
      },
    },
    async (request, reply) => {
      const { userId } = await principal(request);
      noteEvent(request, { sessionId: request.params.session_id });
      const verdict = await streams.heartbeat(userId, request.params.session_id);
      if (!verdict.ok) fail(verdict);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { session_id: string } }>(
    '/v1/playback/:session_id',
    {
      schema: {
        summary: 'Stop playback: the session ends and its URLs stop working',
        tags: ['playback'],
        security: security.accessToken,
        params: { type: 'object', properties: { session_id: { type: 'string', maxLength: 64 } } },
        response: {
          204: noContent('the session has ended'),
          ...problems('bad_request', 'unauthorized', 'invalid_token', 'token_expired', 'token_revoked', 'not_found'),
        },
      },
    },
    async (request, reply) => {
      const verdict = await playback.stop(await principal(request), request.params.session_id);
      if (!verdict.ok) fail(verdict);
      return reply.code(204).send();
    },
  );
}
