/**
 * WM tokens for playback sessions of watermarked titles (ETSI TS 104 002 direct mode,
 * core/watermark/wm-token.ts): the session's payload (payload.ts) as the pattern, valid as
 * long as the session, MACed with TOLLGATE_WM_TOKEN_KEY — the key a CDN edge is configured
 * with to sequence the variants itself. Threat: the title's watermark key leaving Tollgate —
 * it never does; the token carries only this session's bits, which its viewer could read off
 * what it is served anyway.
 */
import { signWmToken } from '../../core/watermark/wm-token.js';
import { nodeCdnCrypto } from '../edge/cdn-crypto.js';
import type { VariantSelector } from '../gateway/variants.js';
import { PATTERN_BITS, payloadPattern } from './payload.js';

/** wmvnd: Tollgate has no identifier in the DASH-IF list of WM vendors; 0 is assumed. */
export const WM_VENDOR = 0;

export class WmTokens {
  constructor(
    /** The gateway's (cached) knowledge of which titles are watermarked, and their keys. */
    private readonly variants: VariantSelector,
    private readonly key: Uint8Array | undefined,
  ) {}

  /** The session's WM token; undefined when the title is not watermarked or no key is configured. */
  async issue(session: { id: string; titleId: string; createdAt: number; expiresAt: number }): Promise<string | undefined> {
    if (this.key === undefined) return undefined;
    const watermarkKey = await this.variants.watermarkKey(session.titleId);
    if (watermarkKey === undefined) return undefined;
    const iat = Math.floor(session.createdAt / 1000);
    const token = signWmToken(
      { bytes: payloadPattern(watermarkKey, session.id), bits: PATTERN_BITS, vendor: WM_VENDOR, iat, exp: Math.max(iat + 1, Math.ceil(session.expiresAt / 1000)) },
      this.key,
      nodeCdnCrypto,
    );
    if (!token.ok) throw new Error(token.detail);
    return token.value;
  }
}
