/**
 * The one error catalogue. Services return these codes as values ("verdicts"); the transport
 * layer maps each code to an HTTP status and an RFC 7807 problem body in one table
 * (src/server/http/problem.ts). Codes are part of the public contract: never rename one.
 */
export const ERROR_CODES = [
  'bad_request',
  'invalid_credentials',
  'invalid_token',
  'token_expired',
  'token_revoked',
  'not_entitled',
  'not_found',
  'conflict',
  'stream_limit_reached',
  'device_limit_reached',
  'geo_blocked',
  'origin_not_allowed',
  'mfa_required',
  'rate_limited',
  'forbidden',
  'unauthorized',
  'payload_too_large',
  'range_not_satisfiable',
  'unsupported_media_type',
  'request_timeout',
  'uri_too_long',
  'headers_too_large',
  'unavailable',
  'bad_gateway',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A denial: a stable code plus a human sentence naming what is wrong. */
export interface Denial {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly detail: string;
  /** Seconds until the client may retry (rate limits). */
  readonly retryAfter?: number;
  /** Extra members of the problem body (RFC 7807 §3.2), e.g. the devices at a device limit. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export interface Grant<T> {
  readonly ok: true;
  readonly value: T;
}

export type Verdict<T> = Grant<T> | Denial;

export function grant<T>(value: T): Grant<T> {
  return { ok: true, value };
}

export function deny(code: ErrorCode, detail: string, retryAfter?: number): Denial {
  return retryAfter === undefined ? { ok: false, code, detail } : { ok: false, code, detail, retryAfter };
}

/** A denial whose problem body carries extra members the client acts on. */
export function denyWith(code: ErrorCode, detail: string, extensions: Readonly<Record<string, unknown>>): Denial {
  return { ok: false, code, detail, extensions };
}

/**
 * Thrown where a verdict cannot be returned (deep in a call chain); the transport layer turns
 * it into the same problem body as a returned denial.
 */
export class TollgateError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly retryAfter?: number,
    readonly extensions?: Readonly<Record<string, unknown>>,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'TollgateError';
  }
}
