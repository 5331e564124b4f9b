/**
 * W3C EME Clear Key (§9.1): the license request a CDM sends and the license it takes.
 * Threats: a request body that makes the server work or answer wrongly — not an object,
 * kids of the wrong type or length, thousands of kids, one kid spelled several ways to be
 * counted twice — and a license a CDM misreads. Requests are read the way real players
 * write them (type missing; kids in base64url as the spec says, padded or standard-alphabet
 * base64, or hex), each kid resolved to Tollgate's one form (32 lower-case hex), duplicates
 * collapsed; licenses are written exactly as §9.1.4 says (unpadded base64url).
 */
import { decodeBase64url, encodeBase64url } from '../base64url.js';
import { deny, grant, type Verdict } from '../errors.js';
import { MAX_CONTENT_KEYS } from './entitlement-schema.js';
import { bytesToHex, hexToBytes, isKidHex, KEY_BYTES } from './kid.js';

export type ClearKeySessionType = 'temporary' | 'persistent-license';

export interface ClearKeyRequest {
  /** 32 lower-case hex digits each, in request order, without duplicates. */
  readonly kids: readonly string[];
  readonly type: ClearKeySessionType;
}

export interface ClearKeyLicense {
  readonly keys: readonly { readonly kty: 'oct'; readonly kid: string; readonly k: string }[];
  readonly type: ClearKeySessionType;
}

/** Longest kid text accepted: 24 (padded base64) < 32 (hex); longer is never a 16-byte id. */
const MAX_KID_TEXT = 32;
const HEX_KID = /^[0-9A-Fa-f]{32}$/;

/**
 * Reads a parsed JSON license request (§9.1.3). Unknown members are ignored, as a CDM may add
 * some; everything Tollgate reads is checked. Refusals are 'bad_request' naming the fault.
 */
export function parseClearKeyRequest(body: unknown): Verdict<ClearKeyRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('license request must be a JSON object');
  const { kids, type } = body as Record<string, unknown>;
  if (type !== undefined && type !== 'temporary' && type !== 'persistent-license') {
    return bad('type must be "temporary" or "persistent-license"');
  }
  if (kids === undefined) return bad('kids is missing');
  if (!Array.isArray(kids)) return bad('kids must be a list');
  if (kids.length === 0) return bad('kids is empty');
  // Bounded before any decoding, so a huge list costs one length check.
  if (kids.length > MAX_CONTENT_KEYS) return bad(`kids lists more than ${MAX_CONTENT_KEYS} key ids`);
  const out = new Set<string>();
  for (const [i, kid] of kids.entries()) {
    if (typeof kid !== 'string') return bad(`kids[${i}] is not a string`);
    const hex = kidToHex(kid);
    if (hex === undefined) return bad(`kids[${i}] is not a 16-byte key id (base64url, base64 or hex)`);
    out.add(hex);
  }
  return grant({ kids: [...out], type: type ?? 'temporary' });
}

/** Writes the license (§9.1.4). Throws on a malformed key: the caller's keys come from the store. */
export function buildClearKeyLicense(
  keys: readonly { readonly kid: string; readonly key: Uint8Array }[],
  type: ClearKeySessionType,
): ClearKeyLicense {
  return {
    keys: keys.map(({ kid, key }) => {
      if (!isKidHex(kid) || key.length !== KEY_BYTES) throw new TypeError('buildClearKeyLicense: malformed key');
      return { kty: 'oct' as const, kid: encodeBase64url(hexToBytes(kid)), k: encodeBase64url(key) };
    }),
    type,
  };
}

/**
 * One kid text to 32 lower-case hex, or undefined. 32 hex digits are hex (a 16-byte id in
 * base64 is 22 or 24 characters, so the forms cannot collide); otherwise base64 in either
 * alphabet (not mixed) with or without its '==' padding, canonical bits only.
 */
function kidToHex(text: string): string | undefined {
  if (text.length > MAX_KID_TEXT) return undefined;
  if (HEX_KID.test(text)) return text.toLowerCase();
  const unpadded = text.length === 24 && text.endsWith('==') ? text.slice(0, 22) : text;
  if (/[-_]/.test(unpadded) && /[+/]/.test(unpadded)) return undefined;
  const bytes = decodeBase64url(unpadded.replaceAll('+', '-').replaceAll('/', '_'));
  return bytes?.length === KEY_BYTES ? bytesToHex(bytes) : undefined;
}

function bad(detail: string): Verdict<never> {
  return deny('bad_request', detail);
}
