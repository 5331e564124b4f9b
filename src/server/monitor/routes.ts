/**
 * The watchtower's admin routes: alerts (list, resolve), blocks (list, add, lift), the
 * `sensitive` flag of titles, and undoing a require_mfa response. Registered inside the admin
 * scope of admin/routes.ts, behind its admin-token hook. Schema → one service call → HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import type { BlockRecord } from '../../core/ports.js';
import type { Services } from '../compose.js';
import { adminDenials, json, noContent, security } from '../http/openapi.js';
import { fail } from '../http/problem.js';
import { idSchema, openObject } from '../http/schemas.js';
import { TollgateError } from '../../core/errors.js';

const admin = { tags: ['admin'], security: security.adminToken };
const LIST_LIMIT = 1000;
const uuidParam = (name: string) => ({ type: 'object', required: [name], properties: { [name]: { type: 'string', minLength: 1, maxLength: 64 } } });

const alertSchema = openObject(['id', 'at', 'detector', 'severity', 'summary', 'evidence', 'actions_taken', 'status'], {
  id: { type: 'string' },
  at: { type: 'string', format: 'date-time' },
  last_at: { type: 'string', format: 'date-time' },
  detector: { type: 'string' },
  subject: { type: 'string' },
  severity: { type: 'string', enum: ['low', 'medium', 'high'] },
  user_id: { type: 'string' },
  session_id: { type: 'string' },
  ip: { type: 'string' },
  summary: { type: 'string' },
  evidence: { type: 'array', items: { type: 'string' } },
  actions_taken: { type: 'array', items: openObject(['action', 'target', 'at', 'dry_run'], { action: { type: 'string' }, target: { type: 'string' }, at: { type: 'string', format: 'date-time' }, dry_run: { type: 'boolean' }, undo: { type: 'string' } }) },
  status: { type: 'string', enum: ['open', 'resolved'] },
  dry_run: { type: 'boolean' },
  hits: { type: 'integer' },
  resolved_at: { type: 'string', format: 'date-time' },
});

const blockSchema = openObject(['id', 'network', 'reason', 'created_at', 'expires_at'], {
  id: { type: 'string' },
  network: { type: 'string' },
  reason: { type: 'string' },
  alert_id: { type: ['string', 'null'] },
  created_at: { type: 'string', format: 'date-time' },
  expires_at: { type: 'string', format: 'date-time' },
});

const blockView = (b: BlockRecord) => ({
  id: b.id,
  network: b.network,
  reason: b.reason,
  alert_id: b.alertId,
  created_at: new Date(b.createdAt).toISOString(),
  expires_at: new Date(b.expiresAt).toISOString(),
});

export function watchtowerRoutes(app: FastifyInstance, { watchtower, blocks }: Services): void {
  app.get<{ Querystring: { status?: 'open' | 'resolved' } }>(
    '/v1/admin/alerts',
    {
      schema: {
        ...admin,
        summary: 'Alerts, newest first (status=open for the open ones)',
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['open', 'resolved'] } } },
        response: { 200: json('the alerts', openObject(['alerts'], { alerts: { type: 'array', items: alertSchema } })), ...adminDenials('bad_request') },
      },
    },
    async (request) => ({ alerts: await watchtower.listAlerts(request.query.status, LIST_LIMIT) }),
  );

  app.post<{ Params: { alert_id: string } }>(
    '/v1/admin/alerts/:alert_id/resolve',
    {
      schema: { ...admin, summary: 'Resolve an alert (its responses stay; undo each with its `undo` call)', params: uuidParam('alert_id'), response: { 200: json('the alert', alertSchema), ...adminDenials('not_found') } },
    },
    async (request) => {
      const verdict = await watchtower.resolveAlert(request.params.alert_id);
      if (!verdict.ok) fail(verdict);
      return verdict.value;
    },
  );

  app.get('/v1/admin/blocks', { schema: { ...admin, summary: 'Live blocks of addresses and networks', response: { 200: json('the live blocks', openObject(['blocks'], { blocks: { type: 'array', items: blockSchema } })), ...adminDenials() } } }, async () => ({
    blocks: (await blocks.list()).map(blockView),
  }));

  app.post<{ Body: { network: string; minutes: number; reason?: string } }>(
    '/v1/admin/blocks',
    {
      schema: {
        ...admin,
        summary: 'Block an address or network (CIDR) at login, playback and the gateway for a while',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['network', 'minutes'],
          properties: { network: { type: 'string', minLength: 2, maxLength: 64 }, minutes: { type: 'integer', minimum: 1, maximum: 525_600 }, reason: { type: 'string', maxLength: 500 } },
        },
        response: { 201: json('the block', blockSchema), ...adminDenials('bad_request', 'unsupported_media_type') },
      },
    },
    async (request, reply) => {
      const { network, minutes, reason } = request.body;
      const block = isIP(network.split('/')[0] ?? '') === 0 ? undefined : await blocks.add(network, minutes, reason ?? 'blocked by the operator', null);
      if (block === undefined) throw new TollgateError('bad_request', 'network: must be an IP address or a CIDR network like 203.0.113.0/24');
      return reply.code(201).send(blockView(block));
    },
  );

  app.delete<{ Params: { block_id: string } }>(
    '/v1/admin/blocks/:block_id',
    { schema: { ...admin, summary: 'Lift a block', params: uuidParam('block_id'), response: { 204: noContent('lifted'), ...adminDenials('not_found') } } },
    async (request, reply) => {
      if (!(await blocks.lift(request.params.block_id))) throw new TollgateError('not_found', 'no such live block');
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { title_id: string }; Body: { sensitive: boolean } }>(
    '/v1/admin/titles/:title_id/sensitive',
    {
      schema: {
        ...admin,
        summary: 'Flag a title sensitive (or not): its starts are watched for unusual viewers, hours and volumes',
        params: { type: 'object', required: ['title_id'], properties: { title_id: idSchema } },
        body: { type: 'object', additionalProperties: false, required: ['sensitive'], properties: { sensitive: { type: 'boolean' } } },
        response: { 200: json('the flag', openObject(['title_id', 'sensitive'], { title_id: { type: 'string' }, sensitive: { type: 'boolean' } })), ...adminDenials('bad_request', 'not_found', 'unsupported_media_type') },
      },
    },
    async (request) => {
      const verdict = await watchtower.setSensitive(request.params.title_id, request.body.sensitive);
      if (!verdict.ok) fail(verdict);
      return verdict.value;
    },
  );

  app.delete<{ Params: { user_id: string } }>(
    '/v1/admin/users/:user_id/mfa-requirement',
    {
      schema: { ...admin, summary: "Undo a require_mfa response: the user's logins without a second factor play again", params: uuidParam('user_id'), response: { 204: noContent('cleared'), ...adminDenials('not_found') } },
    },
    async (request, reply) => {
      const verdict = await watchtower.clearMfaRequirement(request.params.user_id);
      if (!verdict.ok) fail(verdict);
      return reply.code(204).send();
    },
  );
}
