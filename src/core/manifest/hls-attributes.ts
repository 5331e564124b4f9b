/**
 * RFC 8216 §4.2 attribute lists: `NAME=value,NAME="quoted, with commas",…`. Only positions
 * are returned, so a rewriter can replace one value and keep every other byte.
 */

export interface Attribute {
  readonly name: string;
  /** Value bounds in the line; for a quoted string, inside the quotes. */
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
}

const COMMA = 0x2c;
const QUOTE = 0x22;

/**
 * Parses the attribute list of `line` from `from` to the end of the line. Undefined when it
 * is malformed (no `=`, an unterminated quote, junk after a closing quote): callers then
 * leave the line alone. Blanks around names are tolerated, as players do.
 */
export function parseAttributeList(line: string, from: number): Attribute[] | undefined {
  const attributes: Attribute[] = [];
  let i = from;
  while (i < line.length) {
    while (isBlank(line.charCodeAt(i))) i++;
    const eq = line.indexOf('=', i);
    if (eq <= i) return undefined;
    let nameEnd = eq;
    while (isBlank(line.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = line.slice(i, nameEnd);
    let next: number;
    if (line.charCodeAt(eq + 1) === QUOTE) {
      const close = line.indexOf('"', eq + 2);
      if (close < 0) return undefined;
      attributes.push({ name, start: eq + 2, end: close, quoted: true });
      next = close + 1;
      while (isBlank(line.charCodeAt(next))) next++;
      if (next < line.length && line.charCodeAt(next) !== COMMA) return undefined;
    } else {
      const comma = line.indexOf(',', eq + 1);
      next = comma < 0 ? line.length : comma;
      attributes.push({ name, start: eq + 1, end: next, quoted: false });
    }
    i = next + 1;
  }
  return attributes;
}

export function findAttribute(attributes: readonly Attribute[], name: string): Attribute | undefined {
  for (const a of attributes) if (a.name === name) return a;
  return undefined;
}

/** Space or tab: what players tolerate around names and URIs. */
export function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
