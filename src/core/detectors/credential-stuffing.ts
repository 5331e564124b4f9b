/**
 * Credential stuffing: one address trying many accounts, or failing many logins across
 * accounts, within a window. (Per-account and per-address failure limits already refuse the
 * logins themselves, identity/login-limits.ts; this raises the alert and can block the network.)
 */
import type { DecisionEvent } from '../events.js';
import { addressOf } from './network.js';
import { type Detector, type Finding, findingOf, type Thresholds } from './types.js';
import { distinct, ids, KeyedWindow } from './window.js';

export const CREDENTIAL_STUFFING = {
  window_seconds: { default: 600, min: 10, max: 86_400, meaning: 'how far back logins are counted' },
  max_accounts_per_address: { default: 10, min: 1, max: 100_000, meaning: 'distinct accounts one address may log in to (or try)' },
  max_failures_per_address: { default: 20, min: 1, max: 100_000, meaning: 'failed logins one address may have' },
} as const;

export class CredentialStuffingDetector implements Detector {
  readonly name = 'credential_stuffing';
  private readonly addresses: KeyedWindow<{ id: string; account: string | undefined; failed: boolean }>;

  constructor(private readonly t: Thresholds<typeof CREDENTIAL_STUFFING>) {
    this.addresses = new KeyedWindow(t.window_seconds * 1000);
  }

  observe(e: DecisionEvent): Finding | undefined {
    if (e.kind !== 'login') return undefined;
    const key = addressOf(e.ip);
    const seen = this.addresses.add(key, e.at, { id: e.id, account: e.userId, failed: e.decision === 'deny' });
    const accounts = distinct(seen, (s) => s.account).length;
    const failures = seen.filter((s) => s.value.failed).length;
    if (accounts <= this.t.max_accounts_per_address && failures <= this.t.max_failures_per_address) return undefined;
    this.addresses.clear(key);
    return findingOf(this.name, e, `address:${key}`, 'high', `${key}: ${failures} failed logins, ${accounts} accounts within ${this.t.window_seconds} s`, ids(seen));
  }
}
