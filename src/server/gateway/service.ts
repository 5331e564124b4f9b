/**
 * The edge gateway's decision for one manifest, segment or key request (flow 3 of docs/ARCHITECTURE.md).
 * Threats: forged or altered playback tokens, tokens used for another title or path, tokens of
 * ended sessions or revoked logins, keys handed to anyone but a live, entitled session
 * (a disabled account or an ended rental is not entitled), and requests from a country or web
 * page the title's or plan's access rules refuse (access/guard.ts, on every request).
 *
 * Cheap first: a token seen before is a map lookup plus the binding checks; an unseen token
 * costs one HMAC and one database read of its session, and is then cached until it expires.
 * Liveness is re-checked from hot-state marks every MARK_RECHECK_MS and from the database every
 * DATABASE_RECHECK_MS, or at once when the marks cannot be trusted (see liveness.ts). A check
 * that fails (a store away) leaves the entry due, so the fast path never serves on it.
 * Refused tokens are not cached, so junk cannot crowd out real viewers. A cached token also
 * stops with the key that signed it: once that key is pruned or past its retention, the cache
 * answers as a fresh verification would.
 */
import { HLS_KEY_LABEL } from '../../core/drm/policy.js';
import { type Denial, deny, type Grant, grant, type Verdict } from '../../core/errors.js';
import { checkBindings } from '../../core/playback-token-bindings.js';
import { hashUserAgent } from '../../core/playback-token-crypto.js';
import { playbackTokenKid, verifyAnyPlaybackToken } from '../../core/playback-token-formats.js';
import type { PlaybackClaims } from '../../core/playback-token.js';
import type { DurableStores, PlaybackSessionRecord } from '../../core/ports.js';
import { entitledUntil } from '../catalog/entitlement.js';
import type { EntitlementCache } from '../catalog/entitlement-cache.js';
import { CountedCache } from '../monitor/counted-cache.js';
import { DATABASE_RECHECK_MS, MARK_RECHECK_MS, type SessionLiveness } from '../playback/liveness.js';
import type { PlaybackKeyRing } from '../playback/playback-keys.js';
import type { AccessGuard } from '../access/guard.js';
import { nodeHmac } from '../playback/service.js';

const MAX_CACHED_TOKENS = 100_000;

interface CachedToken {
  /** The playback key that signed it. */
  readonly kid: string;
  readonly claims: PlaybackClaims;
  readonly session: PlaybackSessionRecord;
  marksCheckedAt: number;
  databaseCheckedAt: number;
  /** The hot state's generation when the database last said alive. */
  marksGeneration: number;
}

export interface MediaRequest {
  readonly token: string;
  readonly titleId: string;
  /** Relative path under the title, as routed. */
  readonly path: string;
  readonly ip: string;
  readonly userAgent: string;
  /** The browser page it comes from (browserOrigin of Origin/Referer); undefined for native players. */
  readonly origin?: string | undefined;
}

/**
 * The gateway's answer. A refusal by the token's bindings (another network, user agent, title
 * or path) names the session of the genuine token it refused, so the denial event can say whose
 * token was used where: a copied URL refused at its first request is still evidence.
 */
export type GatewayVerdict = Grant<PlaybackSessionRecord> | (Denial & { readonly refusedSession?: PlaybackSessionRecord });

export class GatewayService {
  /** Verified playback tokens, by token (observed in /metrics by compose.ts). */
  readonly cache = new CountedCache<string, CachedToken>(MAX_CACHED_TOKENS);

  constructor(
    private readonly stores: DurableStores,
    private readonly keys: PlaybackKeyRing,
    private readonly liveness: SessionLiveness,
    private readonly now: () => number,
    /** Countries and browser origins (access/guard.ts), on every request of a session. */
    private readonly access: AccessGuard,
    /** Confirmed entitlements, forgotten on every instance when a plan, user or rental changes. */
    private readonly entitlements: EntitlementCache,
  ) {}

  /**
   * The synchronous common case: a token seen before, within its life, with no liveness check
   * due, whose bindings hold. Undefined means "take the full path" (authorize), never "no".
   */
  authorizeCached(request: MediaRequest): PlaybackSessionRecord | undefined {
    const now = this.now();
    const entry = this.cache.get(request.token);
    if (entry === undefined || now >= entry.claims.exp * 1000 || now - entry.marksCheckedAt >= MARK_RECHECK_MS) return undefined;
    if (!this.keys.isUsable(entry.kid)) return undefined;
    if (entry.marksGeneration !== this.liveness.marksGeneration()) return undefined;
    return this.bindings(entry, request).ok && this.access.passesCached(entry.session, request) ? entry.session : undefined;
  }

