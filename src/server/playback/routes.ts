/** HTTP for playback: start and stop sessions, and the subscriber's title list. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../compose.js';
import { TOKEN_COOKIE } from '../gateway/routes.js';
import { bearerToken } from '../http/auth.js';
import { fail } from '../http/problem.js';
import { idSchema } from '../http/schemas.js';
import type { Principal } from '../identity/service.js';

export function playbackRoutes(app: FastifyInstance, { identity, playback, catalog, config, rateLimiter }: Services): void {
  async function principal(request: FastifyRequest): Promise<Principal> {
    const verdict = await identity.authenticate(bearerToken(request));
    if (!verdict.ok) fail(verdict);
    return verdict.value;
  }

  app.get('/v1/titles', async (request, reply) => {
    const { user } = await principal(request);
    return reply.header('cache-control', 'no-store').send({ titles: await catalog.entitledTitles(user) });
  });

  app.post<{ Body: { title_id: string; protocol?: 'hls' | 'dash' } }>(
    '/v1/playback',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['title_id'],
          properties: { title_id: idSchema, protocol: { type: 'string', enum: ['hls', 'dash'] } },
        },
      },
    },
    async (request, reply) => {
      // By address before the token is checked, so a flood of bad tokens is cut short too.
      await rateLimiter.enforce('playbackPerAddress', request.ip);
      const who = await principal(request);
      await rateLimiter.enforce('playbackPerUser', who.userId);
      const { title_id: titleId, protocol } = request.body;
      const verdict = await playback.start(who, { titleId, ...(protocol ? { protocol } : {}) }, {
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? '',
      });
      if (!verdict.ok) fail(verdict);
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

  app.delete<{ Params: { session_id: string } }>(
    '/v1/playback/:session_id',
    { schema: { params: { type: 'object', properties: { session_id: { type: 'string', maxLength: 64 } } } } },
    async (request, reply) => {
      const verdict = await playback.stop(await principal(request), request.params.session_id);
      if (!verdict.ok) fail(verdict);
      return reply.code(204).send();
    },
  );
}
