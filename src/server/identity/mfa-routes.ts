/**
 * HTTP for a subscriber's own second factor. Threat: a stolen access token enrolling its own
 * authenticator, replacing the owner's or turning it off, and so locking the owner out. Every
 * change first proves the owner as a login does (password, and a current code when a factor
 * is on), under the login limits. Schema → one service call → HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { deny } from '../../core/errors.js';
import { fail } from '../http/problem.js';
import { json, noContent, problems, security } from '../http/openapi.js';
import type { Services } from '../compose.js';
import { principalOf, tokenDenials } from './account-routes.js';
import { PASSWORD_MAX_LENGTH } from './passwords.js';

const password = { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: "the account's password" } as const;
const code = { type: 'string', minLength: 1, maxLength: 32, description: 'a current TOTP code, or an unused recovery code' } as const;
/** What proving the owner can answer: the same as a login. */
const ownerDenials = ['bad_request', 'invalid_credentials', 'mfa_required', 'rate_limited', 'unavailable', 'unsupported_media_type', ...tokenDenials] as const;

const enrolSchema = {
  summary: 'Start TOTP enrolment: a new secret, confirmed with POST /v1/me/mfa/confirm',
  description:
    'Needs the password, and when two-factor login is already on, a current code (`totp`): the new secret then replaces the ' +
    'old one once confirmed, and the old one works until then.',
  tags: ['identity'],
  security: security.accessToken,
  body: { type: 'object', additionalProperties: false, required: ['password'], properties: { password, totp: code } },
  response: {
    200: json('the secret, also as an otpauth:// URL for a QR code', {
      type: 'object',
      required: ['otpauth_url', 'secret'],
      properties: { otpauth_url: { type: 'string' }, secret: { type: 'string', description: 'base32' } },
    }),
    ...problems(...ownerDenials, 'conflict'),
  },
};

const confirmSchema = {
  summary: 'Confirm TOTP enrolment with a current code: two-factor login is on from now',
  tags: ['identity'],
  security: security.accessToken,
  body: { type: 'object', additionalProperties: false, required: ['totp'], properties: { totp: { type: 'string', pattern: '^[0-9]{6}$' } } },
  response: {
    200: json('recovery codes, shown this once; each works once in place of a code', {
      type: 'object',
      required: ['recovery_codes'],
      properties: { recovery_codes: { type: 'array', items: { type: 'string' } } },
    }),
    ...problems('bad_request', 'invalid_credentials', 'conflict', 'unsupported_media_type', ...tokenDenials),
  },
};

const removeSchema = {
  summary: 'Turn two-factor login off: needs the password and a current code (or a recovery code)',
  tags: ['identity'],
  security: security.accessToken,
  body: { type: 'object', additionalProperties: false, required: ['password', 'totp'], properties: { password, totp: code } },
  response: { 204: noContent('two-factor login is off'), ...problems(...ownerDenials, 'conflict') },
};

export function mfaRoutes(app: FastifyInstance, { identity, mfa }: Services): void {
  app.post<{ Body: { password: string; totp?: string } }>('/v1/me/mfa', { schema: enrolSchema }, async (request, reply) => {
    const who = await principalOf(identity, request);
    const owner = await identity.confirmOwner(who, request.body.password, request.body.totp, request.ip);
    if (!owner.ok) fail(owner);
    const verdict = await mfa.enrol(who.userId, who.user.email, owner.value === 'passed');
    if (!verdict.ok) fail(verdict);
    return reply.header('cache-control', 'no-store').send(verdict.value);
  });

  app.post<{ Body: { totp: string } }>('/v1/me/mfa/confirm', { schema: confirmSchema }, async (request, reply) => {
    const who = await principalOf(identity, request);
    const verdict = await mfa.confirm(who.userId, request.body.totp);
    if (!verdict.ok) fail(verdict);
    return reply.header('cache-control', 'no-store').send(verdict.value);
  });

  app.delete<{ Body: { password: string; totp: string } }>('/v1/me/mfa', { schema: removeSchema }, async (request, reply) => {
    const who = await principalOf(identity, request);
    const owner = await identity.confirmOwner(who, request.body.password, request.body.totp, request.ip);
    if (!owner.ok) fail(owner);
    if (owner.value === 'off' || !(await mfa.remove(who.userId))) fail(deny('conflict', 'two-factor login is not on for this account'));
    return reply.code(204).send();
  });
}
