/**
 * CTA-5007 Common Access Token: a CWT (RFC 8392) whose claims (RFC 8392 labels plus the
 * CAT claims catu, catr, catreplay, catgeoiso3166, catv, …) are MACed as a COSE_Mac0 (RFC
 * 9052) with HMAC 256/256, labels as in @eyevinn/cat 0.16. Threat: a token an edge accepts
 * for more than was meant — so exp is required, URI rules (catu) bind it to a path, and every
 * claim is type-checked before it is encoded: an input that cannot be written exactly is
 * refused, never coerced.
 */
import { encodeBase64url } from '../base64url.js';
import { deny, type Verdict } from '../errors.js';
import { CborMap, CborTag, type CborValue, encodeCbor } from './cbor.js';
import { type CdnCrypto, type CdnCryptoAsync, type CdnPlan, completeAsync, completeSync } from './crypto.js';
import { isUnixSeconds } from './encoding.js';

export type CatUriPart = 'scheme' | 'host' | 'port' | 'path' | 'query' | 'parent-path' | 'filename' | 'stem' | 'extension';
export type CatMatch = 'exact' | 'prefix' | 'suffix' | 'contains' | 'sha256' | 'sha512-256';

/** One catu rule: that part of the request URI must match value. */
export interface CatUriRule {
  readonly part: CatUriPart;
  readonly match: CatMatch;
  readonly value: string;
}

export interface CatRenewal {
  readonly type: 'automatic' | 'cookie' | 'header' | 'redirect';
  /** Seconds added to the renewed token's exp. */
  readonly expadd: number;
  /** Renew this many seconds before exp. */
  readonly deadline?: number;
  readonly cookieName?: string;
  readonly headerName?: string;
}

export interface CatClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp: number;
  readonly nbf?: number;
  readonly iat?: number;
  /** Token id (bytes), for replay detection with catreplay. */
  readonly cti?: Uint8Array;
  /** 0 replay permitted, 1 prohibited, 2 reuse detection. */
  readonly catreplay?: 0 | 1 | 2;
  /** URI rules, all of which must match. */
  readonly catu?: readonly CatUriRule[];
  readonly catr?: CatRenewal;
  /** ISO 3166 country codes the token may be used from. */
  readonly catgeoiso3166?: readonly string[];
}

export interface CatOptions {
  /** The key id, sent in the unprotected header. */
  readonly kid: string;
  /** The HMAC 256/256 key. */
  readonly key: Uint8Array;
  /** Wrap in the CWT tag (61) as well as the COSE_Mac0 tag (17). */
  readonly cwtTag?: boolean;
}

const LABEL = { iss: 1, sub: 2, aud: 3, exp: 4, nbf: 5, iat: 6, cti: 7, catreplay: 308, catv: 310, catu: 312, catgeoiso3166: 316, catr: 323 } as const;
const URI_PART: Record<CatUriPart, number> = { scheme: 0, host: 1, port: 2, path: 3, query: 4, 'parent-path': 5, filename: 6, stem: 7, extension: 8 };
const MATCH: Record<CatMatch, number> = { exact: 0, prefix: 1, suffix: 2, contains: 3, sha256: -1, 'sha512-256': -2 };
const RENEWAL_TYPE = { automatic: 0, cookie: 1, header: 2, redirect: 3 } as const;
/** COSE algorithm 5: HMAC w/ SHA-256, full 256-bit tag (RFC 9053 §3.1), as the protected header (also the WM token's). */
export const HMAC_256_PROTECTED = encodeCbor(new CborMap([[1, 5]]));
export const COSE_MAC0_TAG = 17;
export const CWT_TAG = 61;

/** The token, base64url without padding, as CAT is carried in URLs and headers. */
export function signCat(claims: CatClaims, options: CatOptions, crypto: CdnCrypto): Verdict<string> {
  return completeSync(planCat(claims, options), crypto);
}

/** signCat with async crypto (WebCrypto at the edge). */
export function signCatAsync(claims: CatClaims, options: CatOptions, crypto: CdnCryptoAsync): Promise<Verdict<string>> {
  return completeAsync(planCat(claims, options), crypto);
}

