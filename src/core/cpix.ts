/**
 * A title's content keys as a DASH-IF CPIX 2.4 document (Content Protection Information
 * Exchange), so another packager or DRM service can use the keys Tollgate made. The keys are
 * written in the clear (no DeliveryDataList, which CPIX allows): the document is exactly as
 * secret as the keys and must only travel to a trusted party over a protected channel.
 *
 * Usage rules map each key to the tracks it encrypts. CPIX calls a document invalid when one
 * track (in one key period) could match two keys, so the rules partition the tracks: audio,
 * video by encoded pixel count, key periods by id, and HLS against DASH by a label when a
 * title has both. Every refusal is a TypeError: the input is Tollgate's own key set, and a
 * wrong one is a bug to surface, not a document to write.
 */
import { KEY_BYTES, encodeBase64, isKidHex, kidToUuid } from './drm/kid.js';

export interface CpixContentKey {
  /** 32 lower-case hex digits. */
  readonly kid: string;
  readonly key: Uint8Array;
  /** 'hls', 'audio', 'sd', 'hd' or 'uhd'; '<label>@<n>' for key rotation period n, e.g. 'sd@1'. */
  readonly label: string;
}

export interface CpixDrmSystem {
  /** UUID text, e.g. e2719d58-a985-b3c9-781a-b030af78d30e (Clear Key in DASH). */
  readonly systemId: string;
  /** Kid (32 hex) of one of the document's keys. */
  readonly kid: string;
  /** The whole 'pssh' box for that key. */
  readonly pssh?: Uint8Array;
}

export interface CpixInput {
  readonly contentId: string;
  readonly name?: string;
  readonly keys: readonly CpixContentKey[];
  readonly drmSystems?: readonly CpixDrmSystem[];
}

type Tier = 'hls' | 'audio' | 'sd' | 'hd' | 'uhd';

/** Video tiers with the largest encoded frame (width × height) each nominally holds. */
const VIDEO_TIERS: readonly (readonly [Tier, number])[] = [
  ['sd', 1024 * 576],
  ['hd', 1920 * 1080],
  ['uhd', Infinity],
];

/** intendedTrackType values, in the vocabulary SPEKE v2 and the CPIX examples use. */
const TRACK_TYPE: Readonly<Record<Tier, string>> = { hls: 'ALL', audio: 'AUDIO', sd: 'SD', hd: 'HD', uhd: 'UHD' };

const LABEL = /^(hls|audio|sd|hd|uhd)(?:@(0|[1-9][0-9]{0,8}))?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Characters XML 1.0 cannot carry at all, escaped or not (and unpaired surrogates). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

interface Entry {
  readonly key: CpixContentKey;
  readonly uuid: string;
  readonly tier: Tier;
  readonly period: number | undefined;
}

type Attributes = Readonly<Record<string, string | number | undefined>>;

export function buildCpix(input: CpixInput): string {
  if (input.contentId === '') throw new TypeError('buildCpix: contentId must not be empty');
  if (input.keys.length === 0) throw new TypeError('buildCpix: a CPIX document needs at least one key');
  const entries = input.keys.map(entry);
  const periods = checkCoverage(entries);
  const uuids = new Map(entries.map((e) => [e.key.kid, e.uuid]));
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    element('CPIX', {
      xmlns: 'urn:dashif:org:cpix',
      'xmlns:pskc': 'urn:ietf:params:xml:ns:keyprov:pskc',
      contentId: input.contentId,
      name: input.name,
      version: '2.4',
    }),
  );
  lines.push('  <ContentKeyList>');
  for (const e of entries) {
    // commonEncryptionScheme: a CENC scheme, or an HLS METHOD for HLS keys (CPIX 2.4 §ContentKey).
    lines.push(`    ${element('ContentKey', { kid: e.uuid, commonEncryptionScheme: e.tier === 'hls' ? 'AES-128' : 'cenc' })}`);
    lines.push(`      <Data><pskc:Secret><pskc:PlainValue>${encodeBase64(e.key.key)}</pskc:PlainValue></pskc:Secret></Data>`);
    lines.push('    </ContentKey>');
  }
  lines.push('  </ContentKeyList>');
  const systems = input.drmSystems ?? [];
  // CPIX 2.4 wants every list present to hold at least one child, so empty lists are left out.
  if (systems.length > 0) {
    lines.push('  <DRMSystemList>');
    for (const s of systems) lines.push(...drmSystem(s, uuids));
    lines.push('  </DRMSystemList>');
  }
  if (periods.length > 0) {
    lines.push('  <ContentKeyPeriodList>');
    for (const n of periods) lines.push(`    ${element('ContentKeyPeriod', { id: periodId(n), index: n }, true)}`);
    lines.push('  </ContentKeyPeriodList>');
  }
  lines.push('  <ContentKeyUsageRuleList>');
  for (const e of entries) lines.push(...usageRule(e, entries));
  lines.push('  </ContentKeyUsageRuleList>', '</CPIX>', '');
  return lines.join('\n');
}

