/**
 * One `license_url` request, whichever HTTP path carries it (the Fastify route, or the fast path
 * in front of it, fast-path.ts), so both decide alike: the address's rate window, the body as
 * JSON, then the entitlement proxy (the session, its stream slot, its rate window, entitlement).
 */
import type { ClearKeyLicense } from '../../core/drm/clearkey.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { MediaRequest } from '../gateway/service.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { EntitlementProxy, SessionObserver } from './proxy.js';

export interface SessionLicenseDeps {
  readonly proxy: EntitlementProxy;
  readonly rateLimiter: RateLimiter;
}

/** Counted by address here and by playback session in the proxy (see routes.ts). */
export async function sessionLicense(
  { proxy, rateLimiter }: SessionLicenseDeps,
  request: Omit<MediaRequest, 'path'>,
  body: Buffer | undefined,
  onSession: SessionObserver,
): Promise<Verdict<ClearKeyLicense>> {
  const allowed = await rateLimiter.check('licensePerAddress', request.ip);
  if (!allowed.ok) return allowed;
  const parsed = jsonBody(body);
  return parsed.ok ? proxy.clearKey(request, parsed.value, onSession) : parsed;
}

/** A license request's body as JSON; EME hands it over as bytes, whatever the content type. */
export function jsonBody(body: unknown): Verdict<unknown> {
  if (!Buffer.isBuffer(body) || body.length === 0) return deny('bad_request', 'the license request body is empty');
  try {
    return grant(JSON.parse(body.toString('utf8')));
  } catch {
    return deny('bad_request', 'the license request is not JSON (a W3C Clear Key request is {"kids": [...]})');
  }
}
