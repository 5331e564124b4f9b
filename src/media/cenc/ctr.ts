/**
 * AES-128-CTR as the 'cenc' scheme applies it (ISO/IEC 23001-7 §9.2, §9.5).
 *
 * The counter block is the sample's IV: an 8-byte IV padded with 8 zero bytes (so the block
 * count lives in the low 64 bits and never carries into the IV), or a 16-byte IV as is. The
 * protected ranges of one sample's subsamples form one continuous key stream: a subsample may
 * end mid-block and the next one continues in that block. Node's streaming cipher keeps its
 * position across update() calls, which is exactly that. CTR is its own inverse, so the same
 * function encrypts and decrypts.
 *
 * Threat: CTR with a repeated (key, IV) pair leaks the XOR of two plaintexts. Every sample
 * therefore gets a fresh IV from an IvSource, and one source must serve one key for all its
 * segments.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { Mp4Error, Reader } from './bytes.js';
import type { Subsample } from './subsamples.js';

/** Returns the next sample's IV: 8 bytes (or 16), never repeating for the key it serves. */
export type IvSource = () => Uint8Array;

/**
 * Random 8-byte IVs: a collision becomes likely only near 2^32 samples under one key, far more
 * than a title has (2 h at 60 fps is ~430 000 video samples).
 */
export function randomIvs(): IvSource {
  return () => Uint8Array.from(randomBytes(8));
}

/** Sequential 8-byte IVs from `first` (big-endian), e.g. a random start kept with the key. */
export function counterIvs(first: Uint8Array): IvSource {
  if (first.length !== 8) throw new Mp4Error(`counter IV start must be 8 bytes, got ${first.length}`);
  let next = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0);
  return () => {
    const iv = new Uint8Array(8);
    new DataView(iv.buffer).setBigUint64(0, next);
    next = (next + 1n) & 0xffffffffffffffffn;
    return iv;
  };
}

/** Encrypts or decrypts one sample in place: whole-sample without subsamples. */
export function applyCtr(key: Uint8Array, iv: Uint8Array, sample: Uint8Array, subsamples?: readonly Subsample[]): void {
  const counter = new Uint8Array(16);
  counter.set(iv);
  const cipher = createCipheriv('aes-128-ctr', key, counter);
  if (!subsamples) {
    sample.set(cipher.update(sample));
    return;
  }
  const r = new Reader(sample, 'subsample map');
  for (const s of subsamples) {
    r.advance(s.clear);
    const at = r.offset;
    r.advance(s.protected);
    const range = sample.subarray(at, at + s.protected);
    range.set(cipher.update(range));
  }
  if (r.remaining !== 0) throw new Mp4Error(`subsamples cover ${r.offset} bytes of a ${sample.length}-byte sample`);
}
