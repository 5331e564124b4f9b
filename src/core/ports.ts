/**
 * Port interfaces: what the services need from storage, and nothing more. Durable state
 * (users, plans, titles, keys, refresh-token families) lives behind the SQL stores (embedded
 * SQLite or PostgreSQL); hot state (revocation marks, rate windows, one-time ids) behind
 * HotState (in-process or Redis). Every implementation passes the contract suite of its port
 * in test/stores/. Times are Unix milliseconds, always passed in.
 */
import type { AccessRules } from './access-rules.js';
import type { Decision, DecisionEvent, EventKind } from './events.js';

export interface UserRecord {
  readonly id: string;
  /** Stored as normalizeEmail spells it (trimmed, lower-case, NFC); unique. */
  readonly email: string;
  readonly passwordHash: string;
  readonly planId: string;
  readonly createdAt: number;
  /** When an operator disabled the account; null while it is enabled. */
  readonly disabledAt: number | null;
}

export interface PlanRecord {
  readonly id: string;
  /** Title ids, or '*' for every title. */
  readonly titles: readonly string[] | '*';
  /** Concurrent stream limit; null = unlimited. */
  readonly maxStreams: number | null;
  /** Devices an account may log in from; null = unlimited. */
  readonly maxDevices: number | null;
  /** Playback only for logins that passed a second factor (TOTP or a recovery code). */
  readonly requireMfa: boolean;
  /** At the limit: refuse the new stream, or end the oldest one. */
  readonly streamLimitMode: StreamLimitMode;
  /** What counts against the limit: each stream, or each device (its streams count once). */
  readonly countBy: StreamCountBy;
  /** Countries and browser origins its subscribers may play from (core/access-rules.ts). */
  readonly access: AccessRules;
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
  /** Countries and browser origins it may be played from (core/access-rules.ts). */
  readonly access: AccessRules;
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

/**
 * A rental: a time-boxed entitlement to one title, beside the plan. It entitles until
 * `expiresAt`, and once played, for at most `playbackMs` from the first start.
 */
export interface RentalRecord {
  readonly userId: string;
  readonly titleId: string;
  readonly expiresAt: number;
  /** The playback window after the first start; null: none (the rental window alone). */
  readonly playbackMs: number | null;
  readonly firstPlayedAt: number | null;
  readonly createdAt: number;
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
  /** The login passed a second factor (TOTP or a recovery code). */
  readonly mfa: boolean;
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
  /** Users by email order, at most `limit`. */
  list(limit: number): Promise<UserRecord[]>;
  /** Changes what an operator may change; false when there is no such user. */
  update(id: string, changes: { readonly planId?: string; readonly disabledAt?: number | null }): Promise<boolean>;
}

export interface RentalStore {
  /** Grants a rental, replacing any earlier one of the same user and title (its first start too). */
  put(rental: RentalRecord): Promise<void>;
  get(userId: string, titleId: string): Promise<RentalRecord | undefined>;
  listForUser(userId: string): Promise<RentalRecord[]>;
  /**
   * A playback start of a rental: records `now` as its first start, atomically and only once,
   * if it is unexpired and not played yet. Returns the rental as it stands after that.
   */
  recordStart(userId: string, titleId: string, now: number): Promise<RentalRecord | undefined>;
  /** Deletes rentals that ended (rental or playback window) before the given time; returns how many. */
  prune(endedBefore: number): Promise<number>;
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
  /** Sets a title's access rules (a replaced title keeps them); false when there is no such title. */
  setAccess(id: string, access: AccessRules): Promise<boolean>;
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
  /** Ends every live session of a user; returns the ones it ended. */
  endForUser(userId: string, reason: string, now: number): Promise<PlaybackSessionRecord[]>;
  /**
   * Live streams (not ended, not expired, their login neither revoked nor over), oldest first,
   * at most `limit`, optionally of one user and/or one title, with the device of their login.
   */
  listActive(filter: { readonly userId?: string; readonly titleId?: string }, now: number, limit: number): Promise<(PlaybackSessionRecord & { readonly deviceId: string | null })[]>;
  /**
   * Every session of a title still on record, ended ones too (until pruned), oldest first, at
   * most `limit`, with the device of their login: the suspects of a watermark trace.
   */
  listForTitle(titleId: string, limit: number): Promise<(PlaybackSessionRecord & { readonly deviceId: string | null })[]>;
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
  /**
   * Revokes every live family of a user. Returns every unexpired revoked family of the user
   * (revoked now or before), so that a retry after failing to mark them sets their marks.
   */
  revokeForUser(userId: string, reason: string, now: number): Promise<RefreshFamily[]>;
  /**
   * Revokes every family of a user's device; returns the ids of its unexpired families, revoked
   * now or before (so a retry can set revocation marks an earlier attempt could not).
   */
  revokeDevice(userId: string, deviceId: string, reason: string, now: number): Promise<string[]>;
  /** Deletes families that expired or were revoked before the given time, with their tokens; returns how many families. */
  prune(endedBefore: number): Promise<number>;
}

/** A device a user has logged in from (the client's own id, e.g. kept by the player page). */
export interface DeviceRecord {
  readonly userId: string;
  readonly deviceId: string;
  readonly name: string | null;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
}

export type DeviceAdmission = { readonly admitted: true } | { readonly admitted: false; readonly devices: DeviceRecord[] };

export interface DeviceStore {
  /**
   * Atomically: a known device is seen again (last_seen_at, and its name when one is given);
   * a new one is recorded while the user has fewer than maxDevices (null: no limit), else
   * refused with the user's devices. Parallel logins of new devices never over-admit.
   */
  admit(device: { userId: string; deviceId: string; name: string | null }, maxDevices: number | null, now: number): Promise<DeviceAdmission>;
  /** A user's devices, most recently seen first. */
  list(userId: string): Promise<DeviceRecord[]>;
  /** Returns false when the user had no such device. */
  remove(userId: string, deviceId: string): Promise<boolean>;
}

/** A user's TOTP enrolment; the secret sealed under the master key. */
export interface MfaRecord {
  readonly userId: string;
  readonly sealedSecret: string;
  /** Null while enrolment waits for its first code. */
  readonly confirmedAt: number | null;
  /** The newest TOTP time step accepted: a code of that step or an earlier one is refused. */
  readonly lastStep: number | null;
  /** A replacement secret waiting for its first code; the confirmed one stays in force until then. */
  readonly pendingSecret: string | null;
}

export interface MfaStore {
  get(userId: string): Promise<MfaRecord | undefined>;
  /** Starts (or restarts) enrolment with a new secret; false when MFA is already confirmed. */
  begin(userId: string, sealedSecret: string, now: number): Promise<boolean>;
  /** Sets a confirmed factor's pending replacement; false when no factor is confirmed. */
  beginReplacement(userId: string, sealedSecret: string): Promise<boolean>;
  /**
   * Confirms the secret waiting for its first code (a first enrolment, or a replacement, which
   * then takes the confirmed one's place) with the code of `step` (which counts as used) and
   * stores the recovery codes' hashes, replacing any earlier ones; false when `sealedSecret` is
   * not the one waiting (another enrolment raced it) or, for a first enrolment, the step is used.
   */
  confirm(userId: string, sealedSecret: string, step: number, recoveryCodeHashes: readonly string[], now: number): Promise<boolean>;
  /** Turns the factor off: the secret, any pending one and the recovery codes go; false when there was none. */
  remove(userId: string): Promise<boolean>;
  /** Atomically accepts a TOTP step newer than the last accepted one; false for a replay. */
  useStep(userId: string, step: number): Promise<boolean>;
  /** Atomically spends an unused recovery code; false when unknown or spent. */
  useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean>;
}

/** An alert the watchtower raised from a detector's finding (CONTRACT.md, "Monitoring"). */
export interface AlertRecord {
  readonly id: string;
  readonly detector: string;
  /** What it is about; one open alert per detector and subject. */
  readonly subject: string;
  readonly severity: 'low' | 'medium' | 'high';
  readonly summary: string;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly ip: string | null;
  /** Event ids, oldest first (at most ALERT_EVIDENCE_LIMIT). */
  readonly evidence: readonly string[];
  readonly actionsTaken: readonly AlertAction[];
  readonly status: 'open' | 'resolved';
  /** Raised by a detector in dry-run mode: no response was taken. */
  readonly dryRun: boolean;
  /** How many findings it stands for. */
  readonly hits: number;
  readonly createdAt: number;
  readonly lastAt: number;
  readonly resolvedAt: number | null;
}

export const ALERT_EVIDENCE_LIMIT = 50;

/** A response taken (or, in dry-run, only named) for an alert, and how the operator undoes it. */
export interface AlertAction {
  readonly action: string;
  /** The session, user, address or network it applied to. */
  readonly target: string;
  readonly at: number;
  readonly dryRun: boolean;
  /** The admin call that reverses it, when one does (e.g. `DELETE /v1/admin/blocks/{id}`). */
  readonly undo?: string;
}

export type NewAlert = Pick<AlertRecord, 'id' | 'detector' | 'subject' | 'severity' | 'summary' | 'userId' | 'sessionId' | 'ip' | 'evidence' | 'dryRun'>;

/** An address or network refused at login, playback start and the gateway until it expires. */
export interface BlockRecord {
  readonly id: string;
  /** An address or a CIDR network (canonical text, playback-token-ip.ts). */
  readonly network: string;
  readonly reason: string;
  readonly alertId: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly liftedAt: number | null;
}

/** Alerts, blocks, MFA step-ups and sensitive titles: the watchtower's durable state. */
export interface WatchtowerStore {
  /**
   * Opens an alert; or, when one is open for the same detector and subject and was last raised
   * at or after `sinceAt`, adds this one's evidence to it (`opened: false`). An open alert older
   * than that is resolved first, so a new one opens.
   */
  raiseAlert(alert: NewAlert, sinceAt: number, now: number): Promise<{ alert: AlertRecord; opened: boolean }>;
  addActions(alertId: string, actions: readonly AlertAction[]): Promise<void>;
  listAlerts(filter: { status?: 'open' | 'resolved' }, limit: number): Promise<AlertRecord[]>;
  /** Undefined when there is no such alert; resolving a resolved one changes nothing. */
  resolveAlert(id: string, now: number): Promise<AlertRecord | undefined>;
  addBlock(block: BlockRecord): Promise<void>;
  /** Blocks not lifted and not expired at `now`. */
  activeBlocks(now: number): Promise<BlockRecord[]>;
  /** False when there is no such live block. */
  liftBlock(id: string, now: number): Promise<boolean>;
  /** The user's next playback starts need a login with a second factor, until cleared. */
  requireMfa(userId: string, alertId: string | null, now: number): Promise<void>;
  mfaRequired(userId: string): Promise<boolean>;
  clearMfaRequirement(userId: string): Promise<boolean>;
  /** False when there is no such title. */
  setSensitive(titleId: string, sensitive: boolean): Promise<boolean>;
  sensitiveTitles(): Promise<string[]>;
}

/** The durable stores together, with their lifecycle. */
/** Which decision events to read (GET /v1/admin/events); every filter optional. */
export interface EventFilter {
  readonly userId?: string;
  readonly sessionId?: string;
  readonly kind?: EventKind;
  readonly decision?: Decision;
  /** Unix ms: events at or after it. */
  readonly since?: number;
  /** Events strictly older than this id (the next page, newest first). */
  readonly before?: string;
  /** Only these events (an alert's evidence). */
  readonly ids?: readonly string[];
  readonly limit: number;
}

/** One minute's decisions (the dashboard's charts): starts and keys/licenses granted, denials of any kind. */
export interface MinuteCounts {
  /** Unix ms of the minute's start. */
  readonly minute: number;
  readonly starts: number;
  readonly licenses: number;
  readonly denials: number;
}

/** The decision events, as recorded (monitor/events.ts). */
export interface EventStore {
  /** Stores a batch in one statement; ids are unique, a repeated id is ignored. */
  append(events: readonly DecisionEvent[]): Promise<void>;
  /** Newest first (by id, which sorts by time). */
  query(filter: EventFilter): Promise<DecisionEvent[]>;
  /** Per-minute counts from `since` (Unix ms), oldest first; minutes without events are left out. */
  perMinute(since: number): Promise<MinuteCounts[]>;
  /** Deletes events recorded before `before` (Unix ms); returns how many. */
  prune(before: number): Promise<number>;
}

export interface DurableStores {
  readonly users: UserStore;
  readonly plans: PlanStore;
  readonly titles: TitleStore;
  readonly signingKeys: SigningKeyStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly playbackSessions: PlaybackSessionStore;
  readonly rentals: RentalStore;
  readonly devices: DeviceStore;
  readonly mfa: MfaStore;
  readonly watchtower: WatchtowerStore;
  readonly events: EventStore;
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
   * Unix ms since when the account's leases are known (the hot state's epoch; on a Redis
   * Cluster, that of the node holding the account): a stream started before it may have lost
   * its lease with the hot state (a Redis restart, a process restart in embedded mode) rather
   * than lapsed.
   */
  knownSince(account: string): Promise<number>;
}

