/**
 * Allocation-free strict base64url decoding for the playback-token hot path. On Node 20
 * allocating a small Uint8Array costs about as much as the rest of a token check except the
 * HMAC, so the verifier decodes into scratch buffers it owns. Same strictness as
 * decodeBase64url in base64url.ts (one text per byte string), whose result allocation is the
 * only difference; the two could share this loop.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes unpadded base64url text[start, end) into out. Returns the byte count, or -1 for
 * non-canonical or invalid text or a result longer than out.
 */
export function decodeBase64urlInto(text: string, start: number, end: number, out: Uint8Array): number {
  const rest = (end - start) % 4;
  const length = ((end - start - rest) / 4) * 3 + (rest === 0 ? 0 : rest - 1);
  if (rest === 1 || length > out.length) return -1;
  let o = 0;
  let bad = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    const a = sextet(text, i), b = sextet(text, i + 1), c = sextet(text, i + 2), d = sextet(text, i + 3);
    bad |= a | b | c | d;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (rest === 2) {
    const a = sextet(text, i), b = sextet(text, i + 1);
    bad |= a | b | (b & 15 ? -1 : 0); // trailing bits must be zero
    out[o++] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = sextet(text, i), b = sextet(text, i + 1), c = sextet(text, i + 2);
    bad |= a | b | c | (c & 3 ? -1 : 0);
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
  }
  return bad < 0 ? -1 : o;
}

function sextet(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? SEXTET[c]! : -1;
}
