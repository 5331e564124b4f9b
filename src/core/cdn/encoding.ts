/** Byte encodings the CDN token formats use, derived from core's strict base64url. */
import { encodeBase64url } from '../base64url.js';

/** Standard base64 (RFC 4648 §4) with '=' padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return encodeBase64url(bytes).replace(/[-_]/g, (c) => (c === '-' ? '+' : '/')) + padding(bytes.length, '=');
}

/** CloudFront's variant: base64 with '+' → '-', '=' → '_', '/' → '~'. */
export function encodeCloudFrontBase64(bytes: Uint8Array): string {
  return encodeBase64url(bytes).replace(/_/g, '~') + padding(bytes.length, '_');
}

function padding(length: number, pad: string): string {
  return pad.repeat((3 - (length % 3)) % 3);
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Even-length hex to bytes; undefined for anything else. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A Unix time in whole seconds, positive: what every CDN token format carries. */
export function isUnixSeconds(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}
