/**
 * Headers every response carries (the fast gateway path included). HSTS goes out when
 * clients reach Tollgate over HTTPS: it serves TLS itself, or its public URL is https (TLS
 * ended by a proxy in front). Browsers ignore it over plain HTTP (RFC 6797 §8.1).
 */
export function securityHeaders(publicUrl: string, servesTls: boolean): Readonly<Record<string, string>> {
  return Object.freeze({
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    ...(servesTls || publicUrl.startsWith('https:') ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  });
}
