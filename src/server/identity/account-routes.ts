/** HTTP for a subscriber's own devices. Schema → one service call → HTTP. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken } from '../http/auth.js';
import { fail } from '../http/problem.js';
import { json, noContent, problems, security } from '../http/openapi.js';
import type { Services } from '../compose.js';
import type { IdentityService, Principal } from './service.js';

export const tokenDenials = ['unauthorized', 'invalid_token', 'token_expired', 'token_revoked'] as const;

const deviceItem = {
  type: 'object',
  required: ['device_id', 'name', 'first_seen_at', 'last_seen_at', 'current'],
  properties: {
    device_id: { type: 'string' },
    name: { type: ['string', 'null'] },
    first_seen_at: { type: 'string', format: 'date-time' },
    last_seen_at: { type: 'string', format: 'date-time' },
    current: { type: 'boolean', description: 'the device of the calling login' },
  },
} as const;

const devicesSchema = {
  summary: 'The devices the account has logged in from',
  tags: ['identity'],
  security: security.accessToken,
  response: {
    200: json('the devices, most recently seen first', { type: 'object', required: ['devices'], properties: { devices: { type: 'array', items: deviceItem } } }),
    ...problems(...tokenDenials),
  },
};

const removeDeviceSchema = {
  summary: 'Remove a device: its logins are revoked and its streams end within seconds',
  tags: ['identity'],
  security: security.accessToken,
  params: { type: 'object', required: ['device_id'], properties: { device_id: { type: 'string', minLength: 1, maxLength: 128 } } },
  response: { 204: noContent('removed'), ...problems('bad_request', 'not_found', ...tokenDenials) },
};

/** Who the request's access token speaks for; fails the request when the token does not hold. */
export async function principalOf(identity: IdentityService, request: FastifyRequest): Promise<Principal> {
  const verdict = await identity.authenticate(bearerToken(request));
  if (!verdict.ok) fail(verdict);
  return verdict.value;
}

export function accountRoutes(app: FastifyInstance, { identity }: Services): void {
  const principal = (request: FastifyRequest) => principalOf(identity, request);

  app.get('/v1/devices', { schema: devicesSchema }, async (request, reply) => {
    const who = await principal(request);
    const devices = await identity.devices.list(who.userId);
    return reply.header('cache-control', 'no-store').send({ devices: devices.map((d) => ({ ...d, current: d.device_id === who.deviceId })) });
  });

  app.delete<{ Params: { device_id: string } }>('/v1/devices/:device_id', { schema: removeDeviceSchema }, async (request, reply) => {
    const who = await principal(request);
    const verdict = await identity.devices.remove(who.userId, request.params.device_id);
    if (!verdict.ok) fail(verdict);
    return reply.code(204).send();
  });
}
