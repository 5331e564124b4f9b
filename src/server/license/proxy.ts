/**
 * The entitlement proxy (flow 4, first half): the player posts its bare CDM request to
 * license_url, which carries the playback token; it never handles a token itself. Threats: a
 * license for an ended session, a revoked login, a stream that lost its slot under the plan's
 * stream limit (evicted or lapsed), a title the plan no longer covers or a rental that ended,
 * a license that outlives the rental it was issued for, and key
 * material leaving without a fresh single-use authorization. So each request re-checks the
 * session through the gateway's rules, re-checks entitlement, and mints a fresh seconds-long
 * single-use entitlement listing the title's DRM keys and their usage policies, which the license
 * server consumes once: handed over as a value to the license server in this process, signed
 * and wrapped (signer.ts) for one at TOLLGATE_LICENSE_SERVER_URL or an upstream DRM.
 */
import { randomUUID } from 'node:crypto';
import { type ClearKeyLicense, type ClearKeyLicenseExpectation, type ClearKeyRequest, parseClearKeyRequest } from '../../core/drm/clearkey.js';
import { type ContentKey, DEFAULT_MESSAGE_TTL_SEC, type Entitlement } from '../../core/drm/entitlement.js';
import { CLEARKEY_CLIENT, DEFAULT_POLICIES, defaultPolicyName, policyRefusal } from '../../core/drm/policy.js';
import type { UsagePolicy } from '../../core/drm/usage-policy.js';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, PlaybackSessionRecord } from '../../core/ports.js';
import type { GatewayService, MediaRequest } from '../gateway/service.js';
import { CountedCache } from '../monitor/counted-cache.js';
import { openContentKey } from '../keys/content-keys.js';
import type { Sealer } from '../keys/sealer.js';
import type { LicenseServer } from './server.js';
import type { EntitlementSigner } from './signer.js';

/**
 * Where the license server is: this process (the entitlement handed over as a value), or
 * another one over HTTP (remote-backend.ts signs it). `expect` says what the answer may hold;
 * a remote answer is checked against it.
 */
/** Told the session a license request belongs to, once its token checks out (for its event); `bindingRefused` when its bindings refused it. */
export type SessionObserver = (session: PlaybackSessionRecord, bindingRefused?: boolean) => void;

export type LicenseBackend = (entitlement: Entitlement, body: unknown, expect: ClearKeyLicenseExpectation) => Promise<Verdict<ClearKeyLicense>>;

const MAX_CACHED_TITLES = 1000;

interface EntitlementRequest {
  readonly titleId: string;
  readonly sid: string;
  readonly licenseEndsAt: number;
  /** Seconds, 1-60; default 30. */
  readonly ttlSec?: number;
}

export class EntitlementProxy {
  /** Titles' unsealed DRM keys, by title (observed in /metrics by compose.ts). */
  readonly titleKeys = new CountedCache<string, { contentKeys: ContentKey[]; policies: UsagePolicy[] }>(MAX_CACHED_TITLES);

  constructor(
    private readonly stores: DurableStores,
    private readonly gateway: GatewayService,
    private readonly sign: EntitlementSigner,
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
    const entitlement = await this.authorize(request, onSession);
    if (!entitlement.ok) return entitlement;
    return this.backend(entitlement.value, body, await this.licensable(request.titleId, parsed.value));
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

  /** Authorizes the session and mints its signed entitlement message, for upstream DRM adapters. */
  async entitle(request: Omit<MediaRequest, 'path'>, onSession?: SessionObserver): Promise<Verdict<string>> {
    const entitlement = await this.authorize(request, onSession);
    return entitlement.ok ? grant(await this.sign(entitlement.value)) : entitlement;
  }

  /** Authorizes the session's license request and grants a fresh single-use entitlement for it. */
  private async authorize(request: Omit<MediaRequest, 'path'>, onSession?: SessionObserver): Promise<Verdict<Entitlement>> {
    // A license request is a sign of life: it keeps the stream's slot, or is refused without one.
    const session = await this.gateway.authorize({ ...request, path: 'license' }, true);
    if (!session.ok) {
      const { refusedSession, ...denial } = session;
      if (refusedSession !== undefined) onSession?.(refusedSession, true);
      return denial;
    }
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
    return this.entitlement({ titleId: session.value.titleId, sid: session.value.id, licenseEndsAt });
  }

  /**
   * A signed message for a title's DRM keys with their default usage policies: `tollgate
   * entitlement mint`, for integrations and tests, where there is no playback session.
   */
  async mint(input: EntitlementRequest): Promise<Verdict<string>> {
    const entitlement = await this.entitlement(input);
    return entitlement.ok ? grant(await this.sign(entitlement.value)) : entitlement;
  }

  private async entitlement(input: EntitlementRequest): Promise<Verdict<Entitlement>> {
    const { contentKeys, policies } = await this.drmKeys(input.titleId);
    if (contentKeys.length === 0) return deny('not_found', `title "${input.titleId}" has no DRM keys (is it packaged for DASH?)`);
    const now = this.now();
    const iat = Math.floor(now / 1000);
    return grant({
      // 122 random bits from node's batched entropy pool: a fresh randomBytes per license was 3 % of its CPU.
      jti: randomUUID(),
      iat,
      exp: iat + (input.ttlSec ?? DEFAULT_MESSAGE_TTL_SEC),
      sid: input.sid,
      title: input.titleId,
      content_keys: contentKeys,
      usage_policies: policies,
      // A license never outlives the playback session that asked for it.
      license: {
        duration_sec: Math.max(1, Math.floor((input.licenseEndsAt - now) / 1000)),
        expiration_datetime: Math.floor(input.licenseEndsAt / 1000),
      },
    });
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
    if (contentKeys.length > 0) this.titleKeys.set(titleId, entry);
    return entry;
  }
}

/** The license server in this process: the entitlement crosses no trust boundary, so it goes as a value. */
export function inProcessBackend(server: LicenseServer): LicenseBackend {
  // The server applies the same rules itself: the jti consumed once, each key's policy.
  return (entitlement, body) => server.clearKeyHandedOver(entitlement, body);
}
