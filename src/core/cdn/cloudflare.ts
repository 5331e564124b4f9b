/**
 * Cloudflare token authentication: the `verify=<timestamp>-<mac>` parameter that a WAF rule
 * checks with `is_timed_hmac_valid_v0(key, http.request.uri, ttl, now, len("?verify="))`
 * (reference/FORMATS.md §4): mac = Base64(HMAC-SHA256(key, message || timestamp)), where the
 * message is the request URI before the separator. Threat: a token valid for other paths or
 * for longer than meant — the MAC covers the whole path and query it is appended to, the
 * parameter goes last (the rule reads everything before it as the message) and the timestamp
 * is the issue time, so the lifetime is the rule's ttl, which the signer cannot stretch.
 */
import { encodeBase64url } from '../base64url.js';
import { deny, type Verdict } from '../errors.js';
import { type CdnCrypto, type CdnCryptoAsync, type CdnPlan, completeAsync, completeSync } from './crypto.js';
import { encodeBase64 } from './encoding.js';
import { appendQuery, isWellFormed, pathAndQuery } from './url-parts.js';

export interface CloudflareOptions {
  /** Absolute URL or path; its path and query are the signed message. */
  readonly url: string;
  /** The rule's key, used as its UTF-8 bytes. */
  readonly secret: string;
  /** Issue time, Unix seconds: exactly ten digits, as the rule's regex requires. */
  readonly timestamp: number;
  /** Query parameter name; `verify` as in Cloudflare's documentation. */
  readonly parameter?: string;
  /** The rule's "s" flag: base64url without padding instead of URL-encoded Base64. */
  readonly urlSafe?: boolean;
}

export function signCloudflareUrl(options: CloudflareOptions, crypto: CdnCrypto): Verdict<string> {
  return completeSync(planCloudflareUrl(options), crypto);
}

/** signCloudflareUrl with async crypto (WebCrypto at the edge). */
export function signCloudflareUrlAsync(options: CloudflareOptions, crypto: CdnCryptoAsync): Promise<Verdict<string>> {
  return completeAsync(planCloudflareUrl(options), crypto);
}

function planCloudflareUrl(options: CloudflareOptions): CdnPlan<string> {
  const parts = pathAndQuery(options.url);
  if (parts === undefined || !isWellFormed(options.url)) return deny('bad_request', 'url must be an absolute http(s) URL or a path');
  if (!Number.isSafeInteger(options.timestamp) || options.timestamp < 1e9 || options.timestamp > 9_999_999_999) {
    return deny('bad_request', 'timestamp must be Unix seconds of ten digits');
  }
  if (options.secret === '') return deny('bad_request', 'secret must not be empty');
  const parameter = options.parameter ?? 'verify';
  if (!/^[A-Za-z0-9_-]+$/.test(parameter)) return deny('bad_request', 'parameter must be a plain query name');
  const encoder = new TextEncoder();
  const message = `${parts.path}${parts.query}${options.timestamp}`;
  return {
    request: { op: 'hmac', hash: 'sha256', key: encoder.encode(options.secret), data: encoder.encode(message) },
    finish: (mac) => {
      const text = options.urlSafe === true ? encodeBase64url(mac) : encodeURIComponent(encodeBase64(mac));
      return appendQuery(options.url, `${parameter}=${options.timestamp}-${text}`);
    },
  };
}
