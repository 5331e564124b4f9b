/** The admin API (`/v1/admin/*`): plans, users and titles, and the operator's routes (operator-routes.ts), behind TOLLGATE_ADMIN_TOKEN. */
import type { FastifyInstance } from 'fastify';
import { checkAdminToken } from '../http/auth.js';
import { fail } from '../http/problem.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../identity/passwords.js';
import { accessInputProperties, adminTitlesSchema, emailSchema, idSchema, planSchema, titleAccessSchema, userSchema } from '../http/schemas.js';
import { adminDenials, json, security } from '../http/openapi.js';
import type { Services } from '../compose.js';
import type { AccessInput } from '../catalog/access.js';
import { eventRoutes } from '../monitor/event-routes.js';
import { operatorRoutes } from './operator-routes.js';
import { watchtowerRoutes } from '../monitor/routes.js';
import { traceRoutes } from './trace-routes.js';
import type { StreamCountBy, StreamLimitMode } from '../../core/ports.js';

/** The access rules as the API spells them. */
interface AccessBody {
  countries?: { allow?: string[] | null; block?: string[] | null };
  allowed_origins?: string[];
}

const plansSchema = {
  summary: 'The plans',
  tags: ['admin'],
  security: security.adminToken,
  response: { 200: json('every plan', { type: 'object', required: ['plans'], properties: { plans: { type: 'array', items: planSchema } } }), ...adminDenials() },
};

const titlesSchema = {
  summary: 'The registered titles with their protocols and content key ids',
  tags: ['admin'],
  security: security.adminToken,
  response: { 200: json('every title', adminTitlesSchema), ...adminDenials() },
};

export function adminRoutes(app: FastifyInstance, services: Services): void {
  const { catalog, config, rateLimiter } = services;
  app.register(async (admin) => {
    admin.addHook('onRequest', async (request) => {
      await rateLimiter.enforce('adminPerAddress', request.ip);
      await rateLimiter.guardAttempt(request.ip, () => checkAdminToken(request, config.adminToken));
    });

    admin.post<{ Body: AccessBody & { id: string; titles: string[] | '*'; max_streams?: number | null; stream_limit_mode?: StreamLimitMode; count_by?: StreamCountBy; max_devices?: number | null; require_mfa?: boolean } }>(
      '/v1/admin/plans',
      {
        schema: {
          summary: 'Create or update a plan',
          tags: ['admin'],
          security: security.adminToken,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'titles'],
            properties: {
              id: idSchema,
              titles: {
                oneOf: [
                  { type: 'string', const: '*' },
                  { type: 'array', maxItems: 10000, items: idSchema },
                ],
              },
              max_streams: { type: ['integer', 'null'], minimum: 1, maximum: 1000 },
              stream_limit_mode: { type: 'string', enum: ['refuse', 'evict_oldest'] },
              count_by: { type: 'string', enum: ['session', 'device'] },
              max_devices: { type: ['integer', 'null'], minimum: 1, maximum: 1000 },
              require_mfa: { type: 'boolean' },
              ...accessInputProperties,
            },
          },
          response: { 200: json('the plan', planSchema), ...adminDenials('bad_request', 'unsupported_media_type') },
        },
      },
      async (request) => {
        const { id, titles, max_streams: maxStreams, stream_limit_mode: streamLimitMode, count_by: countBy, max_devices: maxDevices, require_mfa: requireMfa } = request.body;
        const verdict = await catalog.upsertPlan({
          id,
          titles,
          maxStreams,
          maxDevices,
          requireMfa,
          ...(streamLimitMode ? { streamLimitMode } : {}),
          ...(countBy ? { countBy } : {}),
          ...accessInput(request.body),
        });
        if (!verdict.ok) fail(verdict);
        return verdict.value;
      },
    );

    admin.get('/v1/admin/plans', { schema: plansSchema }, async () => ({ plans: await catalog.listPlans() }));

    admin.post<{ Body: { email: string; password: string; plan_id: string } }>(
      '/v1/admin/users',
      {
        schema: {
          summary: 'Create a subscriber',
          tags: ['admin'],
          security: security.adminToken,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['email', 'password', 'plan_id'],
            properties: {
              email: emailSchema,
              password: { type: 'string', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH },
              plan_id: idSchema,
            },
          },
          response: { 201: json('the subscriber', userSchema), ...adminDenials('bad_request', 'not_found', 'conflict', 'unsupported_media_type') },
        },
      },
      async (request, reply) => {
        const { email, password, plan_id: planId } = request.body;
        const verdict = await catalog.createUser({ email, password, planId });
        if (!verdict.ok) fail(verdict);
        return reply.code(201).send(verdict.value);
      },
    );

    admin.get('/v1/admin/titles', { schema: titlesSchema }, async () => ({ titles: await catalog.titlesWithKeys() }));

    admin.patch<{ Params: { id: string }; Body: AccessBody }>(
      '/v1/admin/titles/:id',
      {
        schema: {
          summary: "Change a title's access rules: the countries and browser origins it may be played from",
          tags: ['admin'],
          security: security.adminToken,
          params: { type: 'object', properties: { id: idSchema } },
          body: { type: 'object', additionalProperties: false, properties: accessInputProperties },
          response: { 200: json("the title's access rules", titleAccessSchema), ...adminDenials('bad_request', 'not_found', 'unsupported_media_type') },
        },
      },
      async (request) => {
        const verdict = await catalog.setTitleAccess(request.params.id, accessInput(request.body));
        if (!verdict.ok) fail(verdict);
        return verdict.value;
      },
    );
    operatorRoutes(admin, services);
    watchtowerRoutes(admin, services);
    eventRoutes(admin, services);
    traceRoutes(admin, services);
  });
}

function accessInput(body: AccessBody): AccessInput {
  return { ...(body.countries ? { countries: body.countries } : {}), ...(body.allowed_origins ? { allowedOrigins: body.allowed_origins } : {}) };
}
