/**
 * CORS for the API, gateway and license endpoints. Threat: a hostile page calling the API
 * with a victim's credentials. Only origins in TOLLGATE_CORS_ORIGINS (default: the server's
 * own origin) are echoed back; '*' is allowed only when configured explicitly, and never with
 * credentials.
 */
import type { FastifyInstance } from 'fastify';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Range, X-Tollgate-Entitlement';
const EXPOSED_HEADERS = 'Retry-After, Content-Range, Content-Length, WWW-Authenticate';

export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  const any = origins.includes('*');
  const allowed = new Set(origins);

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    reply.header('vary', 'Origin');
    if (!any && !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .header('access-control-allow-methods', ALLOWED_METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .code(204)
        .send();
    }
  });
}
