/**
 * A playback session's watermark payload (issue 13): the sequence of A/B choices, one bit per
 * segment number, that the gateway serves it and that a leak is matched against. The bits are
 * HMAC-SHA256(title's watermark key, session id, block) read 256 at a time: a keyed
 * pseudo-random code word per session. Keyed per title, so two sessions (or two titles)
 * cannot compare what they got to learn the code; the key never leaves Tollgate. The
 * session id alone determines the word, so nothing more is stored with the session, and the
 * tracer recomputes the words of every session of the title. As an error-correcting code a
 * random code is the strong kind: any two words differ in about half their bits, so a leak
 * whose segments were read with a fair share of errors still agrees best with its own
 * session, and a mix of two sessions agrees with each of them on about three quarters
 * (docs/WATERMARK.md).
 */
import { createHmac } from 'node:crypto';

const BITS_PER_BLOCK = 256;

export function payloadBit(watermarkKey: Uint8Array, sessionId: string, segment: number): 0 | 1 {
  const block = Math.floor(segment / BITS_PER_BLOCK);
  const bit = segment % BITS_PER_BLOCK;
  const digest = createHmac('sha256', watermarkKey).update(`tollgate watermark payload v1\n${sessionId}\n${block}`).digest();
  return (((digest[bit >> 3] ?? 0) >> (bit & 7)) & 1) as 0 | 1;
}

/** The session's bits for segments 0…count−1. */
export function payloadBits(watermarkKey: Uint8Array, sessionId: string, count: number): (0 | 1)[] {
  return Array.from({ length: count }, (_, n) => payloadBit(watermarkKey, sessionId, n));
}
