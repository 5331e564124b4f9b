/**
 * XML character data for the MPD rewriter: the mapper sees a URI as the player will (after
 * entity decoding: `a?x=1&amp;y=2` is `a?x=1&y=2`), and its result is escaped back so it
 * cannot close the attribute or open markup.
 */

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Decodes the five predefined entities and character references (XML 1.0 §4.6, §4.1).
 * Undefined for anything else (an entity declared in a DTD): such a value is left alone.
 */
export function decodeXmlText(raw: string): string | undefined {
  if (raw.indexOf('&') < 0) return raw;
  let out = '';
  let pos = 0;
  for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', pos)) {
    const semi = raw.indexOf(';', amp);
    if (semi < 0) return undefined;
    const char = decodeReference(raw.slice(amp + 1, semi));
    if (char === undefined) return undefined;
    out += raw.slice(pos, amp) + char;
    pos = semi + 1;
  }
  return out + raw.slice(pos);
}

/** Escapes text for element content or for an attribute value delimited by `quote`. */
export function encodeXmlText(text: string, quote?: '"' | "'"): string {
  let out = '';
  for (const ch of text) {
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === quote) out += ch === '"' ? '&quot;' : '&apos;';
    else out += ch;
  }
  return out;
}

function decodeReference(name: string): string | undefined {
  if (name.charCodeAt(0) !== 0x23 /* # */) return Object.hasOwn(NAMED, name) ? NAMED[name] : undefined;
  const hex = name.charCodeAt(1) === 0x78; /* x */
  const digits = name.slice(hex ? 2 : 1);
  if (digits.length === 0 || digits.length > 6) return undefined;
  const code = Number.parseInt(digits, hex ? 16 : 10);
  const valid = hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/;
  if (!valid.test(digits) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0) return undefined;
  return String.fromCodePoint(code);
}
