/**
 * Secrets never appear in logs or error bodies. Threat: whoever reads a log line or an error
 * body (an operator, a log pipeline, a support ticket, a proxy that records responses) replays
 * the playback token it carries. Tokens travel in URL paths (path mode) and query strings
 * (query mode, CDN tokens), and a client may spell one URL many ways: percent-encoded
 * (`/v1/%73tream/…`, a fully encoded token), in any case, with double slashes, with broken
 * encodings. So redaction reads the URL decoded, and cuts three things:
 *   - by position: the segment after `stream` or `license/s`, in any case and spelling;
 *   - by name: the values of query parameters that carry tokens or CDN signatures;
 *   - by shape: anything that looks like a playback token (`tgp1.<kid>.…`) or a JWT, anywhere.
 * The logged URL is the decoded, redacted one, printable ASCII only (other bytes re-escaped):
 * a log line is for reading, and a literal token can hide behind no encoding there.
 */
const REDACTED = '[redacted]';
/** Playback tokens of any version (tgp1.<kid>.<payload>.<mac>) and JWTs (access tokens), any case. */
const SECRET_SHAPES = [/tgp\d+\.[A-Za-z0-9_.-]*/gi, /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?/g];
const SECRET_PARAMS = new Set(['tg', 'token', '__token__', 'hdnts', 'signature', 'policy', 'key-pair-id', 'verify', 'md5', 'axdrmmessage']);
/** Percent-encoding may be nested (%2574 → %74 → t); a few rounds reach every real spelling. */
const DECODE_ROUNDS = 4;

function decodeOnce(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Percent-decodes leniently (broken escapes stay as they are), bytes as Latin-1 characters. */
function decodeFully(text: string): string {
  let current = text;
  for (let round = 0; round < DECODE_ROUNDS && current.includes('%'); round++) {
    const next = decodeOnce(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

function redactShapes(text: string): string {
  return SECRET_SHAPES.reduce((out, shape) => out.replace(shape, REDACTED), text);
}

function redactPath(path: string): string {
  const segments = path.split('/');
  const before: string[] = []; // the non-empty segments so far, lower-cased
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '') continue;
    const [last, secondLast] = [before.at(-1), before.at(-2)];
    if (last === 'stream' || (last === 's' && secondLast === 'license')) segments[i] = REDACTED;
    before.push(segment.toLowerCase());
  }
  return segments.join('/');
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq >= 0 && SECRET_PARAMS.has(pair.slice(0, eq).trim().toLowerCase()) ? `${pair.slice(0, eq + 1)}${REDACTED}` : pair;
    })
    .join('&');
}

/** A request URL fit for a log line: decoded, tokens cut out, printable ASCII. */
export function redactUrl(url: string): string {
  const decoded = decodeFully(url);
  const q = decoded.indexOf('?');
  const path = redactPath(q < 0 ? decoded : decoded.slice(0, q));
  const query = q < 0 ? '' : `?${redactQuery(decoded.slice(q + 1))}`;
  return redactShapes(path + query).replace(/[^\x21-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Free text (an error message, a stack) with every token-shaped string cut out, in any encoding. */
export function redactText(text: string): string {
  const plain = redactShapes(text);
  if (!plain.includes('%')) return plain;
  const decoded = decodeFully(plain);
  return redactShapes(decoded) === decoded ? plain : redactShapes(decoded);
}
