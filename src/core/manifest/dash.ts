/**
 * DASH MPD rewriting (ISO/IEC 23009-1): every URL a player will fetch passes through one
 * mapper. Threats as for HLS: a URL that escapes the mapper, a rewrite that corrupts the
 * document, a mapped value that breaks out of its attribute or element, an inline `data:`
 * URI mangled. A careful string-level pass instead of a DOM (core has no XML dependency and
 * must keep every other byte): comments, CDATA, processing instructions and the doctype are
 * skipped, attributes are read with their quotes, values are entity-decoded for the mapper
 * and escaped back, and an unchanged value keeps its original spelling. Malformed markup
 * stops the pass; the rest is copied as is.
 */
import { isOpaqueUri } from './uri.js';
import { decodeXmlText, encodeXmlText } from './xml-text.js';

/**
 * 'base' BaseURL (resolution base: in query mode a token belongs on the URLs resolved
 * against it, not on it); 'segment', 'init', 'index' media, initialization and index
 * URLs or templates (with their $Number$-style identifiers); 'license' DRM license URLs
 * (dashif:laurl, clearkey:Laurl); 'other' MPD Location / PatchLocation.
 */
export type DashUriKind = 'base' | 'segment' | 'init' | 'index' | 'license' | 'other';
export type DashUriMapper = (uri: string, kind: DashUriKind) => string;

/** URL attributes by element local name. */
const URL_ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, DashUriKind>>>> = {
  SegmentTemplate: { media: 'segment', initialization: 'init', index: 'index' },
  SegmentURL: { media: 'segment', index: 'index' },
  Initialization: { sourceURL: 'init' },
  RepresentationIndex: { sourceURL: 'index' },
};

/** Elements whose text content is a URL, by local name (any namespace prefix). */
const URL_ELEMENTS: Readonly<Record<string, DashUriKind>> = {
  BaseURL: 'base',
  laurl: 'license', // dashif:laurl (DASH-IF content protection)
  Laurl: 'license', // clearkey:Laurl (DASH-IF ClearKey)
  Location: 'other',
  PatchLocation: 'other',
};

export function rewriteDashMpd(xml: string, mapUri: DashUriMapper): string {
  let out = '';
  let copied = 0; // xml[0, copied) is already in out
  let pos = 0;
  for (let lt = xml.indexOf('<', pos); lt >= 0; lt = xml.indexOf('<', pos)) {
    const skipTo = skipNonElement(xml, lt);
    if (skipTo !== undefined) {
      if (skipTo < 0) break;
      pos = skipTo;
      continue;
    }
    const tag = readStartTag(xml, lt);
    if (tag === undefined) break;
    pos = tag.end;
    const attributeKinds = URL_ATTRIBUTES[tag.localName];
    for (const attr of tag.attributes) {
      const kind = attributeKinds !== undefined && Object.hasOwn(attributeKinds, attr.name) ? attributeKinds[attr.name] : undefined;
      const mapped = kind === undefined ? undefined : mapValue(xml.slice(attr.start, attr.end), kind, mapUri, attr.quote);
      if (mapped === undefined) continue;
      out += xml.slice(copied, attr.start) + mapped;
      copied = attr.end;
    }
    const textKind = Object.hasOwn(URL_ELEMENTS, tag.localName) ? URL_ELEMENTS[tag.localName] : undefined;
    if (textKind === undefined || tag.selfClosing) continue;
    const textEnd = xml.indexOf('<', pos);
    if (textEnd < 0 || !isEndTag(xml, textEnd, tag.name)) continue;
    const raw = xml.slice(pos, textEnd);
    const lead = raw.length - raw.trimStart().length;
    const value = raw.trim();
    const mapped = mapValue(value, textKind, mapUri, undefined);
    if (mapped !== undefined) {
      out += xml.slice(copied, pos + lead) + mapped;
      copied = pos + lead + value.length;
    }
    pos = textEnd;
  }
  return out + xml.slice(copied);
}

/** The escaped mapped value, or undefined to keep the original bytes. */
function mapValue(raw: string, kind: DashUriKind, mapUri: DashUriMapper, quote: '"' | "'" | undefined): string | undefined {
  const uri = decodeXmlText(raw);
  if (uri === undefined || uri === '' || isOpaqueUri(uri)) return undefined;
  const mapped = mapUri(uri, kind);
  return mapped === uri ? undefined : encodeXmlText(mapped, quote);
}

/**
 * For markup that is not a start tag (comment, CDATA, processing instruction, doctype, end
 * tag): the index after it, or -1 if unterminated. Undefined for a start tag.
 */
function skipNonElement(xml: string, lt: number): number | undefined {
  const after = (terminator: string, from: number): number => {
    const at = xml.indexOf(terminator, from);
    return at < 0 ? -1 : at + terminator.length;
  };
  if (xml.startsWith('<!--', lt)) return after('-->', lt + 4);
  if (xml.startsWith('<![CDATA[', lt)) return after(']]>', lt + 9);
  if (xml.startsWith('<?', lt)) return after('?>', lt + 2);
  if (xml.startsWith('<!', lt)) {
    // A doctype may hold an internal subset in [...] whose declarations contain '>'.
    const close = xml.indexOf('>', lt);
    const bracket = xml.indexOf('[', lt);
    const from = bracket >= 0 && (close < 0 || bracket < close) ? after(']', bracket) : lt;
    return from < 0 ? -1 : after('>', from);
  }
  if (xml.startsWith('</', lt)) return after('>', lt);
  return undefined;
}

interface StartTag {
  readonly name: string;
  readonly localName: string;
  readonly attributes: { name: string; start: number; end: number; quote: '"' | "'" }[];
  /** Index after the closing '>'. */
  readonly end: number;
  readonly selfClosing: boolean;
}

function readStartTag(xml: string, lt: number): StartTag | undefined {
  let i = lt + 1;
  const nameStart = i;
  while (i < xml.length && !isSpace(xml.charCodeAt(i)) && xml[i] !== '/' && xml[i] !== '>') i++;
  const name = xml.slice(nameStart, i);
  if (name === '') return undefined;
  const attributes: StartTag['attributes'] = [];
  for (;;) {
    while (isSpace(xml.charCodeAt(i))) i++;
    if (xml[i] === '>') return { name, localName: localName(name), attributes, end: i + 1, selfClosing: false };
    if (xml.startsWith('/>', i)) return { name, localName: localName(name), attributes, end: i + 2, selfClosing: true };
    const attrStart = i;
    while (i < xml.length && !isSpace(xml.charCodeAt(i)) && xml[i] !== '=' && xml[i] !== '>' && xml[i] !== '/') i++;
    const attrName = xml.slice(attrStart, i);
    while (isSpace(xml.charCodeAt(i))) i++;
    if (attrName === '' || xml[i] !== '=') return undefined;
    i++;
    while (isSpace(xml.charCodeAt(i))) i++;
    const quote = xml[i];
    if (quote !== '"' && quote !== "'") return undefined;
    const close = xml.indexOf(quote, i + 1);
    if (close < 0) return undefined;
    attributes.push({ name: attrName, start: i + 1, end: close, quote });
    i = close + 1;
  }
}

/** `</name` followed by optional blanks and `>`. */
function isEndTag(xml: string, lt: number, name: string): boolean {
  if (!xml.startsWith('</', lt) || !xml.startsWith(name, lt + 2)) return false;
  let i = lt + 2 + name.length;
  while (isSpace(xml.charCodeAt(i))) i++;
  return xml[i] === '>';
}

function localName(qname: string): string {
  return qname.slice(qname.indexOf(':') + 1);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
