/**
 * Origin protection: when a CDN or nginx fronts the gateway, only it may fetch from Tollgate,
 * so a viewer who learns the origin's address cannot go around the edge (its caching, its
 * rate limits, its WAF). Threats: a request without the secret header the edge adds, with a
 * wrong one (compared in constant time: SHA-256 of both, then timingSafeEqual, so neither the
 * length nor a prefix leaks), or from an address outside TOLLGATE_ORIGIN_ALLOW. The address
 * checked is the connection's peer — the edge itself — never X-Forwarded-For, which the
 * viewer writes. Every gateway request passes this check first, on the fast path too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Denial, deny } from '../../core/errors.js';
import { ipInNetwork } from '../../core/playback-token-ip.js';
import type { ServingSettings } from './edge-settings.js';

export const ORIGIN_SECRET_HEADER = 'x-tollgate-origin-secret';

/** Undefined: the request may be served; else the refusal. */
export type OriginGuard = (headers: IncomingHttpHeaders, peer: string | undefined) => Denial | undefined;

export function originGuard({ originSecret, originAllow }: ServingSettings): OriginGuard | undefined {
  if (originSecret === undefined && originAllow.length === 0) return undefined;
  const expected = originSecret === undefined ? undefined : digest(originSecret);
  return (headers, peer) => {
    if (originAllow.length > 0 && (peer === undefined || !originAllow.some((network) => ipInNetwork(peer, network)))) {
      return deny('forbidden', 'this origin answers its edge only: the request came from an address outside TOLLGATE_ORIGIN_ALLOW');
    }
    if (expected !== undefined) {
      const given = headers[ORIGIN_SECRET_HEADER];
      if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
        return deny('forbidden', `this origin answers its edge only: ${ORIGIN_SECRET_HEADER} is missing or wrong`);
      }
    }
    return undefined;
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
