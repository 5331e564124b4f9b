/**
 * Either playback-token format, told apart by its first characters: the compact form starts
 * with its marker `tgp1.`, the JWT form with a base64url JSON header (`eyJ`). Both are signed
 * with the same playback keys, and neither's MAC input can be the other's (the compact one
 * starts with `tgp1.`), so accepting both lets TOLLGATE_PLAYBACK_TOKEN_FORMAT change without
 * breaking streams already playing, and edge workers verify whichever the server mints.
 */
import type { Verdict } from './errors.js';
import { playbackJwtKid, verifyPlaybackJwt, verifyPlaybackJwtAsync } from './playback-token-jwt.js';
import {
  PLAYBACK_TOKEN_PREFIX,
  type PlaybackClaims,
  type PlaybackVerifyContext,
  type PlaybackVerifyContextAsync,
  verifyPlaybackToken,
  verifyPlaybackTokenAsync,
} from './playback-token.js';

export type PlaybackTokenFormat = 'compact' | 'jwt';

function formatOf(token: string): PlaybackTokenFormat {
  return typeof token === 'string' && token.startsWith(PLAYBACK_TOKEN_PREFIX) ? 'compact' : 'jwt';
}

/** The kid to look the key up by, before verifying; undefined for a token of neither shape. */
export function playbackTokenKid(token: string): string | undefined {
  if (formatOf(token) === 'jwt') return playbackJwtKid(token);
  const end = token.indexOf('.', PLAYBACK_TOKEN_PREFIX.length);
  return end < 0 ? undefined : token.slice(PLAYBACK_TOKEN_PREFIX.length, end);
}

/** verifyPlaybackToken or verifyPlaybackJwt, by the token's shape. */
export function verifyAnyPlaybackToken(token: string, ctx: PlaybackVerifyContext): Verdict<PlaybackClaims> {
  return formatOf(token) === 'compact' ? verifyPlaybackToken(token, ctx) : verifyPlaybackJwt(token, ctx);
}

/** The async pair (WebCrypto at the edge). */
export function verifyAnyPlaybackTokenAsync(token: string, ctx: PlaybackVerifyContextAsync): Promise<Verdict<PlaybackClaims>> {
  return formatOf(token) === 'compact' ? verifyPlaybackTokenAsync(token, ctx) : verifyPlaybackJwtAsync(token, ctx);
}
