/**
 * The operator's admin routes (issue 9): users with their devices and streams, disabling and
 * revoking users, resetting their second factor, streams, and rentals. Registered inside the admin scope of routes.ts, behind
 * its admin-token hook. Schema → one service call → HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { fail } from '../http/problem.js';
import { emailSchema, idSchema, openObject } from '../http/schemas.js';
import { adminDenials, json, noContent, security } from '../http/openapi.js';
import { grantRental, MAX_RENTAL_HOURS } from '../catalog/rentals.js';
import type { Services } from '../compose.js';

const userIdParams = { type: 'object', required: ['user_id'], properties: { user_id: { type: 'string', minLength: 1, maxLength: 64 } } };
const admin = { tags: ['admin'], security: security.adminToken };

const streamSchema = openObject(['session_id', 'user_id', 'title_id', 'protocol', 'device_id', 'started_at', 'expires_at'], {
  session_id: { type: 'string' },
  user_id: { type: 'string' },
  title_id: { type: 'string' },
  protocol: { type: 'string' },
  device_id: { type: ['string', 'null'] },
  started_at: { type: 'string', format: 'date-time' },
  expires_at: { type: 'string', format: 'date-time' },
});
const streamsSchema = openObject(['sessions'], { sessions: { type: 'array', items: streamSchema } });

const operatorUserSchema = openObject(['user_id', 'email', 'plan_id', 'disabled', 'created_at', 'devices', 'streams'], {
  user_id: { type: 'string' },
  email: { type: 'string' },
  plan_id: { type: 'string' },
  disabled: { type: 'boolean' },
  created_at: { type: 'string', format: 'date-time' },
  devices: { type: 'array', items: { type: 'object', additionalProperties: true } },
  streams: { type: 'array', items: streamSchema },
});

const hoursSchema = { type: 'number', exclusiveMinimum: 0, maximum: MAX_RENTAL_HOURS };

export function operatorRoutes(app: FastifyInstance, { operator, stores, entitlements, now }: Services): void {
  app.get<{ Querystring: { email?: string } }>(
    '/v1/admin/users',
    {
      schema: {
        ...admin,
        summary: 'Find users (by email, or all): plan, devices and active streams',
        querystring: { type: 'object', additionalProperties: false, properties: { email: emailSchema } },
        response: { 200: json('the users found', openObject(['users'], { users: { type: 'array', items: operatorUserSchema } })), ...adminDenials('bad_request') },
      },
    },
    async (request) => ({ users: await operator.findUsers(request.query.email) }),
  );

  app.patch<{ Params: { user_id: string }; Body: { plan_id?: string; disabled?: boolean } }>(
    '/v1/admin/users/:user_id',
    {
      schema: {
        ...admin,
        summary: "Change a user's plan, or disable (every login and stream ends) or enable it",
        params: userIdParams,
        body: { type: 'object', additionalProperties: false, properties: { plan_id: idSchema, disabled: { type: 'boolean' } } },
        response: { 200: json('the user', operatorUserSchema), ...adminDenials('bad_request', 'not_found', 'unsupported_media_type') },
      },
    },
    async (request) => {
      const { plan_id: planId, disabled } = request.body;
      const verdict = await operator.updateUser(request.params.user_id, { ...(planId !== undefined ? { planId } : {}), ...(disabled !== undefined ? { disabled } : {}) });
      if (!verdict.ok) fail(verdict);
      return verdict.value;
    },
  );

  app.post<{ Params: { user_id: string } }>(
    '/v1/admin/users/:user_id/revoke',
    {
      schema: {
        ...admin,
        summary: 'Revoke a user: every login and stream of the user ends',
        params: userIdParams,
        response: { 204: noContent('revoked'), ...adminDenials('not_found') },
      },
    },
    async (request, reply) => {
      const verdict = await operator.revokeUser(request.params.user_id);
      if (!verdict.ok) fail(verdict);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { user_id: string } }>(
    '/v1/admin/users/:user_id/mfa',
    {
      schema: {
        ...admin,
        summary: "Reset a user's two-factor login: it is off, and every login and stream of the user ends",
        params: userIdParams,
        response: { 204: noContent('reset'), ...adminDenials('not_found') },
      },
    },
    async (request, reply) => {
      const verdict = await operator.resetMfa(request.params.user_id);
      if (!verdict.ok) fail(verdict);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { user_id: string }; Body: { title_id: string; hours: number; playback_hours?: number } }>(
    '/v1/admin/users/:user_id/rentals',
    {
      schema: {
        ...admin,
        summary: 'Rent a title to a user: entitled for `hours`, and at most `playback_hours` from the first start',
        params: userIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['title_id', 'hours'],
          properties: { title_id: idSchema, hours: hoursSchema, playback_hours: hoursSchema },
        },
        response: {
          201: json(
            'the rental',
            openObject(['title_id', 'expires_at', 'playback_hours'], {
              title_id: { type: 'string' },
              expires_at: { type: 'string', format: 'date-time' },
              playback_hours: { type: ['number', 'null'] },
            }),
          ),
          ...adminDenials('bad_request', 'not_found', 'unsupported_media_type'),
        },
      },
    },
    async (request, reply) => {
      const { title_id: titleId, hours, playback_hours: playbackHours } = request.body;
      const verdict = await grantRental(stores, entitlements, { userId: request.params.user_id, titleId, hours, ...(playbackHours !== undefined ? { playbackHours } : {}) }, now());
      if (!verdict.ok) fail(verdict);
      return reply.code(201).send(verdict.value);
    },
  );

  app.get<{ Querystring: { user_id?: string; title_id?: string } }>(
    '/v1/admin/sessions',
    {
      schema: {
        ...admin,
        summary: 'Active streams, of a user and/or a title',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { user_id: { type: 'string', minLength: 1, maxLength: 64 }, title_id: idSchema },
        },
        response: { 200: json('the active streams, oldest first', streamsSchema), ...adminDenials('bad_request') },
      },
    },
    async (request) => {
      const { user_id: userId, title_id: titleId } = request.query;
      return { sessions: await operator.listSessions({ ...(userId !== undefined ? { userId } : {}), ...(titleId !== undefined ? { titleId } : {}) }) };
    },
  );

  app.delete<{ Params: { session_id: string } }>(
    '/v1/admin/sessions/:session_id',
    {
      schema: {
        ...admin,
        summary: 'End a stream: its URLs, keys and licenses stop working',
        params: { type: 'object', required: ['session_id'], properties: { session_id: { type: 'string', minLength: 1, maxLength: 64 } } },
        response: { 204: noContent('the stream has ended'), ...adminDenials('not_found') },
      },
    },
    async (request, reply) => {
      const verdict = await operator.endSession(request.params.session_id);
      if (!verdict.ok) fail(verdict);
      return reply.code(204).send();
    },
  );
}
