/**
 * The access-token key ring. Threat: a signing key that lives forever (one leak = forever
 * forged tokens) and a rotation that breaks sessions. So keys rotate as the normal case:
 * the newest key signs; a retired key keeps verifying, and stays in the JWKS, until every
 * token it signed has expired; then it is pruned. Private keys are sealed at rest.
 *
 * Several instances (and the `tollgate keys rotate` CLI) share the store: the ring reloads
 * on a short interval, and on an unknown kid at most once a second, so a rotation elsewhere
 * is picked up without letting random kids hammer the database.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import type { JwtKey } from '../../core/jwt.js';
import type { SigningKeyRecord, SigningKeyStore } from '../../core/ports.js';
import { generateAccessKeyPair } from '../keys/jwt-crypto.js';
import type { Sealer } from '../keys/sealer.js';

const RELOAD_INTERVAL_MS = 30_000;
const UNKNOWN_KID_RELOAD_MS = 1_000;

export interface AccessKeyRingOptions {
  readonly alg: 'EdDSA' | 'ES256';
  /** How long a retired key must keep verifying: the longest token lifetime plus leeway. */
  readonly retentionMs: number;
  readonly now: () => number;
}

interface LoadedKey {
  readonly record: SigningKeyRecord;
  readonly verifyKey: JwtKey;
  signKey?: JwtKey;
}

export class AccessKeyRing {
  private keys: LoadedKey[] = [];
  private loadedAt = -Infinity;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly sealer: Sealer,
    private readonly options: AccessKeyRingOptions,
  ) {}

  /** The key that signs now; the first call on an empty store creates one. */
  async current(): Promise<JwtKey> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    let newest = this.keys.find((k) => k.record.retiredAt === null);
    if (newest === undefined) {
      await this.rotate();
      newest = this.keys.find((k) => k.record.retiredAt === null);
      if (newest === undefined) throw new Error('no current access signing key after rotation');
    }
    newest.signKey ??= {
      kid: newest.record.kid,
      alg: newest.record.alg as JwtKey['alg'],
      key: createPrivateKey({ key: Buffer.from(this.sealer.open(newest.record.sealed, context(newest.record.kid))), format: 'der', type: 'pkcs8' }),
    };
    return newest.signKey;
  }

  /** The verification key for a kid, if it is current or retired within the retention window. */
  async resolve(kid: string): Promise<JwtKey | undefined> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    let found = this.usable().find((k) => k.record.kid === kid);
    if (found === undefined) {
      await this.reloadIfOlderThan(UNKNOWN_KID_RELOAD_MS);
      found = this.usable().find((k) => k.record.kid === kid);
    }
    return found?.verifyKey;
  }

  /** RFC 7517 JWK Set of every usable public key, current first. */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    await this.reloadIfOlderThan(RELOAD_INTERVAL_MS);
    return {
      keys: this.usable().map(({ record }) => ({ ...record.publicJwk, kid: record.kid, alg: record.alg, use: 'sig' })),
    };
  }

  /** Starts signing with a new key; the previous one is retired (still verifying). */
  async rotate(): Promise<string> {
    const now = this.options.now();
    const pair = generateAccessKeyPair(this.options.alg);
    const kid = `${this.options.alg === 'EdDSA' ? 'ed' : 'es'}-${randomBytes(9).toString('base64url')}`;
    const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    await this.store.rotate(
      {
        kid,
        use: 'access',
        alg: this.options.alg,
        publicJwk: pair.publicJwk,
        sealed: this.sealer.seal(pkcs8, context(kid)),
        createdAt: now,
        retiredAt: null,
      },
      now,
    );
    await this.store.prune('access', now - this.options.retentionMs);
    await this.reload();
    return kid;
  }

  private usable(): LoadedKey[] {
    const oldest = this.options.now() - this.options.retentionMs;
    return this.keys.filter((k) => k.record.retiredAt === null || k.record.retiredAt > oldest);
  }

  private async reloadIfOlderThan(ageMs: number): Promise<void> {
    const age = this.options.now() - this.loadedAt;
    // A clock that went backwards (NTP step) counts as stale too.
    if (age >= 0 && age < ageMs) return;
    await this.reload();
  }

  private async reload(): Promise<void> {
    this.loadedAt = this.options.now();
    const records = await this.store.list('access');
    const previous = new Map(this.keys.map((k) => [k.record.kid, k]));
    this.keys = records.map((record) => {
      const known = previous.get(record.kid);
      if (known !== undefined && known.record.retiredAt === record.retiredAt) return known;
      const verifyKey: JwtKey = {
        kid: record.kid,
        alg: record.alg as JwtKey['alg'],
        key: createPublicKey({ key: record.publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
      };
      return { record, verifyKey, signKey: known?.signKey };
    });
  }
}

function context(kid: string): string {
  return `signing-key:access:${kid}`;
}
