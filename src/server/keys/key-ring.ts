/**
 * A ring of rotating signing keys of one use (access tokens, playback tokens). Threat: a key
 * that lives forever (one leak = forged tokens forever) and a rotation that breaks sessions.
 * So rotation is the normal case: the newest key signs; a retired key keeps verifying until
 * every token it signed has expired (the retention), then it is pruned. Secrets are sealed at
 * rest under the master key, with the key's identity as associated data.
 *
 * Several instances (and the `tollgate keys rotate` CLI) share the store: the ring reloads on
 * a short interval, and on an unknown kid at most once a second, so a rotation elsewhere is
 * picked up quickly without letting random kids hammer the database.
 *
 * Keys whose verifiers are outside (relying parties caching the JWKS) need the next key
 * published before it signs: with a publish lead, rotation stores the new key with a signing
 * start (createdAt) that far ahead and retires the current key at that same moment, so every
 * instance switches at one time to a key every cache has already seen.
 */
import { randomBytes } from 'node:crypto';
import type { KeyUse, SigningKeyRecord, SigningKeyStore } from '../../core/ports.js';
import type { Sealer } from './sealer.js';

/** How stale an instance's view of the store may be: a rotation elsewhere is seen within it. */
export const RELOAD_INTERVAL_MS = 30_000;
const UNKNOWN_KID_RELOAD_MS = 1_000;

/** How one kind of key is made and turned into runtime handles. */
export interface KeyKind<Sign, Verify> {
  readonly use: KeyUse;
  readonly alg: string;
  /** A fresh key: the secret to seal and, for asymmetric keys, the public JWK. */
  generate(): { secret: Uint8Array; publicJwk: Record<string, unknown> | null };
  signingHandle(record: SigningKeyRecord, secret: Uint8Array): Sign;
  /** Built from the record alone when possible (public keys), else from the opened secret. */
  verifyingHandle(record: SigningKeyRecord, openSecret: () => Uint8Array): Verify;
}

export interface KeyRingOptions {
  /** How long a retired key must keep verifying: the longest token lifetime plus leeway. */
  readonly retentionMs: number;
  /** How long a rotated-in key is usable for verifying before it signs; 0 = signs at once. */
  readonly publishLeadMs?: number;
  readonly now: () => number;
}

/** A key added by rotate(), and when it starts signing. */
export interface RotatedKey {
  readonly kid: string;
  readonly signsFrom: number;
}

interface Loaded<Sign, Verify> {
  readonly record: SigningKeyRecord;
  readonly verify: Verify;
  sign?: Sign;
}

