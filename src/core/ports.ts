/**
 * Port interfaces: what the services need from storage, and nothing more. Durable state
 * (users, plans, titles, keys, refresh-token families) lives behind the SQL stores (embedded
 * SQLite or PostgreSQL); hot state (revocation marks, rate windows, one-time ids) behind
 * HotState (in-process or Redis). Every implementation passes the contract suite of its port
 * in test/stores/. Times are Unix milliseconds, always passed in.
 */

export interface UserRecord {
  readonly id: string;
  /** Stored as normalizeEmail spells it (trimmed, lower-case, NFC); unique. */
  readonly email: string;
  readonly passwordHash: string;
  readonly planId: string;
  readonly createdAt: number;
}

export interface PlanRecord {
  readonly id: string;
  /** Title ids, or '*' for every title. */
  readonly titles: readonly string[] | '*';
  /** Concurrent stream limit; null = unlimited. */
  readonly maxStreams: number | null;
  /** At the limit: refuse the new stream, or end the oldest one. */
  readonly streamLimitMode: StreamLimitMode;
  /** What counts against the limit: each stream, or each device (its streams count once). */
  readonly countBy: StreamCountBy;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type StreamLimitMode = 'refuse' | 'evict_oldest';
export type StreamCountBy = 'session' | 'device';

export interface TitleRecord {
  readonly id: string;
  readonly name: string;
  /** Packaged forms, e.g. ['hls'], ['hls', 'dash']. */
  readonly protocols: readonly string[];
  readonly durationSec: number;
  readonly createdAt: number;
}

/** A content encryption key of a title, sealed under the master key. */
export interface ContentKeyRecord {
  /** 16-byte key id as 32 lower-case hex digits. */
  readonly kid: string;
  readonly titleId: string;
  /** What it protects, e.g. 'hls', 'sd', 'hd', 'uhd', 'audio'. */
  readonly label: string;
  readonly sealed: string;
  readonly createdAt: number;
}

/** A playback session: one viewer watching one title, from POST /v1/playback until it ends. */
export interface PlaybackSessionRecord {
  readonly id: string;
  readonly userId: string;
  /** The login (refresh family) that started it: revoking the login ends it. */
  readonly familyId: string;
  readonly titleId: string;
  readonly protocol: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly endedAt: number | null;
  readonly endedReason: string | null;
}

/** access: access-token signing; playback: playback-token HMAC; entitlement: the communication key of entitlement messages. */
export type KeyUse = 'access' | 'playback' | 'entitlement';

export interface SigningKeyRecord {
  readonly kid: string;
  readonly use: KeyUse;
  readonly alg: string;
  /** Public JWK for asymmetric keys; null for symmetric ones. */
  readonly publicJwk: Record<string, unknown> | null;
  /** The private or secret key, sealed under the master key (see src/server/keys/sealer.ts). */
  readonly sealed: string;
  /** When it starts signing: a rotated-in key is stored (and published) ahead of it. */
  readonly createdAt: number;
  /** When it stops signing (may be ahead, when a next key is rotated in); null while no successor exists. */
  readonly retiredAt: number | null;
}

export interface RefreshFamily {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string | null;
  readonly createdAt: number;
  /** Absolute end of the family: no rotation extends it. */
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedReason: string | null;
}

export type RotateOutcome =
  | { readonly status: 'rotated'; readonly family: RefreshFamily }
  /** The token had been used before: the store has revoked its whole family. */
  | { readonly status: 'reused'; readonly family: RefreshFamily }
  | { readonly status: 'revoked'; readonly family: RefreshFamily }
  | { readonly status: 'expired'; readonly family: RefreshFamily }
  | { readonly status: 'unknown' };

export interface UserStore {
  /** Returns false when the email is taken. */
  create(user: UserRecord): Promise<boolean>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  findById(id: string): Promise<UserRecord | undefined>;
}

export interface PlanStore {
  upsert(plan: PlanRecord): Promise<PlanRecord>;
  get(id: string): Promise<PlanRecord | undefined>;
  list(): Promise<PlanRecord[]>;
}

export interface TitleStore {
  /** Registers a title with its content keys, all or nothing; false when the id is taken. */
  create(title: TitleRecord, keys: readonly ContentKeyRecord[]): Promise<boolean>;
  get(id: string): Promise<TitleRecord | undefined>;
  list(): Promise<TitleRecord[]>;
  /**
   * Swaps a title's record and its whole set of keys for new ones, in one transaction: the old
   * keys stop existing when the new ones start. False when there is no such title.
   */
  replace(title: TitleRecord, keys: readonly ContentKeyRecord[]): Promise<boolean>;
  /** Removes a title and its keys. */
  remove(id: string): Promise<void>;
  contentKey(kid: string): Promise<ContentKeyRecord | undefined>;
  contentKeys(titleId: string): Promise<ContentKeyRecord[]>;
}

export interface PlaybackSessionStore {
  create(session: PlaybackSessionRecord): Promise<void>;
  get(id: string): Promise<PlaybackSessionRecord | undefined>;
  /** Returns false when the session did not exist or had already ended. */
  end(id: string, reason: string, now: number): Promise<boolean>;
  /** Deletes sessions that ended or expired before the given time; returns how many. */
  prune(endedBefore: number): Promise<number>;
  /** Ends every live session of a title (it was replaced or removed); returns the ones it ended. */
  endForTitle(titleId: string, reason: string, now: number): Promise<PlaybackSessionRecord[]>;
}

export interface SigningKeyStore {
  /** Adds a key and retires the previous unretired key of the same use at `now` (which may be ahead), atomically. */
  rotate(key: SigningKeyRecord, now: number): Promise<void>;
  /** All keys of a use, newest first. */
  list(use: KeyUse): Promise<SigningKeyRecord[]>;
  /** Deletes keys retired before the given time. */
  prune(use: KeyUse, retiredBefore: number): Promise<number>;
}

export interface RefreshTokenStore {
  /** Starts a family with its first token (stored only as a hash). */
  createFamily(family: RefreshFamily, tokenHash: string): Promise<void>;
  /**
   * Atomically: if oldHash is unused and its family live and unexpired, marks it used and
   * adds newHash to the family as its successor ('rotated'). If it was used before, revokes
   * the family ('reused'), except for a retry within `graceMs` of its first use while its
   * successor is still unused: then newHash replaces that successor, which counts as used
   * from now on, and nothing is revoked ('rotated'). A family has one unused token at most.
   */
  rotate(oldHash: string, newHash: string, now: number, graceMs: number): Promise<RotateOutcome>;
  findFamilyByToken(tokenHash: string): Promise<RefreshFamily | undefined>;
  getFamily(id: string): Promise<RefreshFamily | undefined>;
  /** Returns false when the family did not exist or was already revoked. */
  revokeFamily(id: string, reason: string, now: number): Promise<boolean>;
  /** Deletes families that expired or were revoked before the given time, with their tokens; returns how many families. */
  prune(endedBefore: number): Promise<number>;
}

/** The durable stores together, with their lifecycle. */
export interface DurableStores {
  readonly users: UserStore;
  readonly plans: PlanStore;
  readonly titles: TitleStore;
  readonly signingKeys: SigningKeyStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly playbackSessions: PlaybackSessionStore;
  /** Throws when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A stream's slot under its account's concurrent stream limit; times on the store's clock. */
export interface StreamLease {
  readonly streamId: string;
  /** What the limit counts when counting by device: streams with one key count once. */
  readonly deviceKey: string;
  readonly startedAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
}

export interface AdmitRequest {
  readonly account: string;
  readonly streamId: string;
  readonly deviceKey: string;
  /** null: unlimited (the stream still holds a lease, so it is listed and lapses). */
  readonly limit: number | null;
  readonly mode: StreamLimitMode;
  readonly countBy: StreamCountBy;
  readonly leaseMs: number;
}

export type AdmitOutcome =
  | { readonly admitted: true; /** Streams ended to make room (evict_oldest). */ readonly evicted: readonly string[] }
  | { readonly admitted: false; readonly active: readonly StreamLease[] };

/**
 * Concurrent stream leases, per account, on the store's clock (Redis TIME for Redis, the `now`
 * passed in for memory), so instances with skewed clocks agree. A lease not renewed within
 * leaseMs lapses and stops counting. Every operation is one atomic step.
 */
export interface StreamLeases {
  /** Drops lapsed leases, then admits the stream if the limit allows (evicting the oldest in evict_oldest mode). */
  admit(request: AdmitRequest, now: number): Promise<AdmitOutcome>;
  /** Extends a live lease by leaseMs from now; false when the stream holds no slot (never admitted, released, evicted or lapsed). */
  renew(account: string, streamId: string, leaseMs: number, now: number): Promise<boolean>;
  release(account: string, streamId: string, now: number): Promise<void>;
  /** The account's live leases, oldest first. */
  list(account: string, now: number): Promise<StreamLease[]>;
  /**
   * Unix ms since when leases are known (the hot state's epoch): a stream started before it
   * may have lost its lease with the hot state (a Redis restart, a process restart in
   * embedded mode) rather than lapsed.
   */
  knownSince(): Promise<number>;
}

/** Short-lived shared state: revocation marks, rate-limit windows, one-time ids, stream leases. */
export type OnceResult = 'first' | 'used' | 'unknown';

export interface HotState {
  readonly leases: StreamLeases;
  /** Counts a hit in a fixed window; returns the count so far and ms until the window resets. */
  hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetInMs: number }>;
  /**
   * Counts a hit in the same fixed window as hit(), but only while the count is under `limit`:
   * check and count are one atomic step, so of many parallel callers exactly `limit` (minus
   * earlier hits) are `taken`. When the limit is reached nothing is counted and `resetInMs`
   * says when the window ends. Used to reserve an attempt before doing the work it limits.
   */
  reserve(key: string, limit: number, windowMs: number, now: number): Promise<{ taken: boolean; count: number; resetInMs: number }>;
  /** Takes back one counted hit (a reservation that was not used up); never below zero. */
  release(key: string, now: number): Promise<void>;
  /** Forgets a counter (e.g. after a successful login). */
  clear(key: string): Promise<void>;
  /** Sets a mark that lives for ttlMs (e.g. "family F is revoked"). */
  mark(key: string, ttlMs: number, now: number): Promise<void>;
  isMarked(key: string, now: number): Promise<boolean>;
  /**
   * Replay protection that survives the loss of hot state: 'first' the first time a key is
   * presented within ttlMs, 'used' after; 'unknown' when the hot state's current epoch began
   * after `issuedAt` (Unix ms) — hot state was lost since (a Redis restart, flush or failover, a
   * process restart in embedded mode), so an earlier use may have been forgotten.
   */
  consumeOnce(key: string, ttlMs: number, now: number, issuedAt: number): Promise<OnceResult>;
  /**
   * A number that changes whenever state written earlier may have been lost (a Redis reconnect:
   * the server may have restarted empty or failed over). Readers that trust an absent mark
   * check the authoritative store again when it changes.
   */
  generation(): number;
  ping(): Promise<void>;
  close(): Promise<void>;
}
