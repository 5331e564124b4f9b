/**
 * Content keys for a DASH title, asked of the caller by label: 'sd', 'hd', 'uhd', 'audio', and
 * with key rotation 'sd@0', 'sd@1', … one per Period. The caller (title registration) makes and
 * stores them sealed; the packager only uses them.
 *
 * Threat: one key doing two jobs. If the resolver answered the HD label with the SD key (or the
 * same KID for both), a license for SD would unlock HD and tiered policies would mean nothing;
 * two keys under one KID would make players decrypt with the wrong one. So every label must come
 * back with its own KID and its own key, and a malformed answer stops packaging.
 */
import { randomIvs, type IvSource } from '../cenc/index.js';
import { MediaError } from '../ffmpeg.js';
import type { Tier } from './ladder.js';

export interface ContentKey {
  /** 32 hex digits: the KID as the MPD's default_KID and the license request name it. */
  readonly kid: string;
  /** The 16-byte AES-128 content key. */
  readonly key: Uint8Array;
}

/** Answers a key label; may be async (a key store). Called once per label. */
export type KeyResolver = (label: string) => ContentKey | Promise<ContentKey>;

export type KeyTrack = Tier | 'audio';

/** A key ready for the encryptor: its IV source serves this key alone, across all its segments. */
export interface ResolvedKey {
  readonly label: string;
  /** Lower-case hex. */
  readonly kid: string;
  readonly kidBytes: Uint8Array;
  readonly key: Uint8Array;
  readonly ivSource: IvSource;
}

export function keyLabel(track: KeyTrack, period: number | undefined): string {
  return period === undefined ? track : `${track}@${period}`;
}

/** Resolves each label once, in order, and refuses reused KIDs or keys. */
export async function resolveKeys(labels: readonly string[], resolver: KeyResolver): Promise<Map<string, ResolvedKey>> {
  const resolved = new Map<string, ResolvedKey>();
  const kids = new Set<string>();
  const keys = new Set<string>();
  for (const label of labels) {
    if (resolved.has(label)) continue;
    const answer = await resolver(label);
    const kid = typeof answer?.kid === 'string' ? answer.kid.toLowerCase() : '';
    if (!/^[0-9a-f]{32}$/.test(kid)) throw new MediaError('bad_argument', `key "${label}": kid must be 32 hex digits`);
    if (!(answer.key instanceof Uint8Array) || answer.key.length !== 16) {
      throw new MediaError('bad_argument', `key "${label}": a content key is 16 bytes`);
    }
    const keyHex = Buffer.from(answer.key).toString('hex');
    if (kids.has(kid) || keys.has(keyHex)) throw new MediaError('bad_argument', `key "${label}" reuses the KID or key of another label`);
    kids.add(kid);
    keys.add(keyHex);
    resolved.set(label, { label, kid, kidBytes: Uint8Array.from(Buffer.from(kid, 'hex')), key: Uint8Array.from(answer.key), ivSource: randomIvs() });
  }
  return resolved;
}

/** 32 hex digits → the UUID form cenc:default_KID uses (8-4-4-4-12). */
export function kidUuid(kid: string): string {
  return `${kid.slice(0, 8)}-${kid.slice(8, 12)}-${kid.slice(12, 16)}-${kid.slice(16, 20)}-${kid.slice(20)}`;
}
