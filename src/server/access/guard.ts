/**
 * The access layers on every request that can start or feed playback (threats and rules:
 * core/access-rules.ts): playback start, and every manifest, segment, AES-128 key and license
 * request of a session, through the gateway's slow path and its fast path alike.
 *
 * A session's rules are its title's and its subscriber's current plan's, read from the
 * database and trusted for RULES_RECHECK_MS, so an operator's change reaches playing sessions
 * within seconds without costing reads per segment. The country is looked up only when a rule
 * needs it.
 */
import { type AccessClient, accessRefusal, type AccessRules, browserOrigin } from '../../core/access-rules.js';
import { grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, PlaybackSessionRecord } from '../../core/ports.js';
import type { CountryLookup } from './geo.js';

export const RULES_RECHECK_MS = 5_000;
const MAX_CACHED_SESSIONS = 100_000;

/** Where a request comes from: its address (trusted proxies applied) and its browser origin, if any. */
export interface ClientPlace {
  readonly ip: string;
  /** browserOrigin() of the request's Origin and Referer headers. */
  readonly origin?: string | undefined;
}

/** The browser origin of an HTTP request (Origin, else the Referer's); undefined without either. */
export function requestOrigin(headers: { readonly origin?: string | undefined; readonly referer?: string | undefined }): string | undefined {
  return browserOrigin(headers.origin, headers.referer);
}

export class AccessGuard {
  private readonly bySession = new Map<string, { rules: readonly AccessRules[]; at: number }>();

  constructor(
    private readonly stores: DurableStores,
    private readonly countryOf: CountryLookup,
    /** The server's own pages (the player) always pass the origin rule. */
    private readonly ownOrigin: string,
    private readonly now: () => number,
  ) {}

  /** Do these rules (a title's and a plan's) let this client play? */
  check(rules: readonly AccessRules[], client: ClientPlace): Verdict<void> {
    const place: AccessClient = { origin: client.origin, country: () => this.countryOf(client.ip) };
    return accessRefusal(rules, place, this.ownOrigin) ?? grant(undefined);
  }

  /** check() against a session's rules, re-read when older than RULES_RECHECK_MS. */
  async checkSession(session: PlaybackSessionRecord, client: ClientPlace): Promise<Verdict<void>> {
    return this.check(this.fresh(session) ?? (await this.load(session)), client);
  }

  /** The synchronous form for the fast path: false means "take the full path", never "no". */
  passesCached(session: PlaybackSessionRecord, client: ClientPlace): boolean {
    const rules = this.fresh(session);
    return rules !== undefined && this.check(rules, client).ok;
  }

  private fresh(session: PlaybackSessionRecord): readonly AccessRules[] | undefined {
    const cached = this.bySession.get(session.id);
    const age = cached && this.now() - cached.at;
    return age !== undefined && age >= 0 && age < RULES_RECHECK_MS ? cached!.rules : undefined;
  }

  private async load(session: PlaybackSessionRecord): Promise<readonly AccessRules[]> {
    const at = this.now();
    const [title, user] = await Promise.all([this.stores.titles.get(session.titleId), this.stores.users.findById(session.userId)]);
    const plan = user && (await this.stores.plans.get(user.planId));
    const rules = [title?.access, plan?.access].filter((r): r is AccessRules => r !== undefined);
    this.bySession.delete(session.id);
    if (this.bySession.size >= MAX_CACHED_SESSIONS) this.bySession.delete(this.bySession.keys().next().value!);
    this.bySession.set(session.id, { rules, at });
    return rules;
  }
}
