/**
 * Strict JSON for signed tokens. Threat: one signed text that parsers read differently
 * (RFC 8725 §2.6, RFC 7519 §4). JSON.parse keeps the last of duplicate member names, so
 * `{"sub":"user-42","sub":"admin"}` means "admin" here and "user-42" to a first-wins parser
 * elsewhere; `{"alg":"none","alg":"EdDSA"}` passes a check that read the other copy. Deep
 * nesting is refused before any recursive work so a small hostile token cannot cost much.
 * Standard JS only (edge runtimes).
 */
export type StrictJson =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'syntax' | 'duplicate member' | 'too deep' };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses `text` as JSON, refusing duplicate member names in any object (compared after
 * unescaping, so `"sub"` and `"s\u0075b"` collide) and nesting deeper than `maxDepth`.
 */
export function parseStrictJson(text: string, maxDepth: number): StrictJson {
  const scan = scanMembers(text, maxDepth);
  if (scan !== undefined) return { ok: false, reason: scan };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'syntax' };
  }
}

/**
 * One iterative pass over the text tracking the open containers. It is exact for valid JSON
 * and merely has to terminate on invalid JSON, which JSON.parse refuses afterwards.
 */
function scanMembers(text: string, maxDepth: number): 'syntax' | 'duplicate member' | 'too deep' | undefined {
  // Per open container: the member names seen so far (object) or null (array).
  const open: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      if (expectName) {
        const names = open[open.length - 1];
        let name: unknown;
        try {
          name = JSON.parse(text.slice(i, end + 1));
        } catch {
          return 'syntax';
        }
        if (names === undefined || names === null || typeof name !== 'string') return 'syntax';
        if (names.has(name)) return 'duplicate member';
        names.add(name);
        expectName = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (open.length >= maxDepth) return 'too deep';
      open.push(c === 0x7b ? new Set() : null);
      expectName = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
      expectName = false;
    } else if (c === 0x2c /* , */) {
      expectName = open[open.length - 1] instanceof Set;
    }
  }
  return undefined;
}
