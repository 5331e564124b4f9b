/**
 * The URL text a CloudFront policy names and the viewer then requests. CloudFront compares
 * the policy's Resource with the URL as it arrives, percent-encoded, so an unencoded space or
 * non-ASCII letter in the signed text can never match. This is the normalisation of
 * @aws-sdk/cloudfront-signer 3.1166 (its encodeUrlPath): each path segment decoded then encoded
 * with encodeURIComponent (so "%2f" and "/" stay distinct and existing escapes are not
 * doubled), each query name and value encoded with its %XX escapes upper-cased and '+' kept.
 */
import { isWellFormed } from './url-parts.js';

/** The encoded URL, or undefined when it is not http(s) with a path, or not valid UTF-16. */
export function encodeCloudFrontUrl(url: string): string | undefined {
  const match = /^(https?:\/\/[^/?#]+)(\/[^?#]*)(\?[^#]*)?$/.exec(url);
  if (match === null || !isWellFormed(url)) return undefined;
  const path = match[2]!.replace(/[^/]+/g, encodeSegment);
  const pairs = (match[3] ?? '?').slice(1).split('&').filter((pair) => pair !== '');
  const query = pairs.map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? `${encodeQueryPart(pair)}=` : `${encodeQueryPart(pair.slice(0, eq))}=${encodeQueryPart(pair.slice(eq + 1))}`;
  });
  return match[1]! + path + (query.length > 0 ? `?${query.join('&')}` : '');
}

function encodeSegment(segment: string): string {
  try {
    return encodeURIComponent(decodeURIComponent(segment));
  } catch {
    return encodeURIComponent(segment); // a stray '%' is text, as in the SDK
  }
}

function encodeQueryPart(part: string): string {
  return part
    .split(/(%[0-9A-Fa-f]{2}|\+)/)
    .map((piece, i) => (i % 2 === 1 ? piece.toUpperCase() : encodeURIComponent(piece).replace(/'/g, '%27')))
    .join('');
}
