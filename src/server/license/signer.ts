/**
 * Signing and wrapping an entitlement for a license server in another process or an upstream
 * DRM: HS256 under the current communication key, the content keys wrapped under the key
 * derived from it (key-wrap.ts). Inside one process the entitlement is handed over as a value
 * and none of this happens (docs/DESIGN.md, "In-process license handoff").
 */
import { type Entitlement, mintEntitlementMessage } from '../../core/drm/entitlement.js';
import { joseJwt } from '../keys/jose-jwt.js';
import type { CommunicationKeyRing } from './communication-keys.js';
import { wrapWith } from './key-wrap.js';
import { ENTITLEMENT_AUDIENCE, ENTITLEMENT_ISSUER } from './server.js';

/** The signed, wrapped message of an entitlement, valid from its iat to its exp. */
export type EntitlementSigner = (entitlement: Entitlement) => Promise<string>;

export function entitlementSigner(keys: CommunicationKeyRing): EntitlementSigner {
  const encryptKey = wrapWith(keys);
  return async ({ iat, exp, ...grant }) => {
    const com = await keys.current();
    return mintEntitlementMessage(
      { ...grant, issuer: ENTITLEMENT_ISSUER, audience: ENTITLEMENT_AUDIENCE, ttlSec: exp - iat },
      { key: com.jwt, jwt: joseJwt, now: iat, encryptKey },
    );
  };
}
