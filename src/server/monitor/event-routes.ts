/**
 * GET /v1/admin/events: the decision events, newest first, filtered; as JSON ({events}) or,
 * with `Accept: application/x-ndjson` or `format=ndjson`, streamed as one JSON object a line
 * (an export: read page by page, never all in memory). Registered in the admin scope, behind
 * its admin-token hook. Times are ISO 8601, as everywhere in the API.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type DecisionEvent, EVENT_KINDS } from '../../core/events.js';
import { TollgateError } from '../../core/errors.js';
import type { EventFilter, EventStore } from '../../core/ports.js';
import type { Services } from '../compose.js';
import { adminDenials, security } from '../http/openapi.js';
import { openObject } from '../http/schemas.js';

const JSON_DEFAULT_LIMIT = 100;
const JSON_MAX_LIMIT = 1_000;
const EXPORT_DEFAULT_LIMIT = 100_000;
const EXPORT_MAX_LIMIT = 10_000_000;
const EXPORT_PAGE = 1_000;
const NDJSON = 'application/x-ndjson';

const idText = { type: 'string', minLength: 1, maxLength: 128 };

const eventSchema = openObject(['id', 'at', 'kind', 'decision', 'ip', 'count'], {
  id: { type: 'string', description: 'unique; sorts by time' },
  at: { type: 'string', format: 'date-time' },
  kind: { type: 'string', enum: [...EVENT_KINDS] },
  decision: { type: 'string', enum: ['grant', 'deny'] },
  code: { type: 'string', description: 'the problem code of a denial' },
  user_id: { type: 'string' },
  session_id: { type: 'string' },
  device_id: { type: 'string' },
  title_id: { type: 'string' },
  ip: { type: 'string' },
  country: { type: 'string', description: 'ISO 3166-1 alpha-2' },
  asn: { type: 'integer' },
  count: { type: 'integer', description: 'requests this event stands for (segment and denial summaries), else 1' },
  detail: { type: 'object', additionalProperties: true, description: 'kind-specific facts, e.g. a segment summary’s bytes and renditions' },
});

interface EventQuery {
  user_id?: string;
  session_id?: string;
  kind?: string;
  decision?: string;
  since?: string;
  before?: string;
  limit?: string;
  ids?: string;
  format?: 'json' | 'ndjson';
}

/** An alert's evidence is read back with ids=; more than this many is a bad request. */
const MAX_IDS = 200;
const ID_LIST = `^[0-9a-z]{1,40}(,[0-9a-z]{1,40}){0,${MAX_IDS - 1}}$`;

const schema = {
  summary: 'Decision events, newest first (NDJSON export with Accept: application/x-ndjson or format=ndjson)',
  tags: ['admin'],
  security: security.adminToken,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      user_id: idText,
      session_id: idText,
      kind: { type: 'string', enum: [...EVENT_KINDS] },
      decision: { type: 'string', enum: ['grant', 'deny'] },
      since: { type: 'string', maxLength: 40, description: 'ISO 8601 time: events at or after it' },
      before: { type: 'string', pattern: '^[0-9a-z]{1,40}$', description: 'an event id: events older than it (the next page)' },
      limit: { type: 'string', pattern: '^[0-9]{1,8}$', description: `at most this many (JSON: default ${JSON_DEFAULT_LIMIT}, up to ${JSON_MAX_LIMIT}; NDJSON: default ${EXPORT_DEFAULT_LIMIT})` },
      ids: { type: 'string', pattern: ID_LIST, description: `only these events (comma-separated ids, at most ${MAX_IDS}): an alert's evidence` },
      format: { type: 'string', enum: ['json', 'ndjson'] },
    },
  },
  response: {
    200: {
      description: 'the events; as NDJSON, one event object a line',
      content: {
        'application/json': { schema: openObject(['events'], { events: { type: 'array', items: eventSchema } }) },
        [NDJSON]: { schema: { type: 'string' } },
      },
    },
    ...adminDenials('bad_request'),
  },
};

/** The event as the API spells it: snake_case, ISO 8601 time. */
export function eventJson(e: DecisionEvent): Record<string, unknown> {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    kind: e.kind,
    decision: e.decision,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.userId !== undefined ? { user_id: e.userId } : {}),
    ...(e.sessionId !== undefined ? { session_id: e.sessionId } : {}),
    ...(e.deviceId !== undefined ? { device_id: e.deviceId } : {}),
    ...(e.titleId !== undefined ? { title_id: e.titleId } : {}),
    ip: e.ip,
    ...(e.country !== undefined ? { country: e.country } : {}),
    ...(e.asn !== undefined ? { asn: e.asn } : {}),
    count: e.count ?? 1,
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
  };
}

