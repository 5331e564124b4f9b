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

/** What a license for one request may contain: its session type, and the kids it may license. */
export interface ClearKeyLicenseExpectation {
  readonly type: ClearKeySessionType;
  /** 32 lower-case hex each: requested, and licensable to this client under its policies. */
  readonly kids: readonly string[];
}

/**
 * Reads a license from a license server Tollgate does not run in-process (remote, hence
 * untrusted in shape): exactly {keys, type}; the type asked for; 1 to kids.length keys, each
 * exactly {kty: 'oct', kid, k} in canonical unpadded base64url of 16 bytes, each kid one the
 * expectation allows, no kid twice. Anything else is described in the denial's detail
 * (code 'bad_gateway'): a key the proxy would not hand out never reaches the CDM.
 */
export function parseClearKeyLicense(value: unknown, expect: ClearKeyLicenseExpectation): Verdict<ClearKeyLicense> {
  if (!isPlainObject(value) || !hasExactly(value, ['keys', 'type'])) return badLicense('is not exactly {keys, type}');
  if (value.type !== expect.type) return badLicense(`has type ${JSON.stringify(value.type)}, not the requested ${expect.type}`);
  const { keys } = value;
  if (!Array.isArray(keys) || keys.length === 0) return badLicense('has no keys');
  if (keys.length > expect.kids.length) return badLicense('has more keys than were requested and allowed');
  const allowed = new Set(expect.kids);
  const seen = new Set<string>();
  for (const [i, key] of keys.entries()) {
    if (!isPlainObject(key) || !hasExactly(key, ['kty', 'kid', 'k']) || key.kty !== 'oct') {
      return badLicense(`keys[${i}] is not exactly {kty: "oct", kid, k}`);
    }
    const kid = typeof key.kid === 'string' ? decodeBase64url(key.kid) : undefined;
    const k = typeof key.k === 'string' ? decodeBase64url(key.k) : undefined;
    if (kid?.length !== KEY_BYTES || k?.length !== KEY_BYTES) return badLicense(`keys[${i}] kid or k is not 16 bytes in base64url`);
    const hex = bytesToHex(kid);
    if (!allowed.has(hex)) return badLicense(`keys[${i}] is for a key id that was not requested or is not licensable here`);
    if (seen.has(hex)) return badLicense(`keys[${i}] repeats a key id`);
    seen.add(hex);
  }
  const checked = keys as readonly { kid: string; k: string }[];
  return grant({ keys: checked.map(({ kid, k }) => ({ kty: 'oct' as const, kid, k })), type: expect.type });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Record<string, unknown>, names: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === names.length && names.every((n) => Object.hasOwn(value, n));
}

function badLicense(detail: string): Verdict<never> {
  return deny('bad_gateway', `the license server's answer ${detail}`);
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
