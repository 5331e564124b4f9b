/**
 * The license fast path, in front of the HTTP framework: `POST /v1/license/s/{token}/{title}`
 * (a session's license_url, ClearKey), answered on the raw request, the way the gateway's
 * fast path answers segments. Unlike the gateway's, it decides refusals too, because it reads
 * the body: once it takes a request it answers it. So it takes only requests whose every
 * framework step it repeats exactly, and leaves the rest to Fastify untouched: a plain URL (no
 * query, no percent-encoding, path segments the router would match as they are), a body of
 * known length within the body limit (no chunked or oversized bodies), a content type the
 * framework would accept. Threat: a way around a check by choosing the path. So the decision
 * is the route's own (session-license.ts), in the framework's order (blocked address, body,
 * address rate window, JSON, then the proxy), and the answer the route's: status, CORS and
 * security headers, cache-control, problem+json bodies (problem.ts), metrics under the route's
 * pattern, the request's event, and Fastify's request log lines with its request ids.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { ErrorCode } from '../../core/errors.js';
import type { ClearKeyLicense } from '../../core/drm/clearkey.js';
import { requestOrigin } from '../access/guard.js';
import { blockedError } from '../http/block-guard.js';
import type { CorsPolicy } from '../http/cors.js';
import { fail, type Problem, problemFromError, problemResponse } from '../http/problem.js';
import type { BlockList } from '../monitor/block-list.js';
import type { Recorder } from '../monitor/events.js';
import type { HttpMetrics } from '../monitor/http-metrics.js';
import { type EventFacts, recordDecision } from '../monitor/request-events.js';
import { LICENSE_ROUTE } from './routes.js';
import { sessionLicense, type SessionLicenseDeps } from './session-license.js';

const PREFIX = '/v1/license/s/';
/** Path segments the router takes as they are: no percent-encoding, no `;` or other delimiters. */
const SEGMENT = /^[\w.~-]+$/;
/** Media types the framework's content-type parser accepts as valid (it takes any valid one here). */
const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(?:; ?charset=[\w-]+)?$/i;
const JSON_TYPE = 'application/json; charset=utf-8';
/** Log levels at which Fastify writes its request lines. */
const INFO_LEVELS = new Set(['trace', 'debug', 'info']);

export interface LicenseFastPathDeps extends SessionLicenseDeps {
  readonly cors: CorsPolicy;
  readonly security: Readonly<Record<string, string>>;
  readonly metrics: HttpMetrics;
  readonly recorder: Recorder;
  readonly blocks: BlockList;
  readonly now: () => number;
  /** Fastify's limits: the body (bytes) and a route parameter (characters). */
  readonly bodyLimit: number;
  readonly maxParamLength: number;
  /** The client address as the full path would see it; undefined = take the full path. */
  clientIp(request: IncomingMessage): string | undefined;
  /** The app's logger and its request ids (shared with Fastify, so ids never repeat). */
  log(): FastifyBaseLogger;
  requestId(): string;
  /** The app is closing: Fastify answers 503 then. */
  closing(): boolean;
}

interface Taken {
  readonly token: string;
  readonly titleId: string;
  readonly ip: string;
  readonly length: number;
}

/** Takes the request and returns true (answering it later), or returns false having touched nothing. */
export function createLicenseFastPath(deps: LicenseFastPathDeps): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    const taken = take(request, deps);
    if (taken === undefined) return false;
    // answer() turns every failure into a problem response; this is for one while writing it.
    answer(request, response, taken, deps).catch((error: Error) => response.destroy(error));
    return true;
  };
}