const MINUTE = 60_000;
/** The charts look back at most this far. */
const PER_MINUTE_MAX_MS = 24 * 60 * MINUTE;

const perMinuteSchema = {
  summary: "Per minute: playback starts and keys/licenses granted, and denials (the dashboard's charts)",
  tags: ['admin'],
  security: security.adminToken,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { since: { type: 'string', maxLength: 40, description: 'ISO 8601 time, at most 24 h ago (default: an hour ago)' } },
  },
  response: {
    200: {
      description: 'every minute from since to now, oldest first, with zeros where nothing happened',
      content: {
        'application/json': {
          schema: openObject(['minutes'], {
            minutes: {
              type: 'array',
              items: openObject(['at', 'starts', 'licenses', 'denials'], {
                at: { type: 'string', format: 'date-time' },
                starts: { type: 'integer' },
                licenses: { type: 'integer', description: 'AES-128 keys and licenses granted' },
                denials: { type: 'integer', description: 'refusals of any kind, summaries counted by the requests they stand for' },
              }),
            },
          }),
        },
      },
    },
    ...adminDenials('bad_request'),
  },
};

export function eventRoutes(app: FastifyInstance, { stores, now }: Services): void {
  app.get<{ Querystring: { since?: string } }>('/v1/admin/events/per-minute', { schema: perMinuteSchema }, async (request, reply) => {
    const to = Math.floor(now() / MINUTE) * MINUTE;
    const since = request.query.since === undefined ? to - 59 * MINUTE : Math.floor(parseTime(request.query.since) / MINUTE) * MINUTE;
    if (since > to || to - since > PER_MINUTE_MAX_MS) throw new TollgateError('bad_request', 'since must be a time in the last 24 hours');
    const counted = new Map((await stores.events.perMinute(since)).map((m) => [m.minute, m]));
    const minutes = [];
    for (let at = since; at <= to; at += MINUTE) {
      const m = counted.get(at);
      minutes.push({ at: new Date(at).toISOString(), starts: m?.starts ?? 0, licenses: m?.licenses ?? 0, denials: m?.denials ?? 0 });
    }
    return reply.header('cache-control', 'no-store').send({ minutes });
  });

  app.get<{ Querystring: EventQuery }>('/v1/admin/events', { schema }, async (request, reply) => {
    const query = request.query;
    const ndjson = query.format === 'ndjson' || (query.format === undefined && (request.headers.accept ?? '').includes(NDJSON));
    const limit = query.limit === undefined ? (ndjson ? EXPORT_DEFAULT_LIMIT : JSON_DEFAULT_LIMIT) : Number(query.limit);
    const max = ndjson ? EXPORT_MAX_LIMIT : JSON_MAX_LIMIT;
    if (limit < 1 || limit > max) throw new TollgateError('bad_request', `limit must be from 1 to ${max}`);
    const filter = filterOf(query, limit);
    if (!ndjson) return reply.header('cache-control', 'no-store').send({ events: (await stores.events.query(filter)).map(eventJson) });
    return reply.header('cache-control', 'no-store').type(NDJSON).send(Readable.from(exportLines(stores.events, filter)));
  });
}

function filterOf(query: EventQuery, limit: number): EventFilter {
  const since = query.since === undefined ? undefined : parseTime(query.since);
  return {
    limit,
    ...(query.user_id !== undefined ? { userId: query.user_id } : {}),
    ...(query.session_id !== undefined ? { sessionId: query.session_id } : {}),
    ...(query.kind !== undefined ? { kind: query.kind as NonNullable<EventFilter['kind']> } : {}),
    ...(query.decision !== undefined ? { decision: query.decision as 'grant' | 'deny' } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(query.before !== undefined ? { before: query.before } : {}),
    ...(query.ids !== undefined ? { ids: query.ids.split(',') } : {}),
  };
}

function parseTime(text: string): number {
  const at = /^\d{4}-\d\d-\d\dT/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) throw new TollgateError('bad_request', 'since must be an ISO 8601 time, like 2026-01-31T12:00:00Z');
  return at;
}

/** Page by page, newest first, each page continuing before the last id of the one before. */
async function* exportLines(store: EventStore, filter: EventFilter): AsyncGenerator<string> {
  let left = filter.limit;
  let before = filter.before;
  while (left > 0) {
    const page = await store.query({ ...filter, limit: Math.min(EXPORT_PAGE, left), ...(before !== undefined ? { before } : {}) });
    if (page.length > 0) yield page.map((e) => `${JSON.stringify(eventJson(e))}\n`).join('');
    if (page.length < EXPORT_PAGE) return;
    left -= page.length;
    before = page.at(-1)!.id;
  }
}
