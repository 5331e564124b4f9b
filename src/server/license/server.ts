/**
 * The ClearKey license server (flow 4 of docs/ARCHITECTURE.md, second half). Threats: a replayed or
 * forged entitlement message, a client asking for keys it was not entitled to, and a software
 * CDM receiving keys whose policy needs hardware protection. So: the message is verified
 * (HS256 under a communication key, seconds-long, its own typ), its jti is consumed once
 * across every instance sharing hot state, and only keys both requested and allowed by their
 * usage policy for a ClearKey client are answered. The proxy in this same process hands its
 * entitlement over as a value instead (nothing to forge inside one trust boundary): the jti
 * is consumed and the policies evaluated all the same. For Widevine, PlayReady and FairPlay
 * the accepted message goes to an upstream service through an adapter (upstream.ts).
 */
import { type ClearKeyLicense, type ClearKeyRequest, buildClearKeyLicense, parseClearKeyRequest } from '../../core/drm/clearkey.js';
import { type Entitlement, type KeyWrapCipher, verifyEntitlementMessage } from '../../core/drm/entitlement.js';
import { CLEARKEY_CLIENT, evaluateKeys } from '../../core/drm/policy.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { HotState } from '../../core/ports.js';
import { joseJwt } from '../keys/jose-jwt.js';
import type { CommunicationKeyRing } from './communication-keys.js';
import { unwrapWith } from './key-wrap.js';
import type { DrmSystem, UpstreamAdapter, UpstreamResponse } from './upstream.js';

/** Who mints entitlement messages and who accepts them; trust comes from the shared communication key. */
export const ENTITLEMENT_ISSUER = 'tollgate-entitlement-proxy';
export const ENTITLEMENT_AUDIENCE = 'tollgate-license-server';

export class LicenseServer {
  constructor(
    private readonly keys: CommunicationKeyRing,
    private readonly hot: HotState,
    private readonly upstreams: Partial<Record<DrmSystem, UpstreamAdapter>>,
    private readonly now: () => number,
    /** Clock difference tolerated with a remote proxy that mints the messages (TOLLGATE_CLOCK_SKEW_SECONDS). */
    private readonly clockSkewSec: number,
  ) {
    this.unwrap = unwrapWith(keys);
  }

  private readonly unwrap: KeyWrapCipher;

  /** A license for a signed message from a proxy elsewhere (POST /v1/license/clearkey). */
  async clearKey(message: string, body: unknown): Promise<Verdict<ClearKeyLicense>> {
    const request = parseClearKeyRequest(body);
    if (!request.ok) return request;
    const verified = await this.verify(message);
    if (!verified.ok) return verified;
    return this.answer(verified.value, request.value);
  }

  /**
   * A license for an entitlement the proxy in this process hands over as a value: nothing is
   * signed, wrapped or re-verified inside one trust boundary, but its jti is still consumed
   * once across instances and each key's policy is still evaluated.
   */
  async clearKeyHandedOver(entitlement: Entitlement, body: unknown): Promise<Verdict<ClearKeyLicense>> {
    const request = parseClearKeyRequest(body);
    if (!request.ok) return request;
    // Minted in this process for this call and never sent anywhere, so nobody can have used its
    // jti before now, whatever hot state was lost before: no lost-state check by issue time
    // (which, at one-second precision, refused every license in the second a fresh hot state began).
    return this.answer(entitlement, request.value, Number.POSITIVE_INFINITY);
  }

  /** Widevine, PlayReady, FairPlay: the same single-use message, the keys delivered upstream. */
  async upstream(system: DrmSystem, message: string, challenge: Uint8Array, contentType: string): Promise<Verdict<UpstreamResponse>> {
    const adapter = this.upstreams[system];
    if (adapter === undefined) return deny('not_found', `no upstream license service is configured for ${system}`);
    if (challenge.length === 0) return deny('bad_request', 'the license request body is empty');
    const verified = await this.verify(message);
    if (!verified.ok) return verified;
    const consumed = await this.consume(verified.value);
    if (!consumed.ok) return consumed;
    return adapter.acquire(verified.value, challenge, contentType);
  }

  private async answer(entitlement: Entitlement, request: ClearKeyRequest, issuedAtMs = entitlement.iat * 1000): Promise<Verdict<ClearKeyLicense>> {
    const consumed = await this.consume(entitlement, issuedAtMs);
    if (!consumed.ok) return consumed;
    const decision = evaluateKeys(request.kids, entitlement, { ...CLEARKEY_CLIENT, persistent: request.type === 'persistent-license' }, Math.floor(this.now() / 1000));
    if (!decision.ok) return decision;
    return grant(buildClearKeyLicense(decision.value.granted, request.type));
  }

  private async verify(message: string): Promise<Verdict<Entitlement>> {
    const verified = await verifyEntitlementMessage(message, {
      resolveKey: async (kid) => (await this.keys.resolve(kid))?.jwt,
      jwt: joseJwt,
      now: Math.floor(this.now() / 1000),
      leeway: this.clockSkewSec,
      audience: ENTITLEMENT_AUDIENCE,
      issuer: ENTITLEMENT_ISSUER,
      decryptKey: this.unwrap,
    });
    // Messages are minted for each request and live seconds: one that arrives expired was most
    // likely minted by a proxy whose clock is behind this server's.
    return verified.ok || verified.code !== 'token_expired'
      ? verified
      : deny('token_expired', `the entitlement message has expired, beyond the ${this.clockSkewSec} s leeway; a message minted just now arriving expired means clock skew between the proxy and the license server`);
  }

  /**
   * Consumes the entitlement's jti, once across every instance sharing hot state; refused as an
   * outage when that state began after `issuedAtMs` (the jti may have been used before it was lost).
   */
  private async consume(entitlement: Entitlement, issuedAtMs = entitlement.iat * 1000): Promise<Verdict<void>> {
    const now = this.now();
    // Remember the jti for as long as the message could still verify.
    const rememberMs = (entitlement.exp + this.clockSkewSec) * 1000 - now + 1000;
    const once = await this.hot.consumeOnce(`entitlement-jti:${entitlement.jti}`, Math.max(1000, rememberMs), now, issuedAtMs);
    if (once === 'used') return deny('invalid_token', 'this entitlement message was already used');
    if (once === 'unknown') {
      // Refused, but as an outage: the player retries, and the proxy mints a fresh message.
      return deny(
        'unavailable',
        'hot state was lost after this entitlement message was issued (a Redis restart, flush or failover, or a restart), so its single use cannot be proven; retry with a fresh message',
        1,
      );
    }
    return grant(undefined);
  }
}