/** What the request is, if the fast path repeats every framework step for it. */
function take(request: IncomingMessage, deps: LicenseFastPathDeps): Taken | undefined {
  const { url, method, headers } = request;
  if (method !== 'POST' || url === undefined || !url.startsWith(PREFIX) || deps.closing()) return undefined;
  const tokenEnd = url.indexOf('/', PREFIX.length);
  if (tokenEnd < 0) return undefined;
  const token = url.slice(PREFIX.length, tokenEnd);
  const titleId = url.slice(tokenEnd + 1);
  if (token.length > deps.maxParamLength || titleId.length > deps.maxParamLength || !SEGMENT.test(token) || !SEGMENT.test(titleId)) return undefined;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const declared = headers['content-length'];
  const length = declared === undefined ? 0 : /^\d{1,9}$/.test(declared) ? Number(declared) : Infinity;
  if (length > deps.bodyLimit) return undefined;
  const type = headers['content-type'];
  if (type !== undefined && !CONTENT_TYPE.test(type)) return undefined;
  const ip = deps.clientIp(request);
  return ip === undefined ? undefined : { token, titleId, ip, length };
}

async function answer(request: IncomingMessage, response: ServerResponse, { token, titleId, ip, length }: Taken, deps: LicenseFastPathDeps): Promise<void> {
  const started = performance.now();
  const reqId = deps.requestId();
  // The request's child logger, made only when a line is written (Fastify makes one for every request).
  let child: FastifyBaseLogger | undefined;
  const log = (): FastifyBaseLogger => (child ??= deps.log().child({ reqId }));
  const info = INFO_LEVELS.has(deps.log().level);
  if (info) log().info({ req: { method: 'POST', url: request.url, ip } }, 'incoming request');
  let known: EventFacts = {};
  let outcome: Outcome;
  try {
    const block = await deps.blocks.check(ip);
    if (block !== undefined) throw blockedError(block, deps.now());
    const body = await readBody(request, length);
    const verdict = await sessionLicense(
      deps,
      { token, titleId, ip, userAgent: request.headers['user-agent'] ?? '', origin: requestOrigin(request.headers) },
      body,
      ({ id: sessionId, userId, titleId: title }, bindingRefused) => (known = { sessionId, userId, titleId: title, ...(bindingRefused === true ? { bindingRefused } : {}) }),
    );
    // A refusal takes the error handler's way, as the route's does.
    if (!verdict.ok) fail(verdict);
    outcome = granted(verdict.value);
  } catch (error) {
    const { problem, retryAfter, unexpected } = problemFromError(error);
    if (unexpected) log().error({ err: error }, 'request failed');
    else if (problem.code === 'unavailable') log().warn({ cause: (error as Error).message }, 'a store is unavailable');
    outcome = refused(problem, retryAfter);
  }
  const { status, headers, body, code } = outcome;
  response.writeHead(status, { ...deps.security, ...deps.cors(request.headers.origin), ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
  const elapsedMs = performance.now() - started;
  deps.metrics.record(LICENSE_ROUTE, 'POST', status, elapsedMs / 1000);
  deps.metrics.licenseFastResponses.inc();
  recordDecision(deps.recorder, { kind: 'license', ip, code, known });
  if (info) log().info({ res: { statusCode: status }, responseTime: elapsedMs }, 'request completed');
}

interface Outcome {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The problem's code; undefined for a license. */
  readonly code: ErrorCode | undefined;
}

function granted(license: ClearKeyLicense): Outcome {
  return { status: 200, headers: { 'cache-control': 'no-store', 'content-type': JSON_TYPE }, body: JSON.stringify(license), code: undefined };
}

function refused(problem: Problem, retryAfter: number | undefined): Outcome {
  const { status, headers, body } = problemResponse(problem, retryAfter);
  return { status, headers, body: JSON.stringify(body), code: problem.code };
}

/**
 * The body, of the length the request declared (Node's parser holds it to that), as a Buffer;
 * undefined when empty (the route refuses both alike). A connection that fails mid-body
 * rejects with a 400-status error, as Fastify's reader gives it.
 */
function readBody(request: IncomingMessage, length: number): Promise<Buffer | undefined> {
  if (length === 0) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks)));
    const failed = (error: Error & { statusCode?: number }) => {
      error.statusCode = 400;
      reject(error);
    };
    request.once('error', failed);
    // A connection closed mid-body may end without an error: settle all the same.
    request.once('close', () => request.complete || failed(new Error('the connection closed before the body arrived')));
  });
}