  /**
   * May this request be served? Grants the session it belongs to. A sign of life (a manifest,
   * key or license request) also renews the stream's lease and is refused once the stream holds
   * no slot, so the stream limit holds for players that never call the API (key rotation makes
   * key and license requests periodic). Every liveness check renews the lease as well, so a
   * request renews it once, whichever check it takes.
   */
  async authorize(request: MediaRequest, signOfLife = false): Promise<GatewayVerdict> {
    const now = this.now();
    let entry = this.cache.get(request.token);
    let renewed = false;
    if (entry === undefined || now >= entry.claims.exp * 1000) {
      const fresh = await this.admit(request.token, now);
      if (!fresh.ok) return fresh;
      entry = fresh.value;
      renewed = true; // admitting checked liveness, slot included
    } else if ((await this.keys.resolve(entry.kid)) === undefined) {
      return this.forget(request.token, deny('invalid_token', 'the key of this playback token has been retired'));
    }
    const bindings = this.bindings(entry, request);
    if (!bindings.ok) return { ...bindings, refusedSession: entry.session };
    // Before liveness, so a refused request is no sign of life.
    const access = await this.access.checkSession(entry.session, request);
    if (!access.ok) return access;
    const alive = await this.stillAlive(entry, now, signOfLife && !renewed);
    return alive.ok ? grant(entry.session) : this.forget(request.token, alive);
  }

  /**
   * The liveness check due for a cached token, if any (each renews the lease); with none due, a
   * sign of life renews the lease alone. Timestamps move only on success.
   */
  private async stillAlive(entry: CachedToken, now: number, signOfLife: boolean): Promise<Verdict<void>> {
    const generation = this.liveness.marksGeneration();
    if (now - entry.databaseCheckedAt < DATABASE_RECHECK_MS && generation === entry.marksGeneration) {
      if (now - entry.marksCheckedAt < MARK_RECHECK_MS) return signOfLife ? this.liveness.holdsSlot(entry.session) : grant(undefined);
      const dead = await this.liveness.markedDead(entry.session);
      if (dead === true) return deny('token_revoked', 'the playback session has ended');
      if (dead === false) {
        entry.marksCheckedAt = now;
        return grant(undefined);
      }
    }
    const alive = await this.liveness.check(entry.session.id);
    if (!alive.ok) return alive;
    entry.databaseCheckedAt = entry.marksCheckedAt = now;
    entry.marksGeneration = generation;
    return grant(undefined);
  }

  /**
   * A content key for an AES-128 key request: the HLS key of the session's own title, to a live
   * HLS session whose subscriber is (still) entitled to the title. Never a DRM tier key: those
   * leave only in licenses, where each key's usage policy is evaluated for the client.
   */
  async contentKey(session: PlaybackSessionRecord, kid: string): Promise<Verdict<{ sealed: string; kid: string }>> {
    if (session.protocol !== 'hls') {
      return deny('forbidden', 'AES-128 keys are for HLS sessions; a DASH session gets its keys through its license_url');
    }
    const key = await this.stores.titles.contentKey(kid);
    if (key === undefined || key.titleId !== session.titleId || key.label !== HLS_KEY_LABEL) return deny('not_found', 'no such key for this title');
    if ((await this.entitledUntil(session)) === undefined) return deny('not_entitled', 'the subscriber is no longer entitled to this title');
    return grant({ sealed: key.sealed, kid: key.kid });
  }

  /**
   * Until when is the session's subscriber (still) entitled to its title, by plan or rental
   * (see catalog/entitlement.ts)? Undefined: not entitled. Asked on every key and license
   * request; a confirmed answer is kept as entitlement-cache.ts says (until a change to the
   * user or a plan is heard, its end, or the cache's time), so license heartbeats and key
   * rotations do not each cost three reads. Countries and origins are checked on every request
   * all the same (access/guard.ts).
   */
  async entitledUntil(session: PlaybackSessionRecord): Promise<number | undefined> {
    const now = this.now();
    const known = this.entitlements.get(session.userId, session.titleId, now);
    if (known !== undefined) return known;
    const ticket = this.entitlements.ticket();
    const user = await this.stores.users.findById(session.userId);
    const until = user && (await entitledUntil(this.stores, user, session.titleId, now));
    this.entitlements.remember(session.userId, session.titleId, ticket, now, until);
    return until;
  }

  private bindings(entry: CachedToken, request: MediaRequest): Verdict<void> {
    return checkBindings(entry.claims, {
      titleId: request.titleId,
      path: request.path,
      ip: request.ip,
      ...(entry.claims.uaHash !== undefined ? { userAgentHash: hashUserAgent(request.userAgent, nodeHmac) } : {}),
    });
  }

  private async admit(token: string, now: number): Promise<Verdict<CachedToken>> {
    const generation = this.liveness.marksGeneration();
    // Either format (the compact default or the JWT form); the verifier re-checks the kid's shape.
    const kid = playbackTokenKid(token) ?? '';
    const secret = kid === '' || kid.length > 64 ? undefined : await this.keys.resolve(kid);
    const verdict = verifyAnyPlaybackToken(token, { now: Math.floor(now / 1000), resolveKey: () => secret, hmac: nodeHmac });
    if (!verdict.ok) return verdict;
    const alive = await this.liveness.check(verdict.value.sid);
    if (!alive.ok) return alive;
    const entry: CachedToken = { kid, claims: verdict.value, session: alive.value, marksCheckedAt: now, databaseCheckedAt: now, marksGeneration: generation };
    this.cache.set(token, entry);
    return grant(entry);
  }

  private forget(token: string, denial: Denial): Denial {
    this.cache.delete(token);
    return denial;
  }
}
