/**
 * Strict base64url (RFC 4648 §5, no padding) as JWS requires (RFC 7515 §2). Node's own
 * decoder is lenient (it skips '=', '+', '/', whitespace), which lets several encodings of one
 * token verify; this one accepts exactly one text per byte string. Standard JS only, so it
 * also runs in edge runtimes.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Decodes canonical unpadded base64url; returns undefined for anything else. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  const length = decodeBase64urlInto(text, 0, text.length, out);
  return length < 0 ? undefined : out.subarray(0, length);
}

/**
 * Decodes unpadded base64url text[start, end) into out, without allocating (the playback-token
 * hot path decodes into scratch buffers it owns). Returns the byte count, or -1 for
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
    bad |= a | b | (b & 15 ? -1 : 0); // trailing bits must be zero (one text per byte string)
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
  return c < 128 ? LOOKUP[c]! : -1;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, refusing invalid sequences (RFC 8725 §3.7) rather than mapping them to U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}
