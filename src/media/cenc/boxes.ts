/**
 * ISO BMFF (ISO/IEC 14496-12) boxes as an editable tree.
 *
 * Boxes are read lazily: readBoxes() gives one level, openBox() parses the children of a box we
 * mean to change, and everything else stays an untouched view of the input. encodeBox()
 * recomputes every size on the way out, so adding a child anywhere just works, and a box keeps
 * the header form it was read with (32- or 64-bit size) so unchanged trees re-encode byte for
 * byte — the property the decrypt(encrypt(x)) == x tests rely on.
 *
 * Threat: sizes in the input are claims. Each is checked against its parent before use, and
 * every box is at least its header long, so iteration always advances and always ends.
 */
import { Mp4Error, Reader, Writer } from './bytes.js';

export interface Box {
  readonly type: string;
  /** Offset of the box's first byte in the buffer it was read from; -1 for a box we built. */
  readonly start: number;
  /** 8, or 16 when the box was read with (or needs) a 64-bit size. */
  readonly headerSize: number;
  /** A leaf's payload; for an opened container, the bytes before its children. */
  body: Uint8Array;
  children?: Box[];
}

const MAX_U32 = 0xffffffff;

/**
 * One level of boxes in bytes[from, to). `base` is the absolute offset of bytes[0], so `start`
 * stays meaningful for boxes read out of another box's body.
 */
export function readBoxes(bytes: Uint8Array, from = 0, to = bytes.length, base = 0): Box[] {
  const boxes: Box[] = [];
  let at = from;
  while (at < to) {
    const where = base + at;
    const head = new Reader(bytes.subarray(at, to), `box header at ${where}`);
    let size = head.u32();
    const type = fourcc(head.bytesOf(4));
    let headerSize = 8;
    if (size === 1) {
      size = head.u64();
      headerSize = 16;
    } else if (size === 0) {
      size = to - at; // "extends to the end of the enclosing space"
    }
    if (size < headerSize) throw new Mp4Error(`box '${type}' at ${where} has impossible size ${size}`);
    if (size > to - at) {
      throw new Mp4Error(`box '${type}' at ${where} claims ${size} bytes but only ${to - at} remain in its parent`);
    }
    boxes.push({ type, start: where, headerSize, body: bytes.subarray(at + headerSize, at + size) });
    at += size;
  }
  return boxes;
}

/** Parses the children of a container, after `prefix` bytes of its own fields. */
export function openBox(box: Box, prefix = 0): Box[] {
  if (box.children) return box.children;
  if (prefix > box.body.length) throw new Mp4Error(`'${box.type}' at ${box.start} is shorter than its ${prefix}-byte header`);
  const bodyStart = box.start + box.headerSize;
  box.children = readBoxes(box.body, prefix, box.body.length, bodyStart);
  box.body = box.body.subarray(0, prefix);
  return box.children;
}

export function makeBox(type: string, body: Uint8Array, children?: Box[]): Box {
  return children ? { type, start: -1, headerSize: 8, body, children } : { type, start: -1, headerSize: 8, body };
}

/** A FullBox body: version, 24-bit flags, then the payload. */
export function fullBody(version: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return new Writer().u8(version).u24(flags).bytes(payload).finish();
}

export function readFullHeader(r: Reader): { version: number; flags: number } {
  return { version: r.u8(), flags: r.u24() };
}

export function child(box: Box, type: string): Box | undefined {
  return box.children?.find((c) => c.type === type);
}

export function requireChild(box: Box, type: string, prefix = 0): Box {
  const found = openBox(box, prefix).find((c) => c.type === type);
  if (!found) throw new Mp4Error(`'${box.type}' at ${box.start} has no '${type}'`);
  return found;
}

/** Follows a path of containers with no fields of their own, e.g. ['moov', 'trak', 'mdia']. */
export function requirePath(boxes: Box[], path: readonly string[]): Box {
  const [first, ...rest] = path;
  let box = boxes.find((b) => b.type === first);
  if (!box) throw new Mp4Error(`no top-level '${first}'`);
  for (const type of rest) box = requireChild(box, type);
  return box;
}

export function boxSize(box: Box): number {
  const content = contentSize(box);
  return content + headerFor(box, content);
}

function contentSize(box: Box): number {
  let size = box.body.length;
  for (const c of box.children ?? []) size += boxSize(c);
  return size;
}

function headerFor(box: Box, content: number): number {
  return box.headerSize === 16 || content + 8 > MAX_U32 ? 16 : 8;
}

export function encodeBoxes(boxes: readonly Box[]): Uint8Array {
  let total = 0;
  for (const b of boxes) total += boxSize(b);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of boxes) at = writeBox(b, out, at);
  return out;
}

export function encodeBox(box: Box): Uint8Array {
  return encodeBoxes([box]);
}

function writeBox(box: Box, out: Uint8Array, at: number): number {
  const content = contentSize(box);
  const header = headerFor(box, content);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(at, header === 16 ? 1 : content + header);
  for (let i = 0; i < 4; i++) out[at + 4 + i] = box.type.charCodeAt(i);
  if (header === 16) view.setBigUint64(at + 8, BigInt(content + header));
  let pos = at + header;
  out.set(box.body, pos);
  pos += box.body.length;
  for (const c of box.children ?? []) pos = writeBox(c, out, pos);
  return pos;
}

/** Box types are four bytes, usually ASCII; latin1 keeps '©xyz' style types intact. */
export function fourcc(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