function entry(key: CpixContentKey): Entry {
  if (!isKidHex(key.kid)) throw new TypeError('buildCpix: a kid must be 32 lower-case hex digits');
  if (key.key.length !== KEY_BYTES) throw new TypeError(`buildCpix: key ${key.kid} must be ${KEY_BYTES} bytes`);
  const m = LABEL.exec(key.label);
  if (!m) throw new TypeError(`buildCpix: key ${key.kid} has a label with no usage rule: ${JSON.stringify(key.label)}`);
  return { key, uuid: kidToUuid(key.kid), tier: m[1] as Tier, period: m[2] === undefined ? undefined : Number(m[2]) };
}

/**
 * Refuses key sets whose rules would match a track to two keys, or leave a tier without a key
 * in some period; returns the rotation periods, ascending.
 */
function checkCoverage(entries: readonly Entry[]): number[] {
  const kids = new Set<string>();
  for (const e of entries) {
    if (kids.has(e.key.kid)) throw new TypeError(`buildCpix: kid ${e.key.kid} appears twice`);
    kids.add(e.key.kid);
  }
  const periods = [...new Set(entries.flatMap((e) => (e.period === undefined ? [] : [e.period])))].sort((a, b) => a - b);
  for (const tier of new Set(entries.map((e) => e.tier))) {
    const own = entries.filter((e) => e.tier === tier);
    if (own.some((e) => e.period === undefined)) {
      // An unrotated key covers every period: it must be its tier's only key.
      if (own.length > 1) throw new TypeError(`buildCpix: tier ${tier} has more than one key for the same tracks`);
      continue;
    }
    for (const n of periods) {
      const count = own.filter((e) => e.period === n).length;
      if (count !== 1) throw new TypeError(`buildCpix: tier ${tier} has ${count} keys for period ${n}, not one`);
    }
  }
  return periods;
}

function drmSystem(system: CpixDrmSystem, uuids: ReadonlyMap<string, string>): string[] {
  if (!UUID.test(system.systemId)) throw new TypeError('buildCpix: a DRM systemId must be a UUID');
  const kid = uuids.get(system.kid);
  if (kid === undefined) throw new TypeError(`buildCpix: DRM system ${system.systemId} names kid ${system.kid}, which is not in the document`);
  const attributes = { systemId: system.systemId.toLowerCase(), kid };
  if (system.pssh === undefined) return [`    ${element('DRMSystem', attributes, true)}`];
  return [`    ${element('DRMSystem', attributes)}`, `      <PSSH>${encodeBase64(system.pssh)}</PSSH>`, '    </DRMSystem>'];
}

/** One rule per key; filters in the schema's order (KeyPeriod, Label, Video, Audio). */
function usageRule(e: Entry, entries: readonly Entry[]): string[] {
  const filters: string[] = [];
  if (e.period !== undefined) filters.push(element('KeyPeriodFilter', { periodId: periodId(e.period) }, true));
  // HLS (MPEG-TS, AES-128) and DASH (CENC) renditions of one picture size are different tracks
  // that video filters cannot tell apart; a label, agreed with the packager, can.
  const mixed = entries.some((o) => o.tier === 'hls') && entries.some((o) => o.tier !== 'hls');
  if (mixed) filters.push(element('LabelFilter', { label: e.tier === 'hls' ? 'hls' : 'dash' }, true));
  if (e.tier === 'audio') filters.push('<AudioFilter/>');
  else if (e.tier !== 'hls') filters.push(element('VideoFilter', pixelRange(e.tier, entries), true));
  const open = element('ContentKeyUsageRule', { kid: e.uuid, intendedTrackType: TRACK_TYPE[e.tier] });
  return [`    ${open}`, ...filters.map((f) => `      ${f}`), '    </ContentKeyUsageRule>'];
}

/**
 * The pixel interval of a video tier among the tiers the title has. Tiers touch, so every
 * picture size has exactly one key: the lowest tier present starts at 0, the highest has no
 * ceiling (a 4K rendition of a title without a UHD key goes to its HD key), and a size between
 * two present tiers goes to the higher one, the better-protected key.
 */
function pixelRange(tier: Tier, entries: readonly Entry[]): Attributes {
  const present = VIDEO_TIERS.filter(([t]) => entries.some((e) => e.tier === t));
  const i = present.findIndex(([t]) => t === tier);
  return {
    minPixels: i > 0 ? present[i - 1]![1] + 1 : undefined,
    maxPixels: i < present.length - 1 ? present[i]![1] : undefined,
  };
}

function periodId(n: number): string {
  return `period-${n}`;
}

function element(name: string, attributes: Attributes, empty = false): string {
  let out = `<${name}`;
  for (const [attribute, value] of Object.entries(attributes)) {
    if (value !== undefined) out += ` ${attribute}="${escapeAttribute(String(value))}"`;
  }
  return out + (empty ? '/>' : '>');
}

/** Escapes for a double-quoted attribute; tab and line breaks as references, so parsers keep them. */
function escapeAttribute(value: string): string {
  if (NOT_XML.test(value)) throw new TypeError('buildCpix: text with characters XML cannot carry');
  return value.replace(/[&<>"\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}
