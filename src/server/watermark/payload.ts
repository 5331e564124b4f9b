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
 * (docs/WATERMARK.md). The word is PATTERN_BITS long and repeats after that, so that it fits in
 * the WM token an edge sequences from (core/watermark/wm-token.ts): 4096 segments are 2 h 16 min
 * at 2 s segments, 4 h 33 min at the default 4 s.
 */
import { createHmac } from 'node:crypto';

const BITS_PER_BLOCK = 256;
/** The payload's length in bits (the WM token's wmpatlen); segment n takes bit n mod PATTERN_BITS. */
export const PATTERN_BITS = 4096;

export function payloadBit(watermarkKey: Uint8Array, sessionId: string, segment: number): 0 | 1 {
  return payloadBitReader(watermarkKey, sessionId)(segment);
}

/** payloadBit of one session for many segments (a whole manifest): each block's HMAC is computed once. */
export function payloadBitReader(watermarkKey: Uint8Array, sessionId: string): (segment: number) => 0 | 1 {
  const blocks = new Map<number, Buffer>();
  return (segment) => {
    const position = segment % PATTERN_BITS;
    const block = Math.floor(position / BITS_PER_BLOCK);
    let digest = blocks.get(block);
    if (digest === undefined) {
      digest = blockDigest(watermarkKey, sessionId, block);
      blocks.set(block, digest);
    }
    const bit = position % BITS_PER_BLOCK;
    return (((digest[bit >> 3] ?? 0) >> (bit & 7)) & 1) as 0 | 1;
  };
}

/** The session's bits for segments 0…count−1. */
export function payloadBits(watermarkKey: Uint8Array, sessionId: string, count: number): (0 | 1)[] {
  return Array.from({ length: count }, (_, n) => payloadBit(watermarkKey, sessionId, n));
}

/**
 * The whole word as the WM token carries it (wmpattern): bit p is byte p>>3's bit 7−(p&7),
 * most significant first (TS 104 002 clause 5.4). One HMAC per 256 bits, not one per bit.
 */
export function payloadPattern(watermarkKey: Uint8Array, sessionId: string): Uint8Array {
  const pattern = new Uint8Array(PATTERN_BITS / 8);
  for (let block = 0; block < PATTERN_BITS / BITS_PER_BLOCK; block++) {
    const digest = blockDigest(watermarkKey, sessionId, block);
    for (let bit = 0; bit < BITS_PER_BLOCK; bit++) {
      const p = block * BITS_PER_BLOCK + bit;
      pattern[p >> 3]! |= ((digest[bit >> 3]! >> (bit & 7)) & 1) << (7 - (p & 7));
    }
  }
  return pattern;
}

function blockDigest(watermarkKey: Uint8Array, sessionId: string, block: number): Buffer {
  return createHmac('sha256', watermarkKey).update(`tollgate watermark payload v1\n${sessionId}\n${block}`).digest();
}
