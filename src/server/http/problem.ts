/**
 * The one table from error codes to HTTP, and the RFC 7807 problem+json body. Everything a
 * route or the framework rejects passes through toProblem, so clients always get the same
 * shape: {type, title, status, code, detail}.
 */
import type { FastifyReply } from 'fastify';
import { type Denial, type ErrorCode, TollgateError } from '../../core/errors.js';
import { redactText } from '../monitor/redact.js';
import { noteProblem } from '../monitor/request-events.js';
import { isSystemOutage, STORE_RETRY_AFTER_SEC, StoreUnavailableError } from '../stores/unavailable.js';

const TABLE: Record<ErrorCode, { status: number; title: string }> = {
  bad_request: { status: 400, title: 'Bad request' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  invalid_token: { status: 401, title: 'Invalid token' },
  token_expired: { status: 401, title: 'Token expired' },
  token_revoked: { status: 401, title: 'Token revoked' },
  unauthorized: { status: 401, title: 'Authentication required' },
  mfa_required: { status: 401, title: 'Second factor required' },
  not_entitled: { status: 403, title: 'Not entitled' },
  forbidden: { status: 403, title: 'Forbidden' },
  geo_blocked: { status: 403, title: 'Not available in your country' },
  origin_not_allowed: { status: 403, title: 'Origin not allowed' },
  address_blocked: { status: 403, title: 'Address blocked' },
  not_found: { status: 404, title: 'Not found' },
  request_timeout: { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  device_limit_reached: { status: 409, title: 'Device limit reached' },
  stream_limit_reached: { status: 409, title: 'Stream limit reached' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  range_not_satisfiable: { status: 416, title: 'Range not satisfiable' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'Request header fields too large' },
  internal: { status: 500, title: 'Internal error' },
  bad_gateway: { status: 502, title: 'Bad gateway' },
  unavailable: { status: 503, title: 'Service unavailable' },
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  /** Fields the code adds (see Denial.extensions). */
  [field: string]: unknown;
}

/** The status a code is answered with. */
export function statusFor(code: ErrorCode): number {
  return TABLE[code].status;
}

export function problemFor(code: ErrorCode, detail: string): Problem {
  const { status, title } = TABLE[code];
  return { type: `urn:tollgate:error:${code}`, title, status, code, detail };
}

export function statusOf(code: ErrorCode): number {
  return TABLE[code].status;
}

/** Codes a framework status maps to, for errors raised before a route runs. */
const BY_STATUS: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
};

/** Maps anything thrown in a request to a problem; unknown errors become 500 'internal'. */
export function problemFromError(error: unknown): { problem: Problem; retryAfter?: number; unexpected: boolean } {
  if (error instanceof TollgateError) {
    return { problem: { ...error.extensions, ...problemFor(error.code, error.detail) }, retryAfter: error.retryAfter, unexpected: false };
  }
  // A store away (or a disk write that failed for want of space) is an outage, not a bug.
  if (error instanceof StoreUnavailableError || isSystemOutage(error)) {
    return { problem: problemFor('unavailable', 'a store is unavailable; try again shortly'), retryAfter: STORE_RETRY_AFTER_SEC, unexpected: false };
  }
  const e = error as { statusCode?: number; validation?: unknown; message?: string; code?: string };
  if (e.validation !== undefined) {
    return { problem: problemFor('bad_request', validationDetail(e.message, e.validation)), unexpected: false };
  }
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = BY_STATUS[status] ?? 'bad_request';
    return { problem: problemFor(code, frameworkDetail(e)), unexpected: false };
  }
  return { problem: problemFor('internal', 'the server could not complete the request'), unexpected: true };
}

/** Ajv's message; for an unknown field it names the field (Ajv's own text does not). */
function validationDetail(message: string | undefined, validation: unknown): string {
  const first = (validation as { keyword?: string; params?: { additionalProperty?: unknown } }[] | undefined)?.[0];
  const extra = first?.keyword === 'additionalProperties' ? first.params?.additionalProperty : undefined;
  if (typeof extra === 'string' && /^[\w.-]{1,64}$/.test(extra)) return `${message ?? 'invalid request'}: "${extra}" is not one`;
  return message ?? 'invalid request';
}

/** Fastify's own messages for these quote the URL (and so a token): say what is wrong instead. */
const FRAMEWORK_DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'the URL is not validly percent-encoded',
  FST_ERR_MAX_PARAM_LENGTH: 'a segment of the URL path is too long',
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is not valid JSON',
};

function frameworkDetail(e: { code?: string; message?: string }): string {
  return FRAMEWORK_DETAILS[e.code ?? ''] ?? e.message ?? 'invalid request';
}

const TOKEN_CODES = new Set<ErrorCode>(['invalid_token', 'token_expired', 'token_revoked']);
/** As Fastify sends it: it adds the charset to a JSON type that has none. */
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** A problem's status, headers and body as sent (sendProblem, and the license fast path on the raw response). */
export interface ProblemResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Problem;
}

/** The response of a problem; the detail never carries anything token-shaped. */
export function problemResponse(problem: Problem, retryAfter?: number): ProblemResponse {
  const headers: Record<string, string> = { 'content-type': PROBLEM_TYPE };
  if (retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
  if (problem.code === 'unauthorized' || TOKEN_CODES.has(problem.code)) {
    // RFC 6750 §3: tell bearer clients what was wrong with their token.
    const error = problem.code === 'unauthorized' ? '' : `, error="invalid_token", error_description="${problem.code}"`;
    headers['www-authenticate'] = `Bearer realm="tollgate"${error}`;
  }
  return { status: problem.status, headers, body: { ...problem, detail: redactText(problem.detail) } };
}

/** Every problem of a Fastify route leaves through here. */
export function sendProblem(reply: FastifyReply, problem: Problem, retryAfter?: number): FastifyReply {
  noteProblem(reply.request, problem.code);
  const { status, headers, body } = problemResponse(problem, retryAfter);
  return reply.code(status).headers(headers).send(body);
}

/** Throws a denial so the error handler answers it; for routes that got a Verdict. */
export function fail(denial: Denial): never {
  throw new TollgateError(denial.code, denial.detail, denial.retryAfter, denial.extensions);
}
