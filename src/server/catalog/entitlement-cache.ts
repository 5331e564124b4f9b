/**
 * Confirmed entitlements (user, title → until when), so that key and license requests do not
 * each cost the three database reads of entitlement.ts. Threat: a cached "yes" outliving the
 * change that ended it — a plan that stops covering the title, a user disabled or moved to
 * another plan, a rental replaced by a shorter one — on this instance or any other.
 *
 * So every such change is announced to every instance (ChangeNotices: Redis pub/sub), and an
 * entry is trusted only if no change to its user, or to everyone, was heard since its read
 * began (a read racing a change is not kept). An answer is trusted for `ttlMs`
 * (TOLLGATE_ENTITLEMENT_CACHE_SECONDS) while notices are live, for at most a second while they
 * may be missed (Redis away), and never past the end it gave (a rental's expiry). Losing the
 * notices' connection forgets everything. A notice that cannot be sent (Redis away) fails the
 * change with 503 after its durable write, as a revocation whose mark fails does, and the
 * retry sends it. A change made by another process without Redis (a CLI command on the
 * embedded database) is seen when the entry lapses.
 */
import { LRUCache } from 'lru-cache';
import type { ChangeNotices } from '../../core/ports.js';
import { CountedCache } from '../monitor/counted-cache.js';

const TOPIC = 'entitlements';
const EVERYONE = '*';
/** How long an answer is trusted while notices may be missed: one session's license heartbeats must not each cost three reads. */
const UNHEARD_TTL_MS = 1_000;
const MAX_ENTRIES = 100_000;

interface Confirmed {
  readonly at: number;
  readonly until: number;
  /** The change counter when its read began. */
  readonly seq: number;
}

/** Where a read began, to hand back to remember(). */
export type ReadTicket = number;

export class EntitlementCache {
  /** Observed in /metrics (compose.ts). */
  readonly entries = new CountedCache<string, Confirmed>(MAX_ENTRIES);
  #changes = 0;
  #everyoneChangedAt = 0;
  /** When each user last changed (by the change counter); one pushed out counts as everyone changing. */
  readonly #userChangedAt = new LRUCache<string, number>({
    max: MAX_ENTRIES,
    dispose: (seq, _user, reason) => {
      if (reason === 'evict') this.#everyoneChangedAt = Math.max(this.#everyoneChangedAt, seq);
    },
  });

  constructor(
    private readonly notices: ChangeNotices,
    private readonly ttlMs: number,
  ) {
    notices.listen(TOPIC, { notice: (who) => this.#changed(who), missed: () => this.#changed(EVERYONE) });
  }

  /** The end of the user's entitlement to the title, when a confirmed one may still be trusted at `now`. */
  get(userId: string, titleId: string, now: number): number | undefined {
    const entry = this.entries.get(key(userId, titleId));
    if (entry === undefined || !this.#unchangedSince(userId, entry.seq)) return undefined;
    const ttl = this.notices.live() ? this.ttlMs : Math.min(this.ttlMs, UNHEARD_TTL_MS);
    const age = now - entry.at;
    return age >= 0 && age < ttl && now < entry.until ? entry.until : undefined;
  }

  /** Call before reading the database; hand the ticket to remember(). */
  ticket(): ReadTicket {
    return this.#changes;
  }

  /** Keeps what the database said, unless a change was heard since the read began. */
  remember(userId: string, titleId: string, ticket: ReadTicket, now: number, until: number | undefined): void {
    const k = key(userId, titleId);
    if (until === undefined || !this.#unchangedSince(userId, ticket)) this.entries.delete(k);
    else this.entries.set(k, { at: now, until, seq: ticket });
  }

  /** The user's plan, status or rentals changed: every instance forgets what it confirmed for them. */
  async userChanged(userId: string): Promise<void> {
    this.#changed(`user:${userId}`);
    await this.notices.publish(TOPIC, `user:${userId}`);
  }

  /** A plan changed: every instance forgets every confirmation. */
  async everyoneChanged(): Promise<void> {
    this.#changed(EVERYONE);
    await this.notices.publish(TOPIC, EVERYONE);
  }

  #unchangedSince(userId: string, seq: number): boolean {
    return seq >= this.#everyoneChangedAt && seq >= (this.#userChangedAt.get(userId) ?? 0);
  }

  #changed(who: string): void {
    const seq = ++this.#changes;
    if (who === EVERYONE) this.#everyoneChangedAt = seq;
    else if (who.startsWith('user:')) this.#userChangedAt.set(who.slice('user:'.length), seq);
  }
}

const key = (userId: string, titleId: string): string => `${userId}\n${titleId}`;
