/**
 * CORS for the API, gateway and license endpoints. Threat: a hostile page calling the API
 * with a victim's credentials. Only origins in TOLLGATE_CORS_ORIGINS (default: the server's
 * own origin) are echoed back; '*' is allowed only when configured explicitly, and never with
 * credentials.
 */
import type { FastifyInstance } from 'fastify';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Range, X-Tollgate-Entitlement';
const EXPOSED_HEADERS = 'Retry-After, Content-Range, Content-Length, WWW-Authenticate';

/** The CORS response headers for a request's Origin (undefined: no Origin header). */
export type CorsPolicy = (origin: string | undefined) => Readonly<Record<string, string>> | undefined;

export function corsPolicy(origins: readonly string[]): CorsPolicy {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  const denied = Object.freeze({ vary: 'Origin' });
  const star = Object.freeze({ vary: 'Origin', 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED_HEADERS });
  // One answer object per allowed origin, reused: the gateway's fast path keys its prebuilt headers on it.
  const echoed = new Map(
    [...allowed].map((origin) => [
      origin,
      Object.freeze({ vary: 'Origin', 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': EXPOSED_HEADERS }),
    ]),
  );
  return (origin) => {
    if (origin === undefined) return undefined;
    if (any) return star;
    if (!allowed.has(origin)) return denied;
    return echoed.get(origin);
  };
}

export function registerCors(app: FastifyInstance, policy: CorsPolicy): void {
  app.addHook('onRequest', (request, reply, done) => {
    const headers = policy(request.headers.origin);
    if (headers === undefined) return done();
    reply.headers(headers);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined && 'access-control-allow-origin' in headers) {
      reply
        .header('access-control-allow-methods', ALLOWED_METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .code(204)
        .send();
      return;
    }
    done();
  });
}
