/**
 * Secrets never appear in logs. Playback tokens travel in URL paths (path mode) and query
 * strings (query mode, CDN tokens), so every URL is passed through here before it is logged.
 */
const PATH_TOKEN = /(\/v1\/(?:stream|license\/s)\/)[^/?#]+/;
const QUERY_SECRET = /([?&](?:tg|token|__token__|hdnts|Signature|Policy|Key-Pair-Id|verify|md5|AxDrmMessage)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(PATH_TOKEN, '$1[redacted]').replace(QUERY_SECRET, '$1[redacted]');
}
