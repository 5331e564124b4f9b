/**
 * Reading credentials off a request. Threat: oversized or malformed Authorization headers
 * reaching the token parser, and an admin token compared in non-constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { TollgateError } from '../../core/errors.js';

const MAX_TOKEN_LENGTH = 8192;

/** The bearer token of a request; throws 401 problems for a missing or unusable header. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    throw new TollgateError('unauthorized', 'send an Authorization: Bearer <token> header');
  }
  if (header.length > MAX_TOKEN_LENGTH + 7) throw new TollgateError('invalid_token', 'the Authorization header is too long');
  const match = /^Bearer +(\S+)$/i.exec(header);
  if (match === null) throw new TollgateError('unauthorized', 'the Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/** Constant-time check of the admin token; hashing first makes the lengths equal. */
export function checkAdminToken(request: FastifyRequest, adminToken: string | undefined): void {
  if (adminToken === undefined) {
    throw new TollgateError('forbidden', 'the admin API is off: set TOLLGATE_ADMIN_TOKEN to enable it');
  }
  const given = bearerToken(request);
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(adminToken).digest();
  if (!timingSafeEqual(a, b)) throw new TollgateError('forbidden', 'the admin token is wrong');
}
