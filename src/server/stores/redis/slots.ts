/**
 * Redis Cluster hash slots, computed as the cluster does (CRC16/XMODEM of the key's hash tag,
 * mod 16384), so the hot state can name, for any key, another key in the same slot: a Lua
 * script may only touch keys of one slot, and the epoch that guards a key must live beside it.
 */
export const SLOTS = 16_384;

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

const encoder = new TextEncoder();

const step = (crc: number, byte: number): number => ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ byte) & 0xff]!;

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = step(crc, byte);
  return crc;
}

/** The slot of a key: only the part inside the first non-empty `{…}` counts, when there is one. */
export function keySlot(key: string): number {
  const bytes = encoder.encode(key);
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % SLOTS;
  }
  return crc16(bytes) % SLOTS;
}

let tags: string[] | undefined;

/**
 * A short hash tag whose keys land in `slot` (`s<n>` for the first n that does): found once for
 * all slots, in a few milliseconds, the first time a cluster needs one.
 */
export function slotTag(slot: number): string {
  if (tags === undefined) {
    const found: string[] = new Array<string>(SLOTS);
    for (let n = 0, missing = SLOTS; missing > 0; n++) {
      const tag = `s${n}`;
      let crc = 0;
      // ASCII, so its UTF-16 code units are its bytes.
      for (let i = 0; i < tag.length; i++) crc = step(crc, tag.charCodeAt(i));
      const at = crc % SLOTS;
      if (found[at] === undefined) {
        found[at] = tag;
        missing -= 1;
      }
    }
    tags = found;
  }
  return tags[slot]!;
}