/** Short-lived shared state: revocation marks, rate-limit windows, one-time ids, stream leases. */
export type OnceResult = 'first' | 'used' | 'unknown';

/** What a listener to a topic's notices is told. */
export interface NoticeListener {
  /** A notice published on the topic, by any instance (this one included). */
  notice(message: string): void;
  /** Notices may have been missed (the connection that carries them dropped): forget what they would have corrected. */
  missed(): void;
}

/**
 * Notices to every instance (Redis pub/sub; in memory, this process only), for caches that
 * must hear of a change made elsewhere. Delivery is best effort: a reader trusts a cache for
 * long only while live() says notices arrive, and forgets it when told they were missed. A
 * notice that cannot be sent is an outage of the hot state, as a mark that cannot be set is.
 */
export interface ChangeNotices {
  /** Sends a notice on the topic; throws StoreUnavailableError when it could not be sent (the caller answers 503, its retry sends it). */
  publish(topic: string, message: string): Promise<void>;
  /** Registers a listener for the topic's notices. */
  listen(topic: string, listener: NoticeListener): void;
  /** True while notices from every instance are known to arrive. */
  live(): boolean;
}

export interface HotState {
  readonly leases: StreamLeases;
  readonly notices: ChangeNotices;
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
   * process restart in embedded mode), so an earlier use may have been forgotten. A key no one
   * can have presented before this call (made in this process for it) passes Infinity.
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