export class KeyRing<Sign, Verify> {
  private keys: Loaded<Sign, Verify>[] = [];
  private loadedAt = -Infinity;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly sealer: Sealer,
    private readonly kind: KeyKind<Sign, Verify>,
    private readonly options: KeyRingOptions,
  ) {}

  /** The key that signs now, with its kid; on a store without one, a key is created. */
  async current(): Promise<{ kid: string; handle: Sign }> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    let signing = this.signingNow();
    if (signing === undefined) {
      await this.createFirstKey();
      signing = this.signingNow();
      if (signing === undefined) throw new Error(`no current ${this.kind.use} key after rotation`);
    }
    signing.sign ??= this.kind.signingHandle(signing.record, this.open(signing.record));
    return { kid: signing.record.kid, handle: signing.sign };
  }

  /** The verifying handle for a kid, if the key is current or retired within the retention. */
  async resolve(kid: string): Promise<Verify | undefined> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    let found = this.usableKey(kid);
    if (found === undefined) {
      await this.reloadIfOlderThan(UNKNOWN_KID_RELOAD_MS);
      found = this.usableKey(kid);
    }
    return found?.verify;
  }

  /** Synchronous, without reloading: is the kid current or retired within the retention? (On the gateway's fast path.) */
  isUsable(kid: string): boolean {
    return this.usableKey(kid) !== undefined;
  }

  /** The loaded key of a kid if it still verifies; one pass, no allocation (every cached gateway request asks). */
  private usableKey(kid: string): Loaded<Sign, Verify> | undefined {
    const oldest = this.options.now() - this.options.retentionMs;
    return this.keys.find((k) => k.record.kid === kid && verifiesAfter(k.record, oldest));
  }

  /** Records of every usable key, newest first: a published next key, the current one, retired ones. */
  async usableRecords(): Promise<SigningKeyRecord[]> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    return this.usable().map((k) => k.record);
  }

  /**
   * Adds a new key that starts signing after the publish lead (at once when no key signs now);
   * the current key is retired at that moment and keeps verifying for the retention.
   */
  async rotate(): Promise<RotatedKey> {
    await this.reload();
    const now = this.options.now();
    const signsFrom = this.signingNow() === undefined ? now : now + (this.options.publishLeadMs ?? 0);
    const { secret, publicJwk } = this.kind.generate();
    const kid = `${this.kind.use.slice(0, 2)}-${randomBytes(9).toString('base64url')}`;
    const sealed = this.sealer.seal(secret, sealContext(this.kind.use, kid));
    const record = { kid, use: this.kind.use, alg: this.kind.alg, publicJwk, sealed, createdAt: signsFrom, retiredAt: null };
    await this.store.rotate(record, signsFrom);
    await this.store.prune(this.kind.use, now - this.options.retentionMs);
    // A load of its own: one already under way may have read the store before the new key.
    await this.load();
    return { kid, signsFrom };
  }

  /**
   * The first key of an empty store. Instances starting together on one database race here;
   * the store lets one rotation win, and the losers use the winner's key.
   */
  private async createFirstKey(): Promise<void> {
    try {
      await this.rotate();
    } catch (error) {
      await this.load();
      if (this.signingNow() === undefined) throw error;
    }
  }

  /** The newest key whose signing period covers now (a published next key is not yet in it). */
  private signingNow(): Loaded<Sign, Verify> | undefined {
    const now = this.options.now();
    return this.keys.find((k) => k.record.createdAt <= now && (k.record.retiredAt === null || k.record.retiredAt > now));
  }

  private open(record: SigningKeyRecord): Uint8Array {
    return this.sealer.open(record.sealed, sealContext(this.kind.use, record.kid));
  }

  private usable(): Loaded<Sign, Verify>[] {
    const oldest = this.options.now() - this.options.retentionMs;
    return this.keys.filter((k) => verifiesAfter(k.record, oldest));
  }

  private async reloadIfOlderThan(ageMs: number): Promise<void> {
    const age = this.options.now() - this.loadedAt;
    // A clock that went backwards (NTP step) counts as stale too.
    if (age >= 0 && age < ageMs) return;
    await this.reload();
  }

  /**
   * Concurrent callers share one load. Only a load that succeeded counts: marking the ring
   * fresh before the store answered let callers during an outage (and for the reload interval
   * after it) verify against an empty or stale ring, refusing good tokens as "unknown kid".
   */
  private reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async load(): Promise<void> {
    const startedAt = this.options.now();
    const records = await this.store.list(this.kind.use);
    this.loadedAt = startedAt;
    const previous = new Map(this.keys.map((k) => [k.record.kid, k]));
    this.keys = records.map((record) => {
      const known = previous.get(record.kid);
      if (known !== undefined && known.record.retiredAt === record.retiredAt) return known;
      return { record, verify: this.kind.verifyingHandle(record, () => this.open(record)), sign: known?.sign };
    });
  }
}

/** Still verifying at `oldest` (now minus the retention): never retired, or retired after it. */
function verifiesAfter(record: SigningKeyRecord, oldest: number): boolean {
  return record.retiredAt === null || record.retiredAt > oldest;
}

function sealContext(use: KeyUse, kid: string): string {
  return `signing-key:${use}:${kid}`;
}
