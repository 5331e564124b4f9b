/**
 * The entitlement proxy (flow 4, first half): the player posts its bare CDM request to
 * license_url, which carries the playback token; it never handles a token itself. Threats: a
 * license for an ended session, a revoked login, a stream that lost its slot under the plan's
 * stream limit (evicted or lapsed), a title the plan no longer covers or a rental that ended,
 * a license that outlives the rental it was issued for, and key
 * material leaving without a fresh single-use authorization. So each request re-checks the
 * session through the gateway's rules, re-checks entitlement, and mints a fresh seconds-long
 * entitlement message listing the title's DRM keys and their usage policies, which the license
 * server (in-process, or remote at TOLLGATE_LICENSE_SERVER_URL) consumes once.
 */
import { randomBytes } from 'node:crypto';
import { type ClearKeyLicense, type ClearKeyLicenseExpectation, type ClearKeyRequest, parseClearKeyRequest } from '../../core/drm/clearkey.js';
import { type ContentKey, mintEntitlementMessage } from '../../core/drm/entitlement.js';
import { CLEARKEY_CLIENT, DEFAULT_POLICIES, defaultPolicyName, policyRefusal } from '../../core/drm/policy.js';
import type { UsagePolicy } from '../../core/drm/usage-policy.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, PlaybackSessionRecord } from '../../core/ports.js';
import type { GatewayService, MediaRequest } from '../gateway/service.js';
import { nodeJwtCrypto } from '../keys/jwt-crypto.js';
import { openContentKey } from '../keys/content-keys.js';
import type { Sealer } from '../keys/sealer.js';
import type { CommunicationKeyRing } from './communication-keys.js';
import { wrapWith } from './key-wrap.js';
import { ENTITLEMENT_AUDIENCE, ENTITLEMENT_ISSUER, type LicenseServer } from './server.js';

/**
 * Where the license server is: this process, or another one over HTTP (remote-backend.ts).
 * `expect` says what the answer may hold; a remote answer is checked against it.
 */
/** Told the session a license request belongs to, once its token checks out (for its event). */
export type SessionObserver = (session: PlaybackSessionRecord) => void;

export type LicenseBackend = (message: string, body: unknown, expect: ClearKeyLicenseExpectation) => Promise<Verdict<ClearKeyLicense>>;

const MAX_CACHED_TITLES = 1000;

export class EntitlementProxy {
  private readonly titleKeys = new Map<string, { contentKeys: ContentKey[]; policies: UsagePolicy[] }>();

  constructor(
    private readonly stores: DurableStores,
    private readonly gateway: GatewayService,
    private readonly keys: CommunicationKeyRing,
    private readonly sealer: Sealer,
    private readonly backend: LicenseBackend,
    private readonly now: () => number,
    /** The per-session rate limit: a session's license requests each mint a message and may unseal keys. */
    private readonly sessionRate: (sid: string) => Promise<Verdict<void>>,
  ) {}

  /** A ClearKey license for the session behind the token, through a fresh entitlement message. */
  async clearKey(request: Omit<MediaRequest, 'path'>, body: unknown, onSession?: SessionObserver): Promise<Verdict<ClearKeyLicense>> {
    // A malformed CDM request is refused before any message is minted or sent anywhere.
    const parsed = parseClearKeyRequest(body);
    if (!parsed.ok) return parsed;
    const message = await this.entitle(request, onSession);
    if (!message.ok) return message;
    return this.backend(message.value, body, await this.licensable(request.titleId, parsed.value));
  }

  /** The kids a ClearKey license for this request may hold: requested, the title's, allowed by their policy. */
  private async licensable(titleId: string, request: ClearKeyRequest): Promise<ClearKeyLicenseExpectation> {
    const { contentKeys, policies } = await this.drmKeys(titleId);
    const client = { ...CLEARKEY_CLIENT, persistent: request.type === 'persistent-license' };
    const requested = new Set(request.kids);
    const kids = contentKeys
      .filter((key) => requested.has(key.kid))
      .filter((key) => policyRefusal(policies.find((p) => p.name === key.usage_policy)!, client) === undefined)
      .map((key) => key.kid);
    return { type: request.type, kids };
  }

