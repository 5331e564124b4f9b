/** HTTP for identity: login, refresh, logout, the JWKS and /v1/me. Schema → one service call → HTTP. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken } from '../http/auth.js';
import { fail } from '../http/problem.js';
import { JWKS_MAX_AGE_SEC } from './access-keys.js';
import { PASSWORD_MAX_LENGTH } from './passwords.js';
import { emailSchema, jwksSchema, meSchema, tokenPairSchema } from '../http/schemas.js';
import { json, noContent, problems, security } from '../http/openapi.js';
import type { Services } from '../compose.js';
import { noteEvent } from '../monitor/request-events.js';
import type { SignedIn } from './service.js';

const refreshBody = {
  type: 'object',
  additionalProperties: false,
  required: ['refresh_token'],
  properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 512 } },
} as const;

const refreshSchema = {
  summary: 'Trade a refresh token for a new pair; a refresh token works once',
  tags: ['identity'],
  body: refreshBody,
  response: {
    200: json('a new pair; the presented refresh token is spent', tokenPairSchema),
    ...problems('bad_request', 'invalid_token', 'token_expired', 'token_revoked', 'unsupported_media_type', 'rate_limited'),
  },
};

const logoutSchema = {
  summary: 'Log out: the whole login (refresh family and its access tokens) is revoked',
  tags: ['identity'],
  body: refreshBody,
  response: { 204: noContent('revoked (unknown tokens too, RFC 7009)'), ...problems('bad_request', 'unsupported_media_type', 'rate_limited') },
};

const jwksRouteSchema = {
  summary: 'Public keys of access tokens, current and recently retired',
  tags: ['identity'],
  response: { 200: json('a JSON Web Key Set', jwksSchema) },
};

const meRouteSchema = {
  summary: 'The subscriber: user, plan and entitled titles',
  tags: ['identity'],
  security: security.accessToken,
  response: { 200: json('the subscriber', meSchema), ...problems('unauthorized', 'invalid_token', 'token_expired', 'token_revoked') },
};

function noteSignedIn(request: FastifyRequest, { userId, deviceId }: SignedIn): void {
  noteEvent(request, { userId, ...(deviceId !== null ? { deviceId } : {}) });
}

export function identityRoutes(app: FastifyInstance, { identity, catalog, accessKeys, rateLimiter }: Services): void {
  app.post<{ Body: { email: string; password: string; device_id?: string; device_name?: string; totp?: string } }>(
    '/v1/auth/login',
    {
      schema: {
        summary: 'Log in: an access token and a refresh token',
        tags: ['identity'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: {
            email: emailSchema,
            password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH },
            device_id: { type: 'string', minLength: 1, maxLength: 128, description: 'an id the device keeps; required on plans with max_devices' },
            device_name: { type: 'string', minLength: 1, maxLength: 100 },
            totp: { type: 'string', minLength: 1, maxLength: 32, description: 'a TOTP code, or a recovery code' },
          },
        },
        response: {
          200: json('logged in', tokenPairSchema),
          ...problems('bad_request', 'invalid_credentials', 'forbidden', 'mfa_required', 'device_limit_reached', 'unsupported_media_type', 'payload_too_large', 'rate_limited', 'unavailable'),
        },
      },
    },
    async (request, reply) => {
      const { email: address, password, device_id: deviceId, device_name: deviceName, totp } = request.body;
      const verdict = await identity.login({ email: address, password, deviceId, deviceName, totp }, request.ip);
      if (!verdict.ok) fail(verdict);
      noteSignedIn(request, verdict.value);
      return reply.header('cache-control', 'no-store').send(verdict.value.pair);
    },
  );

  app.post<{ Body: { refresh_token: string } }>('/v1/auth/refresh', { schema: refreshSchema }, async (request, reply) => {
    await rateLimiter.enforce('refreshPerAddress', request.ip);
    const verdict = await identity.refresh(request.body.refresh_token);
    if (!verdict.ok) fail(verdict);
    noteSignedIn(request, verdict.value);
    return reply.header('cache-control', 'no-store').send(verdict.value.pair);
  });

  app.post<{ Body: { refresh_token: string } }>('/v1/auth/logout', { schema: logoutSchema }, async (request, reply) => {
    await rateLimiter.enforce('refreshPerAddress', request.ip);
    await identity.logout(request.body.refresh_token);
    return reply.code(204).send();
  });

  app.get('/.well-known/jwks.json', { schema: jwksRouteSchema }, async (_request, reply) => {
    return reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SEC}`).send(await accessKeys.jwks());
  });

  app.get('/v1/me', { schema: meRouteSchema }, async (request, reply) => {
    const verdict = await identity.authenticate(bearerToken(request));
    if (!verdict.ok) fail(verdict);
    return reply.header('cache-control', 'no-store').send(await catalog.me(verdict.value.user));
  });
}
