/**
 * Per-session segment URLs in a DASH MPD (watermarked titles at an edge, docs/WATERMARK.md):
 * a SegmentTemplate's `$Number$` media template names every segment of a Representation with
 * one URI, so it cannot name each session's own variant of each segment. This turns such a
 * SegmentTemplate with a SegmentTimeline into the equivalent SegmentList (ISO/IEC 23009-1
 * §5.3.9.3): the same attributes (timescale, presentationTimeOffset, startNumber…), an
 * Initialization element for its initialization URL, the same timeline, and one SegmentURL per
 * segment, its media URL chosen by the caller from the segment's number. Threat: a rewrite that
 * gives a segment the wrong number (a session then served another moment's variant, or a
 * player out of step): numbers are startNumber plus the position in the expanded timeline, as
 * the template would number them. A template this pass does not fully understand (another
 * identifier than $Number$, a negative or open repeat, no timeline, an index or bitstream
 * switching URL, entities it cannot decode) is left as it is.
 */
import { decodeXmlText, encodeXmlText } from './xml-text.js';

/** For a media template, the media URL of each segment number; undefined (for the template or any number) keeps the template. */
export type SegmentUrls = (mediaTemplate: string) => ((number: number) => string | undefined) | undefined;

/** A SegmentTemplate with content (a self-closing one has no timeline and is never matched). */
const TEMPLATE = /<SegmentTemplate\b((?:[^>]*[^/>])?)>([\s\S]*?)<\/SegmentTemplate>/g;
const ATTRIBUTE = /\s([A-Za-z_][\w.-]*)="([^"<]*)"/g;
const TIMELINE = /^\s*<SegmentTimeline>((?:\s*<S\b[^>]*\/>)+)\s*<\/SegmentTimeline>\s*$/;
const S_ELEMENT = /<S\b([^>]*)\/>/g;
/** The template identifiers a segment number fills: $Number$ with an optional %0Nd width, and $$. */
const IDENTIFIER = /^\$(?:Number(?:%0(\d)d)?)?\$$/;

/** The media templates of the MPD's SegmentTemplates, decoded, in document order. */
export function segmentMediaTemplates(xml: string): string[] {
  return [...xml.matchAll(TEMPLATE)].map((m) => decodeXmlText(attributes(m[1]!).get('media') ?? '')).filter((t): t is string => t !== undefined && t !== '');
}

export function segmentTemplatesToLists(xml: string, urls: SegmentUrls): string {
  return xml.replace(TEMPLATE, (whole, rawAttributes: string, body: string) => {
    const attrs = attributes(rawAttributes);
    const media = decodeXmlText(attrs.get('media') ?? '');
    const timeline = TIMELINE.exec(body);
    const understood = rawAttributes.replace(ATTRIBUTE, '').trim() === '';
    if (!understood || media === undefined || media === '' || expandNumber(media, 1) === undefined || timeline === null || attrs.has('index') || attrs.has('bitstreamSwitching')) return whole;
    const count = segmentCount(timeline[1]!);
    const urlOf = urls(media);
    const startNumber = Number(attrs.get('startNumber') ?? '1');
    if (count === undefined || urlOf === undefined || !Number.isSafeInteger(startNumber) || startNumber < 0) return whole;
    const initialization = attrs.has('initialization') ? decodeXmlText(attrs.get('initialization')!) : undefined;
    if (attrs.has('initialization') && (initialization === undefined || initialization.includes('$'))) return whole;
    const kept = [...attrs].filter(([name]) => name !== 'media' && name !== 'initialization').map(([name, value]) => ` ${name}="${value}"`);
    const mediaUrls = Array.from({ length: count }, (_, i) => urlOf(startNumber + i));
    if (mediaUrls.some((url) => url === undefined)) return whole;
    const segmentUrls = mediaUrls.map((url) => `<SegmentURL media="${encodeXmlText(url!, '"')}"/>`);
    return [
      `<SegmentList${kept.join('')}>`,
      ...(initialization === undefined ? [] : [`<Initialization sourceURL="${encodeXmlText(initialization, '"')}"/>`]),
      `<SegmentTimeline>${timeline[1]!.trim()}</SegmentTimeline>`,
      ...segmentUrls,
      '</SegmentList>',
    ].join('');
  });
}

/** The template's media URL of segment `number`; undefined for an identifier other than $Number$. */
export function expandNumber(template: string, number: number): string | undefined {
  let unknown = false;
  const url = template.replace(/\$[^$]*\$/g, (identifier) => {
    const known = IDENTIFIER.exec(identifier);
    if (known === null) {
      unknown = true;
      return identifier;
    }
    if (identifier === '$$') return '$';
    return String(number).padStart(Number(known[1] ?? 0), '0');
  });
  return unknown ? undefined : url;
}

/** Segments of a timeline (each S is 1 + r of them); undefined for a negative, open or malformed repeat. */
function segmentCount(timeline: string): number | undefined {
  let count = 0;
  for (const s of timeline.matchAll(S_ELEMENT)) {
    const r = attributes(s[1]!).get('r') ?? '0';
    if (!/^\d{1,6}$/.test(r)) return undefined;
    count += Number(r) + 1;
  }
  return count > 0 && count <= 100_000 ? count : undefined;
}

function attributes(raw: string): Map<string, string> {
  return new Map([...` ${raw}`.matchAll(ATTRIBUTE)].map((m) => [m[1]!, m[2]!]));
}
