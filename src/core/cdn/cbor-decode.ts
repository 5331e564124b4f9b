/**
 * A strict CBOR decoder (RFC 8949) for tokens an edge reads (the WM token of ETSI TS 104 002):
 * the same subset the encoder writes — integers, byte and text strings, arrays, maps, tags —
 * and only in deterministic form (§4.2.1: shortest lengths and integers, definite lengths).
 * Threat: a token crafted to be read two ways or to exhaust the reader. So anything else
 * (floats, simple values, indefinite lengths, non-shortest forms, duplicate map keys, bad
 * UTF-8, trailing bytes, nesting deeper than MAX_DEPTH, integers beyond 2^53) is refused with
 * a CborError; lengths are checked against the bytes left before anything is allocated.
 */
import { CborMap, CborTag, type CborValue } from './cbor.js';

export class CborError extends Error {}

const MAX_DEPTH = 8;

export function decodeCbor(bytes: Uint8Array): CborValue {
  const reader = { bytes, at: 0 };
  const value = read(reader, 0);
  if (reader.at !== bytes.length) throw new CborError('trailing bytes after the CBOR item');
  return value;
}

interface Reader {
  readonly bytes: Uint8Array;
  at: number;
}

function read(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) throw new CborError('nested too deep');
  const { major, n } = head(r);
  switch (major) {
    case 0:
      return n;
    case 1:
      return -1 - n;
    case 2:
      return take(r, n).slice();
    case 3:
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(take(r, n));
      } catch {
        throw new CborError('text string is not UTF-8');
      }
    case 4: {
      if (n > r.bytes.length - r.at) throw new CborError('array longer than the input');
      return Array.from({ length: n }, () => read(r, depth + 1));
    }
    case 5: {
      if (n * 2 > r.bytes.length - r.at) throw new CborError('map longer than the input');
      const entries: [number | string, CborValue][] = [];
      for (let i = 0; i < n; i++) {
        const key = read(r, depth + 1);
        if (typeof key !== 'number' && typeof key !== 'string') throw new CborError('map keys must be integers or text');
        if (entries.some(([k]) => k === key)) throw new CborError('duplicate map key');
        entries.push([key, read(r, depth + 1)]);
      }
      return new CborMap(entries);
    }
    case 6:
      return new CborTag(n, read(r, depth + 1));
    default:
      throw new CborError('floats and simple values are not read');
  }
}

/** Major type and argument; the argument must be in its shortest form. */
function head(r: Reader): { major: number; n: number } {
  const first = take(r, 1)[0]!;
  const major = first >> 5;
  const info = first & 31;
  if (info < 24) return { major, n: info };
  if (info > 27) throw new CborError('indefinite lengths and reserved forms are not read');
  const size = 1 << (info - 24);
  let n = 0;
  for (const b of take(r, size)) n = n * 256 + b;
  if (!Number.isSafeInteger(n)) throw new CborError('integer beyond 2^53');
  const shortest = size === 1 ? n >= 24 : n >= 2 ** (4 * size);
  if (!shortest) throw new CborError('not the shortest form (RFC 8949 §4.2.1)');
  return { major, n };
}

function take(r: Reader, n: number): Uint8Array {
  if (n > r.bytes.length - r.at) throw new CborError('truncated');
  const out = r.bytes.subarray(r.at, r.at + n);
  r.at += n;
  return out;
}
