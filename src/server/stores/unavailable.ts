/**
 * A store that cannot answer: PostgreSQL or Redis unreachable, frozen or restarting, the disk
 * full. Threat: an outage answered as 500 `internal` (or a hang) instead of 503 `unavailable`
 * with Retry-After, so clients and load balancers cannot tell "try again shortly" from a bug.
 * Each store driver knows its own failure signs and throws StoreUnavailableError; the HTTP
 * layer maps that one type (problem.ts) and never has to know a driver's error codes.
 */

/** What clients are told to wait before retrying: stores come back or fail over in seconds. */
export const STORE_RETRY_AFTER_SEC = 5;

export class StoreUnavailableError extends Error {
  constructor(
    /** Which store, for the operator's log: "PostgreSQL", "Redis", "SQLite", "disk". */
    readonly store: string,
    cause: unknown,
  ) {
    super(`${store} is unavailable: ${(cause as { message?: string } | undefined)?.message ?? String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Node's errno codes of a network path or a disk that failed, not of a bug in the caller. */
const SYSTEM_OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EIO',
]);

export function isSystemOutage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SYSTEM_OUTAGE_CODES.has(code);
}

/** Runs a store call, turning the failures `isOutage` recognises into StoreUnavailableError. */
export async function guardStore<T>(store: string, isOutage: (error: unknown) => boolean, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof StoreUnavailableError || !isOutage(error) ? error : new StoreUnavailableError(store, error);
  }
}
