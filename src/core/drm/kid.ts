/**
 * Key ids and key bytes in the text forms DRM formats use. Tollgate's own form of a key id is
 * 32 lower-case hex digits (as stored, see ports.ts); Clear Key writes base64url, Axinom a
 * UUID and standard padded base64 for wrapped keys. One canonical text per value, so a check
 * on the text is a check on the bytes.
 */
import { decodeBase64url, encodeBase64url } from '../base64url.js';

/** Key ids and content keys are 16 bytes (CENC). */
export const KEY_BYTES = 16;

const KID_HEX = /^[0-9a-f]{32}$/;

/** Tollgate's canonical key id text: 32 lower-case hex digits. */
export function isKidHex(value: unknown): value is string {
  return typeof value === 'string' && KID_HEX.test(value);
}

/** Bytes of a hex string already checked (isKidHex or an even-length hex pattern). */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** The UUID text of a key id: big-endian, the order CENC, Clear Key and Axinom share. */
export function kidToUuid(kidHex: string): string {
  return `${kidHex.slice(0, 8)}-${kidHex.slice(8, 12)}-${kidHex.slice(12, 16)}-${kidHex.slice(16, 20)}-${kidHex.slice(20)}`;
}

/** Standard base64 with '=' padding (RFC 4648 §4), as Axinom writes `encrypted_key`. */
export function encodeBase64(bytes: Uint8Array): string {
  const url = encodeBase64url(bytes);
  return url.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (url.length % 4)) % 4);
}

const BASE64_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical padded standard base64 only; undefined for anything else. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64_PADDED.test(text)) return undefined;
  // The strict base64url decoder also refuses non-zero trailing bits: one text per byte string.
  return decodeBase64url(text.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_'));
}
