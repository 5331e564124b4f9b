/**
 * Akamai EdgeAuth token v2 ("Auth Token 2.0", reference/FORMATS.md §1), as npm
 * akamai-edgeauth 0.2.0 and Akamai's EdgeAuth-Token-Python make it:
 * `[ip=…~][st=…~]exp=…[~acl=…][~id=…][~data=…]~hmac=<hex>`, the HMAC also covering `url=…`
 * (URL tokens) and `salt=…`, which are never sent. Threat: a token whose fields can be read
 * two ways — a value holding the field delimiter would let `exp` or `acl` be smuggled past
 * the edge's parser under the same HMAC — so such values are refused, not passed through;
 * and state kept between calls (the npm library writes its defaults into the caller's
 * options object) — each call here is a pure function of its arguments.
 */
import { deny, type Verdict } from '../errors.js';
import { type CdnCrypto, type CdnCryptoAsync, type CdnHash, type CdnPlan, completeAsync, completeSync } from './crypto.js';
import { fromHex, isUnixSeconds, toHex } from './encoding.js';
import { appendQuery, isWellFormed } from './url-parts.js';

export interface AkamaiOptions {
  /** The property's token key: even-length hex, used as the hex-decoded bytes. */
  readonly key: string;
  /** ACL token: one path pattern (`*`, `?` wildcards) or several. Exactly one of acl and url. */
  readonly acl?: string | readonly string[];
  /** URL token: the request path it is good for (signed, not sent). */
  readonly url?: string;
  /** `st`, Unix seconds; absent: valid from any time. */
  readonly start?: number;
  /** `exp`, Unix seconds. */
  readonly expires: number;
  readonly ip?: string;
  readonly sessionId?: string;
  readonly payload?: string;
  readonly salt?: string;
  /** sha256 (the default), sha1 or md5. */
  readonly algorithm?: CdnHash;
  /** Must match the property's "Escape token input": percent-encodes ip, id, data and url. */
  readonly escapeEarly?: boolean;
  /** One character; `~` by default. */
  readonly fieldDelimiter?: string;
  /** Joins several ACLs; `!` by default. */
  readonly aclDelimiter?: string;
}

/** Characters the edge's parser cannot take as a delimiter. */
const NOT_A_DELIMITER = /[a-zA-Z0-9=&/\\:%]/;

export function signAkamaiToken(options: AkamaiOptions, crypto: CdnCrypto): Verdict<string> {
  return completeSync(planAkamaiToken(options), crypto);
}

/** signAkamaiToken with async crypto (WebCrypto at the edge). */
export function signAkamaiTokenAsync(options: AkamaiOptions, crypto: CdnCryptoAsync): Promise<Verdict<string>> {
  return completeAsync(planAkamaiToken(options), crypto);
}

function planAkamaiToken(options: AkamaiOptions): CdnPlan<string> {
  const key = fromHex(options.key);
  if (key === undefined || key.length === 0) return deny('bad_request', 'key must be even-length hex');
  const field = options.fieldDelimiter ?? '~';
  const aclDelimiter = options.aclDelimiter ?? '!';
  for (const d of [field, aclDelimiter]) {
    if ([...d].length !== 1 || NOT_A_DELIMITER.test(d)) return deny('bad_request', `delimiter "${d}" must be one character other than a-z A-Z 0-9 = & / \\ : %`);
  }
  if ((options.acl === undefined) === (options.url === undefined)) return deny('bad_request', 'give exactly one of acl and url');
  if (!isUnixSeconds(options.expires)) return deny('bad_request', 'expires must be Unix seconds');
  if (options.start !== undefined && (!isUnixSeconds(options.start) || options.start >= options.expires)) {
    return deny('bad_request', 'start must be Unix seconds before expires');
  }
  const acls = typeof options.acl === 'string' ? [options.acl] : options.acl;
  if (acls !== undefined && (acls.length === 0 || acls.some((a) => a === '' || a.includes(aclDelimiter)))) {
    return deny('bad_request', `each acl must be a non-empty path without "${aclDelimiter}"`);
  }
  const texts = [options.ip, options.sessionId, options.payload, options.url, options.salt, ...(acls ?? [])];
  if (!texts.every((t) => t === undefined || isWellFormed(t))) return deny('bad_request', 'token fields must be valid UTF-16 text');
  const escape = options.escapeEarly === true ? escapeEarly : (text: string) => text;
  const fields: string[] = [];
  if (options.ip) fields.push(`ip=${escape(options.ip)}`);
  if (options.start !== undefined) fields.push(`st=${options.start}`);
  fields.push(`exp=${options.expires}`);
  if (acls !== undefined) fields.push(`acl=${acls.join(aclDelimiter)}`);
  if (options.sessionId) fields.push(`id=${escape(options.sessionId)}`);
  if (options.payload) fields.push(`data=${escape(options.payload)}`);
  const signed = [...fields];
  if (options.url !== undefined) signed.push(`url=${escape(options.url)}`);
  if (options.salt) signed.push(`salt=${options.salt}`);
  if (signed.some((f) => f.includes(field))) {
    return deny('bad_request', `a token field contains the field delimiter "${field}" (turn on escape-early or choose another delimiter)`);
  }
  return {
    request: { op: 'hmac', hash: options.algorithm ?? 'sha256', key, data: new TextEncoder().encode(signed.join(field)) },
    finish: (mac) => `${fields.join(field)}${field}hmac=${toHex(mac)}`,
  };
}

/**
 * "Escape token input" as akamai-edgeauth does it: encodeURIComponent, then `~ ' *` encoded
 * too and every escape in lower case. (Akamai's Python library uses quote_plus instead; which
 * one the edge expects is not documented, reference/FORMATS.md §1.)
 */
function escapeEarly(text: string): string {
  return encodeURIComponent(text)
    .replace(/[~'*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)
    .replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
}

/** The URL with the token as its `tokenName` query parameter (`__token__` by default). */
export function akamaiSignedUrl(url: string, token: string, tokenName = '__token__'): string {
  return appendQuery(url, `${tokenName}=${token}`);
}
