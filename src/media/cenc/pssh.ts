/**
 * 'pssh' (Protection System Specific Header, ISO/IEC 23001-7 §8.1) builders.
 *
 * Clear Key players find key IDs in the W3C common-system box (version 1, KID list, no data;
 * w3.org/TR/eme-initdata-cenc §4): Chrome's Clear Key CDM builds its license request from it.
 * DASH-IF also names the Clear Key system ID e2719d58-…; a box of that ID carrying the same KID
 * list lets players that look for it (hls.js, dash.js) find the KIDs too. Neither box holds a key.
 */
import { Mp4Error, Writer, require16 } from './bytes.js';
import { encodeBox, fullBody, makeBox } from './boxes.js';

export const COMMON_SYSTEM_ID = uuidBytes('1077efec-c0b2-4d02-ace3-3c1e52e2fb4b');
export const CLEARKEY_SYSTEM_ID = uuidBytes('e2719d58-a985-b3c9-781a-b030af78d30e');

export interface PsshOptions {
  systemId: Uint8Array;
  /** When given, a version-1 box listing these KIDs; otherwise version 0. */
  kids?: readonly Uint8Array[];
  data?: Uint8Array;
}

export function buildPssh({ systemId, kids, data = new Uint8Array(0) }: PsshOptions): Uint8Array {
  require16(systemId, 'system ID');
  const w = new Writer().bytes(systemId);
  if (kids) {
    w.u32(kids.length);
    for (const kid of kids) w.bytes(require16(kid, 'KID'));
  }
  w.u32(data.length).bytes(data);
  return encodeBox(makeBox('pssh', fullBody(kids ? 1 : 0, 0, w.finish())));
}

/** The W3C common PSSH box (SystemID 1077efec-…), as EME "cenc" init data expects. */
export function commonPssh(kids: readonly Uint8Array[]): Uint8Array {
  return buildPssh({ systemId: COMMON_SYSTEM_ID, kids });
}

/** A Clear Key (e2719d58-…) version-1 box listing the KIDs, with no system data. */
export function clearKeyPssh(kids: readonly Uint8Array[]): Uint8Array {
  return buildPssh({ systemId: CLEARKEY_SYSTEM_ID, kids });
}

/** '1077efec-c0b2-…' → 16 bytes, in the UUID's text (big-endian) order. */
export function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Mp4Error(`not a UUID: ${uuid}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
