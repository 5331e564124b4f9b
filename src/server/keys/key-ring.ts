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
 */
import { randomBytes } from 'node:crypto';
import type { KeyUse, SigningKeyRecord, SigningKeyStore } from '../../core/ports.js';
import type { Sealer } from './sealer.js';

const RELOAD_INTERVAL_MS = 30_000;
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
  readonly now: () => number;
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

  /** The key that signs now, with its kid; the first call on an empty store creates one. */
  async current(): Promise<{ kid: string; handle: Sign }> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    let newest = this.keys.find((k) => k.record.retiredAt === null);
    if (newest === undefined) {
      // Another instance may have made the first key since this ring loaded, or may make it
      // while this one tries (the store refuses a second current key): use theirs then.
      await this.load();
      if (!this.keys.some((k) => k.record.retiredAt === null)) {
        await this.rotate().catch(async (error: unknown) => {
          await this.load();
          if (!this.keys.some((k) => k.record.retiredAt === null)) throw error;
        });
      }
      newest = this.keys.find((k) => k.record.retiredAt === null);
      if (newest === undefined) throw new Error(`no current ${this.kind.use} key after rotation`);
    }
    newest.sign ??= this.kind.signingHandle(newest.record, this.open(newest.record));
    return { kid: newest.record.kid, handle: newest.sign };
  }

  /** The verifying handle for a kid, if the key is current or retired within the retention. */
  async resolve(kid: string): Promise<Verify | undefined> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    let found = this.usable().find((k) => k.record.kid === kid);
    if (found === undefined) {
      await this.reloadIfOlderThan(UNKNOWN_KID_RELOAD_MS);
      found = this.usable().find((k) => k.record.kid === kid);
    }
    return found?.verify;
  }

  /** Records of every usable key, current first (for publishing public keys). */
  async usableRecords(): Promise<SigningKeyRecord[]> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    return this.usable().map((k) => k.record);
  }

  /** Starts signing with a new key; the previous one is retired (still verifying). */
  async rotate(): Promise<string> {
    const now = this.options.now();
    const { secret, publicJwk } = this.kind.generate();
    const kid = `${this.kind.use.slice(0, 2)}-${randomBytes(9).toString('base64url')}`;
    const sealed = this.sealer.seal(secret, sealContext(this.kind.use, kid));
    await this.store.rotate({ kid, use: this.kind.use, alg: this.kind.alg, publicJwk, sealed, createdAt: now, retiredAt: null }, now);
    await this.store.prune(this.kind.use, now - this.options.retentionMs);
    // A load of its own: one already under way may have read the store before the new key.
    await this.load();
    return kid;
  }

  private open(record: SigningKeyRecord): Uint8Array {
    return this.sealer.open(record.sealed, sealContext(this.kind.use, record.kid));
  }

  private usable(): Loaded<Sign, Verify>[] {
    const oldest = this.options.now() - this.options.retentionMs;
    return this.keys.filter((k) => k.record.retiredAt === null || k.record.retiredAt > oldest);
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

function sealContext(use: KeyUse, kid: string): string {
  return `signing-key:${use}:${kid}`;
}
