/**
 * The OpenAPI 3.1 document at GET /openapi.json, generated from the routes' own schemas so it
 * cannot drift: request schemas validate, response schemas document. Routes describe their
 * answers with the helpers below (json, noContent, media, problems); every error answer is the
 * one shared Problem component, and every operation also gets a `default` Problem for what any
 * route may answer (414, 431, 500, 503). Tests validate the document and check that each
 * route answers as documented (test/server/openapi.test.ts).
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import { statusOf } from './problem.js';

const PROBLEM_ID = 'Problem';

const PROBLEM_SCHEMA = {
  $id: PROBLEM_ID,
  type: 'object',
  description: 'RFC 7807 problem details. `code` is stable; some codes add fields (see docs/API.md).',
  required: ['type', 'title', 'status', 'code', 'detail'],
  additionalProperties: true,
  properties: {
    type: { type: 'string', description: 'urn:tollgate:error:<code>' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    code: { type: 'string', enum: [...ERROR_CODES] },
    detail: { type: 'string' },
  },
} as const;

/** How a client proves who it is, per route (`security: [{ accessToken: [] }]` and so on). */
const SECURITY_SCHEMES = {
  accessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /v1/auth/login or /v1/auth/refresh.' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The value of TOLLGATE_ADMIN_TOKEN.' },
  playbackQuery: { type: 'apiKey', in: 'query', name: 'tg', description: 'The playback token (query token mode).' },
  playbackCookie: { type: 'apiKey', in: 'cookie', name: 'tg', description: 'The playback token cookie set by POST /v1/playback (cookie token mode).' },
  entitlement: { type: 'apiKey', in: 'header', name: 'X-Tollgate-Entitlement', description: 'A signed, single-use entitlement message.' },
} as const;

const TAGS = [
  { name: 'service', description: 'Health, readiness, metrics and this document' },
  { name: 'identity', description: 'Login, refresh, logout, the JWKS and the subscriber' },
  { name: 'playback', description: 'Starting and stopping playback sessions' },
  { name: 'gateway', description: 'Manifests, segments and AES-128 keys, behind the playback token' },
  { name: 'license', description: 'DRM licenses: the entitlement proxy and the license server' },
  { name: 'admin', description: 'Plans, users and titles, behind TOLLGATE_ADMIN_TOKEN' },
  { name: 'web', description: 'The player page and its scripts' },
];

type SecurityRequirements = readonly Record<string, readonly string[]>[];

/** The `security` of a route: which of the schemes above it takes (any one of the list). */
export const security: Record<'accessToken' | 'adminToken' | 'playbackQueryOrCookie' | 'entitlement', SecurityRequirements> = {
  accessToken: [{ accessToken: [] }],
  adminToken: [{ adminToken: [] }],
  playbackQueryOrCookie: [{ playbackQuery: [] }, { playbackCookie: [] }],
  entitlement: [{ entitlement: [] }],
};

/** A JSON answer. */
export function json(description: string, schema: object) {
  return { description, content: { 'application/json': { schema } } };
}

export function noContent(description: string) {
  return { description, type: 'null' } as const;
}

/** A non-JSON answer: text or bytes, in any of the given media types. */
export function media(description: string, types: readonly string[], schema: object = { type: 'string' }) {
  return { description, content: Object.fromEntries(types.map((type) => [type, { schema }])) };
}

const problemContent = { 'application/problem+json': { schema: { $ref: `${PROBLEM_ID}#` } } };

/** The Problem answers for these codes, grouped by status, each naming its codes. */
export function problems(...codes: ErrorCode[]): Record<number, object> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => {
      const headers =
        status === 401
          ? { 'www-authenticate': { type: 'string', description: 'RFC 6750 Bearer challenge' } }
          : status === 429 || status === 503
            ? { 'retry-after': { type: 'integer', description: 'seconds to wait' } }
            : undefined;
      return [status, { description: group.map((code) => `\`${code}\``).join(', '), content: problemContent, ...(headers ? { headers } : {}) }];
    }),
  );
}

/** Every admin route refuses a missing or over-long (401), wrong or disabled (403) admin token, and floods (429). */
export const adminDenials = (...codes: ErrorCode[]) => problems(...codes, 'unauthorized', 'invalid_token', 'forbidden', 'rate_limited');

const ANY_ERROR = {
  description: 'Any other error, as problem+json: e.g. 414 `uri_too_long`, 431 `headers_too_large`, 500 `internal`, 503 `unavailable` (with Retry-After)',
  content: problemContent,
};

/**
 * A body a route parses itself (so Fastify must not validate it against a schema), for the
 * document only: put in a route schema as `documentedBody: documentedBody(...)`.
 */
export function documentedBody(consumes: readonly string[], schema: object) {
  return { consumes, schema };
}

type RouteSchema = FastifySchema & {
  response?: Record<string, unknown>;
  params?: { properties?: Record<string, unknown> };
  documentedBody?: ReturnType<typeof documentedBody>;
};

/**
 * Every documented answer set gains the `default` Problem; a documented body becomes the
 * request body; a Fastify wildcard parameter, named `*` (no OpenAPI name), becomes {path},
 * declared with the route's other path parameters.
 */
function transformRoute(schema: FastifySchema | undefined, url: string): { schema: FastifySchema; url: string } {
  const { documentedBody, ...s } = (schema ?? {}) as RouteSchema;
  const withBody = documentedBody === undefined ? s : { ...s, body: documentedBody.schema, consumes: documentedBody.consumes };
  const withDefault = s.response === undefined ? withBody : { ...withBody, response: { default: ANY_ERROR, ...s.response } };
  if (!url.endsWith('*')) return { schema: withDefault, url };
  const given = s.params?.properties ?? {};
  const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const properties = Object.fromEntries([
    ...names.map((name) => [name, given[name] ?? { type: 'string' }]),
    ['path', given['*'] ?? { type: 'string', description: 'the file path under the title, e.g. hls/master.m3u8' }],
  ]);
  const params = { type: 'object', required: [...names, 'path'], properties };
  return { schema: { ...withDefault, params }, url: `${url.slice(0, -1)}:path` };
}

/** Registers the document generator; routes registered after this appear in it. */
export function registerOpenApi(app: FastifyInstance): void {
  app.addSchema(PROBLEM_SCHEMA);
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tollgate', version: '1', description: 'Contract v1: see docs/API.md' },
      tags: TAGS,
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: ({ schema, url }) => transformRoute(schema, url),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // In a plugin, so that it loads after the generator and documents itself.
  app.register(async (scope) => {
    scope.get(
      '/openapi.json',
      { schema: { summary: 'This OpenAPI document', tags: ['service'], response: { 200: json('the OpenAPI 3.1 document', { type: 'object' }) } } },
      async () => app.swagger(),
    );
  });
}
