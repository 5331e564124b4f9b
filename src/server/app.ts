/**
 * Builds the HTTP app from composed services; never listens (main.ts does). Fastify gives
 * schema validation, body limits and the logger; this file adds what every route shares:
 * problem+json errors, CORS, security headers, request metrics, the OpenAPI document.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { adminRoutes } from './admin/routes.js';
import type { Services } from './compose.js';
import type { HttpLimits } from './config.js';
import type { TlsFiles } from './config-tls.js';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { blockGuard } from './http/block-guard.js';
import { clientIpOf } from './http/client-ip.js';
import { corsPolicy, registerCors } from './http/cors.js';
import { securityHeaders } from './http/security-headers.js';
import { clientErrorHandler, frameworkErrorHandler } from './http/framework-errors.js';
import { TollgateError } from '../core/errors.js';
import { createFastPath } from './gateway/fast-path.js';
import { createLicenseFastPath } from './license/fast-path.js';
import { problemFor, problemFromError, sendProblem } from './http/problem.js';
import { registerOpenApi } from './http/openapi.js';
import { serviceRoutes } from './http/service-routes.js';
import { gatewayRoutes } from './gateway/routes.js';
import { accountRoutes } from './identity/account-routes.js';
import { mfaRoutes } from './identity/mfa-routes.js';
import { identityRoutes } from './identity/routes.js';
import { licenseRoutes } from './license/routes.js';
import { playbackRoutes } from './playback/routes.js';
import { redactText, redactUrl } from './monitor/redact.js';
import { recordRequestEvent } from './monitor/request-events.js';
import { webRoutes } from './web/routes.js';

/** JSON bodies are small; license requests and admin calls included. */
const BODY_LIMIT_BYTES = 64 * 1024;
/** Node answers oversized headers with a bare 431; raise its limit so we can answer problem+json. */
const MAX_HEADER_BYTES = 128 * 1024;
/** Longest URL served (nginx's default header buffer); real URLs, tokens included, are far shorter. */
const MAX_URL_LENGTH = 8192;
/** Longest path parameter the router takes (tokens are in the path). */
const MAX_PARAM_LENGTH = 2048;

/** Request ids as Fastify's default makes them, shared with the license fast path so none repeats. */
function requestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}

/**
 * Node's defaults close idle keep-alive connections after 5 s (before a load balancer's 60 s,
 * which then sends requests into closed connections: sporadic 502s), hold a slow body for
 * 300 s and accept any number of connections. These come from configuration instead.
 */
function createLimitedServer(limits: HttpLimits, tls: TlsFiles | undefined, listener: RequestListener): Server {
  // Node checks the header and request deadlines every connectionsCheckingInterval (30 s by
  // default, which would let a slow body live up to twice its deadline); check every second.
  const options = { maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: 1000 };
  // https.Server is an http.Server underneath (same limits, same listener), over TLS.
  const server = tls === undefined ? createServer(options, listener) : createTlsServer({ ...options, cert: tls.cert, key: tls.key }, listener);
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
  const { config } = services;
  const cors = corsPolicy(config.corsOrigins.length > 0 ? config.corsOrigins : [new URL(config.publicUrl).origin]);
  const security = securityHeaders(config.publicUrl, config.tls !== undefined);
  const errorHeaders = { cors, security };
  const clientIp = clientIpOf(config.trustProxy);
  const requestId = requestIds();
  let closing = false;
  const fastPath = createFastPath({
    gateway: services.gateway,
    files: services.mediaFiles,
    variants: services.variants,
    cors,
    security,
    metrics: services.httpMetrics,
    recorder: services.events.recorder,
    clientIp,
    blocked: (ip) => services.blocks.blocked(ip) !== undefined,
    originGuard: services.originGuard,
    accelPrefix: config.serving.sendFile === 'x-accel' ? config.serving.sendFilePrefix : undefined,
  });
  const licenseFastPath = createLicenseFastPath({
    proxy: services.proxy,
    rateLimiter: services.rateLimiter,
    cors,
    security,
    metrics: services.httpMetrics,
    recorder: services.events.recorder,
    blocks: services.blocks,
    now: services.now,
    bodyLimit: BODY_LIMIT_BYTES,
    maxParamLength: MAX_PARAM_LENGTH,
    clientIp,
    log: () => app.log,
    requestId,
    closing: () => closing,
  });
  const app = Fastify({
    serverFactory: (handler) =>
      createLimitedServer(config.http, config.tls, (request, response) => {
        if (!fastPath(request, response) && !licenseFastPath(request, response)) handler(request, response);
      }),
    genReqId: requestId,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    // Case and duplicate slashes are not normalised (such URLs get 401 or 404); redaction
    // does not depend on how a URL is spelled (monitor/redact.ts).
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Router and HTTP-parser errors get the same problem+json, headers and redaction as any other.
    frameworkErrors: frameworkErrorHandler(errorHeaders),
    clientErrorHandler: clientErrorHandler(errorHeaders),
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            ...(options.logStream ? { stream: options.logStream } : {}),
            // Secrets never reach logs: no headers, no bodies, and tokens cut out of URLs and errors.
            serializers: {
              req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
              res: (res) => ({ statusCode: res.statusCode }),
              err: (err: Error & { code?: string }) => ({
                type: err.name,
                code: err.code,
                message: redactText(err.message),
                stack: redactText(err.stack ?? ''),
              }),
            },
          },
  });

  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  // Bodies are JSON only; Fastify's default text/plain parser would let any text reach a schema.
  app.removeContentTypeParser('text/plain');

  app.addHook('onResponse', (request, reply, done) => {
    services.httpMetrics.record(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    recordRequestEvent(services.events.recorder, request, reply.statusCode, Number(reply.getHeader('content-length') ?? 0));
    done();
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(security);
    done(null, payload);
  });

  registerCors(app, cors);

  app.addHook('onRequest', (request, _reply, done) => {
    done(request.url.length > MAX_URL_LENGTH ? new TollgateError('uri_too_long', `the URL is over ${MAX_URL_LENGTH} characters`) : undefined);
  });

  app.addHook('onRequest', blockGuard(services.blocks, services.now));

  app.setErrorHandler((error, request, reply) => {
    const { problem, retryAfter, unexpected } = problemFromError(error);
    if (unexpected) request.log.error({ err: error }, 'request failed');
    else if (problem.code === 'unavailable') request.log.warn({ cause: (error as Error).message }, 'a store is unavailable');
    return sendProblem(reply, problem, retryAfter);
  });
  app.setNotFoundHandler((request, reply) =>
    // The detail never quotes the URL: it may carry a token.
    sendProblem(reply, problemFor('not_found', `no route for this ${request.method} request's path`)),
  );

  // Response schemas document answers; they never filter them: answers are serialized as the
  // routes built them (test/server/openapi.test.ts checks each against its documented schema).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerOpenApi(app);

  // Registered as a plugin so they load after swagger and appear in /openapi.json.
  app.register(async (scope) => {
    serviceRoutes(scope, services);
    identityRoutes(scope, services);
    accountRoutes(scope, services);
    mfaRoutes(scope, services);
    playbackRoutes(scope, services);
    gatewayRoutes(scope, services);
    licenseRoutes(scope, services);
    adminRoutes(scope, services);
    webRoutes(scope, services);
  });
  return app;
}
