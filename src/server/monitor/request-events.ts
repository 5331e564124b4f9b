/**
 * Every routed decision of the HTTP API becomes an event, recorded in one place after the
 * response (app.ts's onResponse hook): the route says what kind of decision it was, the status
 * says grant or deny, the problem sent says why, and the route handler notes who (user,
 * session, device, title) as it learns it. Nothing is read from bodies, headers or URLs but the
 * route pattern, so no token or password can reach an event.
 */
import type { FastifyRequest } from 'fastify';
import type { EventKind } from '../../core/events.js';
import { isManifest } from '../gateway/files.js';
import type { EventInput, Recorder } from './events.js';

export interface EventFacts {
  readonly userId?: string;
  readonly sessionId?: string;
  readonly deviceId?: string;
  readonly titleId?: string;
  /** A genuine playback token refused by its bindings (another network or user agent): the event says so in `detail.binding_refused`. */
  readonly bindingRefused?: boolean;
}

const facts = new WeakMap<FastifyRequest, EventFacts>();
const problemCodes = new WeakMap<FastifyRequest, string>();

/** What a handler learnt about the request (who, which session, which title); later notes add to earlier ones. */
export function noteEvent(request: FastifyRequest, more: EventFacts): void {
  const known = facts.get(request);
  facts.set(request, known === undefined ? more : { ...known, ...more });
}

/** The playback session a media or license request used; `bindingRefused` when its genuine token was refused by its bindings. */
export function noteSessionEvent(request: FastifyRequest, session: { readonly id: string; readonly userId: string; readonly titleId: string }, bindingRefused = false): void {
  noteEvent(request, { sessionId: session.id, userId: session.userId, titleId: session.titleId, ...(bindingRefused ? { bindingRefused } : {}) });
}

/** The problem code a request was answered with (problem.ts calls this). */
export function noteProblem(request: FastifyRequest, code: string): void {
  problemCodes.set(request, code);
}

const KEY_PATH = /^hls\/keys\/[0-9a-f]{32}$/;
const GATEWAY_ROUTES = new Set(['/v1/stream/:token/:title/*', '/v1/media/:title/*']);
const LICENSE_ROUTES = new Set(['/v1/license/s/:token/:title', '/v1/license/s/:token/:title/:system', '/v1/license/clearkey']);
const ROUTE_KINDS: Readonly<Record<string, EventKind>> = {
  'POST /v1/auth/login': 'login',
  'POST /v1/auth/refresh': 'refresh',
  'POST /v1/playback': 'playback_start',
  'POST /v1/playback/:session_id/heartbeat': 'heartbeat',
};
/** Longest id taken from an admin route's path into an event. */
const MAX_ID_LENGTH = 128;

function kindOf(request: FastifyRequest, route: string): EventKind | undefined {
  if (GATEWAY_ROUTES.has(route)) {
    const path = (request.params as { '*'?: string })['*'] ?? '';
    return KEY_PATH.test(path) ? 'key' : isManifest(path) ? 'manifest' : 'segment';
  }
  if (LICENSE_ROUTES.has(route)) return 'license';
  if (route.startsWith('/v1/admin/')) return 'admin';
  return ROUTE_KINDS[`${request.method} ${route}`];
}

/** Records the decision a routed request got; requests of other routes are no decision. */
export function recordRequestEvent(recorder: Recorder, request: FastifyRequest, statusCode: number, contentLength: number): void {
  const route = request.routeOptions.url;
  if (route === undefined) return;
  const kind = kindOf(request, route);
  if (kind === undefined) return;
  const ip = request.ip;
  const noted = facts.get(request) ?? {};
  // A granted admin call names its subject from the path; a refused one only what its handler learnt.
  const known = kind === 'admin' && statusCode < 400 ? { ...adminFacts(request), ...noted } : noted;
  if (statusCode < 400 && kind === 'segment' && known.sessionId !== undefined && known.userId !== undefined && known.titleId !== undefined) {
    recorder.segment({ id: known.sessionId, userId: known.userId, titleId: known.titleId }, ip, (request.params as { '*': string })['*'], contentLength);
    return;
  }
  const code = statusCode < 400 ? undefined : (problemCodes.get(request) ?? `http_${statusCode}`);
  recordDecision(recorder, { kind, ip, code, known, route: kind === 'admin' ? `${request.method} ${route}` : undefined });
}

/** A decision of any kind but a segment: `code` is the problem's for a denial, undefined for a grant. */
export interface Decision {
  readonly kind: EventKind;
  readonly ip: string;
  readonly code: string | undefined;
  readonly known: EventFacts;
  /** "METHOD /route" of an admin call. */
  readonly route?: string | undefined;
}

/** Records a decision (the Fastify routes through recordRequestEvent, the license fast path directly). */
export function recordDecision(recorder: Recorder, { kind, ip, code, known, route }: Decision): void {
  if (code === undefined) {
    recorder.record(event(kind, 'grant', undefined, known, ip, route));
    return;
  }
  // Denials that name no one (junk tokens, wrong admin tokens) are summarised per address and
  // code, so a flood is one row per interval; failed logins stay one each, for the detectors.
  if (known.sessionId === undefined && known.userId === undefined && (kind !== 'login' || code === 'rate_limited')) {
    recorder.anonymousDenial(kind, code, ip);
    return;
  }
  recorder.record(event(kind, 'deny', code, known, ip, route));
}

function event(kind: EventKind, decision: 'grant' | 'deny', code: string | undefined, known: EventFacts, ip: string, route: string | undefined): EventInput {
  const { bindingRefused, ...who } = known;
  return {
    kind,
    decision,
    ip,
    ...(code !== undefined ? { code } : {}),
    ...who,
    ...(route !== undefined ? { detail: { route } } : bindingRefused === true ? { detail: { binding_refused: true } } : {}),
  };
}

/** An admin action's subject, from its route's path parameters. */
function adminFacts(request: FastifyRequest): EventFacts {
  const params = request.params as { user_id?: unknown; session_id?: unknown };
  const id = (value: unknown) => (typeof value === 'string' && value.length <= MAX_ID_LENGTH ? value : undefined);
  const userId = id(params.user_id);
  const sessionId = id(params.session_id);
  return { ...(userId !== undefined ? { userId } : {}), ...(sessionId !== undefined ? { sessionId } : {}) };
}
