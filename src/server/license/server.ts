/**
 * The ClearKey license server (flow 4 of DESIGN.md, second half). Threats: a replayed or
 * forged entitlement message, a client asking for keys it was not entitled to, and a software
 * CDM receiving keys whose policy needs hardware protection. So: the message is verified
 * (HS256 under a communication key, seconds-long, its own typ), its jti is consumed once
 * across every instance sharing hot state, and only keys both requested and allowed by their
 * usage policy for a ClearKey client are answered.
 */
import { type ClearKeyLicense, buildClearKeyLicense, parseClearKeyRequest } from '../../core/drm/clearkey.js';
import { verifyEntitlementMessage } from '../../core/drm/entitlement.js';
import { CLEARKEY_CLIENT, evaluateKeys } from '../../core/drm/policy.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { HotState } from '../../core/ports.js';
import { nodeJwtCrypto } from '../keys/jwt-crypto.js';
import type { CommunicationKeyRing } from './communication-keys.js';
import { unwrapWith } from './key-wrap.js';

/** Who mints entitlement messages and who accepts them; trust comes from the shared communication key. */
export const ENTITLEMENT_ISSUER = 'tollgate-entitlement-proxy';
export const ENTITLEMENT_AUDIENCE = 'tollgate-license-server';
const CLOCK_LEEWAY_SEC = 5;

export class LicenseServer {
  constructor(
    private readonly keys: CommunicationKeyRing,
    private readonly hot: HotState,
    private readonly now: () => number,
  ) {}

  async clearKey(message: string, body: unknown): Promise<Verdict<ClearKeyLicense>> {
    const request = parseClearKeyRequest(body);
    if (!request.ok) return request;
    const now = this.now();
    const verified = await verifyEntitlementMessage(message, {
      resolveKey: async (kid) => (await this.keys.resolve(kid))?.jwt,
      crypto: nodeJwtCrypto,
      now: Math.floor(now / 1000),
      leeway: CLOCK_LEEWAY_SEC,
      audience: ENTITLEMENT_AUDIENCE,
      issuer: ENTITLEMENT_ISSUER,
      decryptKey: unwrapWith(this.keys),
    });
    if (!verified.ok) return verified;
    const entitlement = verified.value;
    // Remember the jti for as long as the message could still verify.
    const rememberMs = (entitlement.exp + CLOCK_LEEWAY_SEC) * 1000 - now + 1000;
    if (!(await this.hot.consumeOnce(`entitlement-jti:${entitlement.jti}`, Math.max(1000, rememberMs), now))) {
      return deny('invalid_token', 'this entitlement message was already used');
    }
    const decision = evaluateKeys(
      request.value.kids,
      entitlement,
      { ...CLEARKEY_CLIENT, persistent: request.value.type === 'persistent-license' },
      Math.floor(now / 1000),
    );
    if (!decision.ok) return decision;
    return grant(buildClearKeyLicense(decision.value.granted, request.value.type));
  }
}