function planCat(claims: CatClaims, options: CatOptions): CdnPlan<string> {
  const entries = claimEntries(claims);
  if (typeof entries === 'string') return deny('bad_request', entries);
  if (options.key.length === 0 || options.kid === '') return deny('bad_request', 'kid and key must not be empty');
  const payload = encodeCbor(new CborMap(entries));
  const toBeMaced = encodeCbor(['MAC0', HMAC_256_PROTECTED, new Uint8Array(0), payload]);
  return {
    request: { op: 'hmac', hash: 'sha256', key: options.key, data: toBeMaced },
    finish: (tag) => {
      const mac0 = new CborTag(COSE_MAC0_TAG, [HMAC_256_PROTECTED, new CborMap([[4, new TextEncoder().encode(options.kid)]]), payload, tag]);
      return encodeBase64url(encodeCbor(options.cwtTag === true ? new CborTag(CWT_TAG, mac0) : mac0));
    },
  };
}

/**
 * The claims map in ascending label order, then catv (version 1) last, as @eyevinn/cat
 * writes it; or the reason it cannot be written.
 */
function claimEntries(c: CatClaims): Array<[number, CborValue]> | string {
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const time = c[name];
    // Below 2^32 (year 2106): beyond it cbor-x writes floats and @eyevinn/cat refuses integers.
    if ((name === 'exp' || time !== undefined) && !(isUnixSeconds(time!) && time! < 2 ** 32)) return `${name} must be Unix seconds before 2106`;
  }
  if (c.nbf !== undefined && c.nbf >= c.exp) return 'nbf must be before exp';
  const entries: Array<[number, CborValue]> = [];
  if (c.iss !== undefined) entries.push([LABEL.iss, c.iss]);
  if (c.sub !== undefined) entries.push([LABEL.sub, c.sub]);
  if (c.aud !== undefined) entries.push([LABEL.aud, typeof c.aud === 'string' ? c.aud : [...c.aud]]);
  entries.push([LABEL.exp, c.exp]);
  if (c.nbf !== undefined) entries.push([LABEL.nbf, c.nbf]);
  if (c.iat !== undefined) entries.push([LABEL.iat, c.iat]);
  if (c.cti !== undefined) {
    if (c.cti.length === 0 || c.cti.length > 64) return 'cti must be 1 to 64 bytes';
    entries.push([LABEL.cti, c.cti]);
  }
  if (c.catreplay !== undefined) {
    if (![0, 1, 2].includes(c.catreplay)) return 'catreplay must be 0, 1 or 2';
    entries.push([LABEL.catreplay, c.catreplay]);
  }
  if (c.catu !== undefined) {
    if (c.catu.length === 0 || new Set(c.catu.map((r) => r.part)).size !== c.catu.length) return 'catu needs one rule per URI part';
    if (c.catu.some((r) => !Object.hasOwn(URI_PART, r.part) || !Object.hasOwn(MATCH, r.match))) return 'catu rule has an unknown part or match type';
    entries.push([LABEL.catu, new CborMap(c.catu.map((r) => [URI_PART[r.part], new CborMap([[MATCH[r.match], r.value]])]))]);
  }
  if (c.catgeoiso3166 !== undefined) {
    if (c.catgeoiso3166.some((code) => !/^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$/.test(code))) return 'catgeoiso3166 takes ISO 3166 codes (SE, US-CA)';
    entries.push([LABEL.catgeoiso3166, [...c.catgeoiso3166]]);
  }
  if (c.catr !== undefined) {
    const r = c.catr;
    if (!Object.hasOwn(RENEWAL_TYPE, r.type) || !isUnixSeconds(r.expadd) || (r.deadline !== undefined && !Number.isSafeInteger(r.deadline))) {
      return 'catr needs a type and whole seconds for expadd and deadline';
    }
    const renewal: Array<[number, CborValue]> = [[0, RENEWAL_TYPE[r.type]], [1, r.expadd]];
    if (r.deadline !== undefined) renewal.push([2, r.deadline]);
    if (r.cookieName !== undefined) renewal.push([3, r.cookieName]);
    if (r.headerName !== undefined) renewal.push([4, r.headerName]);
    entries.push([LABEL.catr, new CborMap(renewal)]);
  }
  entries.push([LABEL.catv, 1]);
  return entries;
}
