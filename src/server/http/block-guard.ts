/**
 * Refuses requests from blocked addresses and networks (monitor/block-list.ts) with 403
 * `address_blocked` and a Retry-After until the block ends, on every route a blocked client
 * could use to get in or keep watching: login and refresh, playback, the gateway and licenses
 * (their fast paths check the same list: gateway/fast-path.ts, license/fast-path.ts). The
 * address is request.ip: X-Forwarded-For counts only from TOLLGATE_TRUST_PROXY, so a client
 * cannot name another.
 */
import type { FastifyRequest } from 'fastify';
import { TollgateError } from '../../core/errors.js';
import type { BlockRecord } from '../../core/ports.js';
import type { BlockList } from '../monitor/block-list.js';

// Logout stays open: giving up a login only takes access away.
const GUARDED = ['/v1/auth/login', '/v1/auth/refresh', '/v1/playback', '/v1/stream/', '/v1/media/', '/v1/license/'];

export function blockGuard(blocks: BlockList, now: () => number): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (!GUARDED.some((prefix) => request.url.startsWith(prefix))) return;
    const block = await blocks.check(request.ip);
    if (block !== undefined) throw blockedError(block, now());
  };
}

/** The refusal of a blocked address (403 `address_blocked`, Retry-After until the block ends). */
export function blockedError(block: BlockRecord, now: number): TollgateError {
  return new TollgateError('address_blocked', `requests from ${block.network} are blocked until ${new Date(block.expiresAt).toISOString()}`, (block.expiresAt - now) / 1000);
}
