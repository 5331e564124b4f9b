/**
 * A minimal CBOR encoder (RFC 8949) for the Common Access Token: unsigned and negative
 * integers, byte and text strings, arrays, maps in the order given, and tags — what a CWT and
 * its COSE_Mac0 envelope need, nothing more (no floats, no indefinite lengths). Every length
 * and integer takes its shortest form (RFC 8949 §4.2.1), as cbor-x writes it.
 */

export type CborValue = number | string | Uint8Array | readonly CborValue[] | CborMap | CborTag;

/** A map keeps its entries in insertion order: the encoded bytes are what gets MACed. */
export class CborMap {
  constructor(readonly entries: ReadonlyArray<readonly [number | string, CborValue]>) {}
}

export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

export function encodeCbor(value: CborValue): Uint8Array {
  const out: number[] = [];
  write(out, value);
  return Uint8Array.from(out);
}

function write(out: number[], value: CborValue): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`CBOR: only safe integers are encoded, not ${value}`);
    if (value >= 0) head(out, 0, value);
    else head(out, 1, -1 - value);
  } else if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    head(out, 3, bytes.length);
    for (const b of bytes) out.push(b);
  } else if (isBytes(value)) {
    head(out, 2, value.length);
    for (const b of value) out.push(b);
  } else if (value instanceof CborMap) {
    head(out, 5, value.entries.length);
    for (const [k, v] of value.entries) {
      write(out, k);
      write(out, v);
    }
  } else if (value instanceof CborTag) {
    head(out, 6, value.tag);
    write(out, value.value);
  } else {
    head(out, 4, value.length);
    for (const item of value) write(out, item);
  }
}

/**
 * A Uint8Array from any realm: an edge runtime's TextEncoder or WebCrypto may hand over byte
 * arrays whose constructor is not this module's Uint8Array, and `instanceof` would take them
 * for arrays of numbers.
 */
function isBytes(value: CborValue): value is Uint8Array {
  return Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/** The initial byte(s): major type and argument, shortest form. */
function head(out: number[], major: number, n: number): void {
  const m = major << 5;
  if (n < 24) out.push(m | n);
  else if (n < 0x100) out.push(m | 24, n);
  else if (n < 0x10000) out.push(m | 25, n >> 8, n & 255);
  else if (n < 0x100000000) out.push(m | 26, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  else {
    const high = Math.floor(n / 0x100000000);
    out.push(m | 27, high >>> 24, (high >>> 16) & 255, (high >>> 8) & 255, high & 255);
    out.push(n >>> 24 & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  }
}
