/**
 * Bounds-checked big-endian reading and writing for ISO BMFF payloads.
 *
 * Threat: segments come from files on disk that may be truncated or hostile; every count and
 * size in them is a claim. A DataView would throw a bare RangeError on the first overrun; this
 * reader throws an Mp4Error that names the box, so a damaged segment gives a clear message.
 */
import { TollgateError } from '../../core/errors.js';

/** A malformed or unsupported MP4: the input is wrong, not the service. */
export class Mp4Error extends TollgateError {
  constructor(detail: string) {
    super('bad_request', `mp4: ${detail}`);
    this.name = 'Mp4Error';
  }
}

export class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    /** Named in errors, e.g. "trun". */
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private take(n: number): number {
    if (n > this.remaining) {
      throw new Mp4Error(`'${this.what}' is truncated: needs ${n} more bytes at ${this.pos}, has ${this.remaining}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }

  u16(): number {
    return this.view.getUint16(this.take(2));
  }

  u24(): number {
    const at = this.take(3);
    return (this.view.getUint8(at) << 16) | this.view.getUint16(at + 1);
  }

  u32(): number {
    return this.view.getUint32(this.take(4));
  }

  i32(): number {
    return this.view.getInt32(this.take(4));
  }

  /** 64-bit values beyond 2^53 cannot be offsets or sizes of anything we hold in memory. */
  u64(): number {
    const value = this.view.getBigUint64(this.take(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4Error(`'${this.what}' has a 64-bit value too large: ${value}`);
    return Number(value);
  }

  bytesOf(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }

  advance(n: number): void {
    this.take(n);
  }

  /** Refuses a count whose entries cannot fit in what is left, before any loop runs over it. */
  count(n: number, entrySize: number, name: string): number {
    if (n * entrySize > this.remaining) {
      throw new Mp4Error(`'${this.what}' claims ${n} ${name} of ${entrySize} bytes but only ${this.remaining} bytes remain`);
    }
    return n;
  }
}

export class Writer {
  private chunks: number[] = [];
  private parts: Uint8Array[] = [];

  private flushNumbers(): void {
    if (this.chunks.length > 0) {
      this.parts.push(Uint8Array.from(this.chunks));
      this.chunks = [];
    }
  }

  u8(v: number): this {
    this.chunks.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }

  u24(v: number): this {
    return this.u8(v >>> 16).u16(v);
  }

  u32(v: number): this {
    return this.u16(v >>> 16).u16(v);
  }

  u64(v: number): this {
    return this.u32(Math.floor(v / 2 ** 32)).u32(v >>> 0);
  }

  bytes(b: Uint8Array): this {
    this.flushNumbers();
    this.parts.push(b);
    return this;
  }

  ascii(text: string): this {
    for (let i = 0; i < text.length; i++) this.u8(text.charCodeAt(i));
    return this;
  }

  finish(): Uint8Array {
    this.flushNumbers();
    return concatBytes(this.parts);
  }
}

/**
 * A private copy as a plain Uint8Array. Not `x.slice()`: on a Node Buffer that is a view of
 * the same memory, so "copies" would write through to the caller's buffer.
 */
export function copyOf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** KIDs, keys and system IDs are all 16 bytes; anything else is a caller's mistake. */
export function require16(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length !== 16) throw new Mp4Error(`${name} must be 16 bytes, got ${bytes.length}`);
  return bytes;
}
