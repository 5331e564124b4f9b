/**
 * Widevine, PlayReady and FairPlay through an upstream license service (they need vendor
 * credentials, so Tollgate does not issue them itself). The adapter speaks the Axinom DRM
 * License Service Message convention (FORMATS.md §6): the CDM's challenge is forwarded
 * unchanged with header X-AxDRM-Message = HS256 JWT {version: 1, com_key_id, message}, where
 * message is the Tollgate entitlement mapped onto Axinom's entitlement message v2 and signed
 * with the communication key shared with that service. Services with another convention plug
 * in as another UpstreamAdapter.
 */
import { createSecretKey } from 'node:crypto';
import { toAxinomEntitlement } from '../../core/drm/axinom.js';
import type { Entitlement } from '../../core/drm/entitlement.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import { joseJwt } from '../keys/jose-jwt.js';

export const DRM_SYSTEMS = ['widevine', 'playready', 'fairplay'] as const;
export type DrmSystem = (typeof DRM_SYSTEMS)[number];

export interface UpstreamResponse {
  readonly body: Uint8Array;
  readonly contentType: string;
}

export interface UpstreamAdapter {
  acquire(entitlement: Entitlement, challenge: Uint8Array, contentType: string): Promise<Verdict<UpstreamResponse>>;
}

export interface AxinomUpstreamSettings {
  readonly url: string;
  /** The communication key id (a UUID) and its 32 bytes, as the service issued them. */
  readonly comKeyId: string;
  readonly comKey: Uint8Array;
}

export function axinomUpstream(settings: AxinomUpstreamSettings): UpstreamAdapter {
  const key = { kid: settings.comKeyId, alg: 'HS256' as const, key: createSecretKey(settings.comKey) };
  return {
    async acquire(entitlement, challenge, contentType) {
      const message = await joseJwt.sign({ typ: 'JWT', key }, { version: 1, com_key_id: settings.comKeyId, message: toAxinomEntitlement(entitlement) });
      let response: Response;
      try {
        response = await fetch(settings.url, {
          method: 'POST',
          headers: { 'content-type': contentType, 'x-axdrm-message': message },
          body: challenge,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        return deny('unavailable', `the upstream license service did not answer: ${(error as Error).message}`);
      }
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.ok) return grant({ body, contentType: response.headers.get('content-type') ?? 'application/octet-stream' });
      // The CDM's request was refused upstream (bad challenge, revoked device): the client's problem.
      if (response.status >= 400 && response.status < 500) return deny('forbidden', `the upstream license service refused the request (${response.status})`);
      return deny('unavailable', `the upstream license service answered ${response.status}`);
    },
  };
}
