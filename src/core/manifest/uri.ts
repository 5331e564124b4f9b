/**
 * URI helpers shared by the manifest rewriters. Threats: tokenising a URI that is not a
 * location — a FairPlay `skd:` key identifier or an inline `data:` URI would be corrupted and
 * playback broken — and leaving a stale token beside a fresh one in a query, where which one
 * a server reads is up to the server.
 */

/** `data:` and `skd:` URIs are content, not locations: rewriters leave them byte-for-byte. */
export function isOpaqueUri(uri: string): boolean {
  return hasScheme(uri, 'data:') || hasScheme(uri, 'skd:');
}

/**
 * Adds `name=token` to the query of a relative or absolute URI (query mode), before any
 * fragment, replacing parameters of that name and keeping all others as written. Opaque URIs
 * come back unchanged. Template identifiers (`$Number$`) survive: tokens contain no `$`.
 */
export function withQueryToken(uri: string, token: string, name = 'tg'): string {
  if (isOpaqueUri(uri)) return uri;
  const hash = uri.indexOf('#');
  const beforeFragment = hash < 0 ? uri : uri.slice(0, hash);
  const fragment = hash < 0 ? '' : uri.slice(hash);
  const question = beforeFragment.indexOf('?');
  const path = question < 0 ? beforeFragment : beforeFragment.slice(0, question);
  const param = encodeURIComponent(name);
  const kept =
    question < 0
      ? []
      : beforeFragment
          .slice(question + 1)
          .split('&')
          .filter((p) => p !== '' && p !== param && !p.startsWith(`${param}=`));
  kept.push(`${param}=${encodeURIComponent(token)}`);
  return `${path}?${kept.join('&')}${fragment}`;
}

/** Case-insensitive scheme prefix (RFC 3986 §3.1); `scheme` is given in lower case. */
function hasScheme(uri: string, scheme: string): boolean {
  if (uri.length < scheme.length) return false;
  for (let i = 0; i < scheme.length; i++) {
    const c = uri.charCodeAt(i);
    const lower = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    if (lower !== scheme.charCodeAt(i)) return false;
  }
  return true;
}
