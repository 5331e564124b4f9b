/** The parts of a URL the CDN formats sign, found without a URL parser (core runs anywhere). */

/** The path and query of an absolute http(s) URL or of a path starting with '/'. */
export function pathAndQuery(url: string): { path: string; query: string } | undefined {
  const match = /^(?:https?:\/\/[^/?#]+)?(\/[^?#]*)(\?[^#]*)?$/.exec(url);
  return match === null ? undefined : { path: match[1]!, query: match[2] ?? '' };
}

/** The URL with one more query parameter, which ends up last (Cloudflare requires it there). */
export function appendQuery(url: string, parameter: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${parameter}`;
}

/** encodeURIComponent and TextEncoder need well-formed UTF-16: a lone surrogate has no UTF-8 form. */
export function isWellFormed(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}
