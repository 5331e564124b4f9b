/**
 * Builds the HTTP app from composed services; never listens (main.ts does). Fastify gives
 * schema validation, body limits and the logger; this file adds what every route shares:
 * problem+json errors, CORS, security headers, request metrics, health and readiness.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { adminRoutes } from './admin/routes.js';
import type { Services } from './compose.js';
import type { HttpLimits } from './config.js';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { corsPolicy, registerCors } from './http/cors.js';
import { securityHeaders } from './http/security-headers.js';
import { createFastPath } from './gateway/fast-path.js';
import { problemFor, problemFromError, sendProblem } from './http/problem.js';
import { gatewayRoutes } from './gateway/routes.js';
import { identityRoutes } from './identity/routes.js';
import { licenseRoutes } from './license/routes.js';
import { playbackRoutes } from './playback/routes.js';
import { redactUrl } from './monitor/redact.js';
import { webRoutes } from './web/routes.js';

/** JSON bodies are small; license requests and admin calls included. */
const BODY_LIMIT_BYTES = 64 * 1024;
/** Node answers oversized headers with a bare 431; raise its limit so we can answer problem+json. */
const MAX_HEADER_BYTES = 128 * 1024;

/**
 * The client address exactly as Fastify derives request.ip: X-Forwarded-For is believed only
 * through the trusted proxies (the same library and rule), else the socket's address.
 */
function clientIpOf(trustProxy: readonly string[]): (request: IncomingMessage) => string | undefined {
  if (trustProxy.length === 0) return (request) => request.socket.remoteAddress;
  const trust = proxyAddr.compile([...trustProxy]);
  return (request) => proxyAddr.all(request, trust).at(-1);
}

/**
 * Node's defaults close idle keep-alive connections after 5 s (before a load balancer's 60 s,
 * which then sends requests into closed connections: sporadic 502s), hold a slow body for
 * 300 s and accept any number of connections. These come from configuration instead.
 */
function createLimitedServer(limits: HttpLimits, listener: RequestListener): Server {
  // Node checks the header and request deadlines every connectionsCheckingInterval (30 s by
  // default, which would let a slow body live up to twice its deadline); check every second.
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: 1000 }, listener);
  server.keepAliveTimeout = limits.keepAliveTimeoutSec * 1000;
  server.headersTimeout = limits.headersTimeoutSec * 1000;
  server.requestTimeout = limits.requestTimeoutSec * 1000;
  server.maxConnections = limits.maxConnections === 0 ? Infinity : limits.maxConnections;
  return server;
}

export interface AppOptions {
  /** Where JSON logs go (stdout by default); tests capture them. */
  readonly logStream?: { write(line: string): void };
}

export function buildApp(services: Services, options: AppOptions = {}): FastifyInstance {
  const { config, metrics } = services;
  const cors = corsPolicy(config.corsOrigins.length > 0 ? config.corsOrigins : [new URL(config.publicUrl).origin]);
  const security = securityHeaders(config.publicUrl);
  const fastPath = createFastPath({
    gateway: services.gateway,
    files: services.mediaFiles,
    cors,
    security,
    metrics: services.httpMetrics,
    clientIp: clientIpOf(config.trustProxy),
  });
  const app = Fastify({
    serverFactory: (handler) =>
      createLimitedServer(config.http, (request, response) => {
        if (!fastPath(request, response)) handler(request, response);
      }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            ...(options.logStream ? { stream: options.logStream } : {}),
            // Secrets never reach logs: no headers, no bodies, and tokens cut out of URLs.
            serializers: {
              req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
              res: (res) => ({ statusCode: res.statusCode }),
            },
          },
  });

  // Bodies are JSON only; Fastify's default text/plain parser would let any text reach a schema.
  app.removeContentTypeParser('text/plain');

  app.addHook('onResponse', (request, reply, done) => {
    services.httpMetrics.record(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(security);
    done(null, payload);
  });

  registerCors(app, cors);

  app.setErrorHandler((error, request, reply) => {
    const { problem, retryAfter, unexpected } = problemFromError(error);
    if (unexpected) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem, retryAfter);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemFor('not_found', `no route for ${request.method} ${redactUrl(request.url)}`)),
  );

  // The OpenAPI document is generated from the routes' own schemas, so it cannot drift.
  app.register(swagger, {
    openapi: {
      info: { title: 'Tollgate', version: '1', description: 'Contract v1: see docs/API.md' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await Promise.all([services.stores.ping(), services.hot.ping()]);
      return { status: 'ready' };
    } catch {
      return sendProblem(reply, problemFor('unavailable', 'a store is unreachable'));
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  );

  // Registered as a plugin so they load after swagger and appear in /openapi.json.
  app.register(async (scope) => {
    identityRoutes(scope, services);
    playbackRoutes(scope, services);
    gatewayRoutes(scope, services);
    licenseRoutes(scope, services);
    adminRoutes(scope, services);
    webRoutes(scope, services);
  });
  return app;
}