  /** Authorizes the session and mints its entitlement message (also used by upstream DRM adapters). */
  async entitle(request: Omit<MediaRequest, 'path'>, onSession?: SessionObserver): Promise<Verdict<string>> {
    // A license request is a sign of life: it keeps the stream's slot, or is refused without one.
    const session = await this.gateway.authorize({ ...request, path: 'license' }, true);
    if (!session.ok) return session;
    onSession?.(session.value);
    // Licenses carry DRM tier keys; an HLS AES-128 session has no business asking for them.
    if (session.value.protocol !== 'dash') {
      return deny('forbidden', 'licenses are for DASH sessions; an HLS session gets its key from the playlist key URI');
    }
    const allowed = await this.sessionRate(session.value.id);
    if (!allowed.ok) return allowed;
    const entitledUntil = await this.gateway.entitledUntil(session.value);
    if (entitledUntil === undefined) return deny('not_entitled', 'the subscriber is no longer entitled to this title');
    // Nor the entitlement: a license issued for a rental ends with the rental.
    const licenseEndsAt = Math.min(session.value.expiresAt, entitledUntil);
    return this.mint({ titleId: session.value.titleId, sid: session.value.id, licenseEndsAt });
  }

  /**
   * A message for a title's DRM keys with their default usage policies. Also `tollgate
   * entitlement mint`, for integrations and tests, where there is no playback session.
   */
  async mint(input: { titleId: string; sid: string; licenseEndsAt: number; ttlSec?: number }): Promise<Verdict<string>> {
    const drm = await this.drmKeys(input.titleId);
    if (drm.contentKeys.length === 0) return deny('not_found', `title "${input.titleId}" has no DRM keys (is it packaged for DASH?)`);
    const { contentKeys, policies } = drm;
    const now = this.now();
    const com = await this.keys.current();
    const message = await mintEntitlementMessage(
      {
        issuer: ENTITLEMENT_ISSUER,
        audience: ENTITLEMENT_AUDIENCE,
        jti: randomBytes(18).toString('base64url'),
        sid: input.sid,
        title: input.titleId,
        content_keys: contentKeys,
        usage_policies: policies,
        // A license never outlives the playback session that asked for it.
        license: {
          duration_sec: Math.max(1, Math.floor((input.licenseEndsAt - now) / 1000)),
          expiration_datetime: Math.floor(input.licenseEndsAt / 1000),
        },
        ...(input.ttlSec !== undefined ? { ttlSec: input.ttlSec } : {}),
      },
      { key: com.jwt, crypto: nodeJwtCrypto, now: Math.floor(now / 1000), encryptKey: wrapWith(this.keys) },
    );
    return grant(message);
  }

  /**
   * A title's DRM keys, unsealed, with their default policies. A registered title's keys never
   * change, so they are read and unsealed once per title (bounded), not once per license.
   */
  private async drmKeys(titleId: string): Promise<{ contentKeys: ContentKey[]; policies: UsagePolicy[] }> {
    const known = this.titleKeys.get(titleId);
    if (known !== undefined) return known;
    const records = (await this.stores.titles.contentKeys(titleId)).filter((k) => defaultPolicyName(k.label));
    const policies = new Map<string, UsagePolicy>();
    const contentKeys = records.map((record) => {
      const policy = DEFAULT_POLICIES[defaultPolicyName(record.label)!];
      policies.set(policy.name, policy);
      return { kid: record.kid, key: openContentKey(this.sealer, record.kid, record.sealed), usage_policy: policy.name };
    });
    const entry = { contentKeys, policies: [...policies.values()] };
    if (contentKeys.length > 0) {
      if (this.titleKeys.size >= MAX_CACHED_TITLES) this.titleKeys.delete(this.titleKeys.keys().next().value!);
      this.titleKeys.set(titleId, entry);
    }
    return entry;
  }
}

/** The license server in this process. */
export function inProcessBackend(server: LicenseServer): LicenseBackend {
  // The server applies the same rules itself, from the message it verifies.
  return (message, body) => server.clearKey(message, body);
}
