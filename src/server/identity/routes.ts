/** HTTP for identity: login, refresh, logout, the JWKS and /v1/me. Schema → one service call → HTTP. */
import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../http/auth.js';
import { fail } from '../http/problem.js';
import { PASSWORD_MAX_LENGTH } from './passwords.js';
import { emailSchema } from '../http/schemas.js';
import type { Services } from '../compose.js';

const refreshBody = {
  type: 'object',
  additionalProperties: false,
  required: ['refresh_token'],
  properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 512 } },
} as const;

export function identityRoutes(app: FastifyInstance, { identity, catalog, accessKeys, rateLimiter }: Services): void {
  app.post<{ Body: { email: string; password: string; device_id?: string } }>(
    '/v1/auth/login',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: {
            email: emailSchema,
            password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH },
            device_id: { type: 'string', minLength: 1, maxLength: 128 },
          },
        },
      },
    },
    async (request, reply) => {
      const { email: address, password, device_id: deviceId } = request.body;
      const verdict = await identity.login({ email: address, password, deviceId }, request.ip);
      if (!verdict.ok) fail(verdict);
      return reply.header('cache-control', 'no-store').send(verdict.value);
    },
  );

  app.post<{ Body: { refresh_token: string } }>('/v1/auth/refresh', { schema: { body: refreshBody } }, async (request, reply) => {
    await rateLimiter.enforce('refreshPerAddress', request.ip);
    const verdict = await identity.refresh(request.body.refresh_token);
    if (!verdict.ok) fail(verdict);
    return reply.header('cache-control', 'no-store').send(verdict.value);
  });

  app.post<{ Body: { refresh_token: string } }>('/v1/auth/logout', { schema: { body: refreshBody } }, async (request, reply) => {
    await rateLimiter.enforce('refreshPerAddress', request.ip);
    await identity.logout(request.body.refresh_token);
    return reply.code(204).send();
  });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=60').send(await accessKeys.jwks());
  });

  app.get('/v1/me', async (request, reply) => {
    const verdict = await identity.authenticate(bearerToken(request));
    if (!verdict.ok) fail(verdict);
    return reply.header('cache-control', 'no-store').send(await catalog.me(verdict.value.user));
  });
}
