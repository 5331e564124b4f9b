/**
 * CPIX export: every document is checked by libxml2 (xmllint), not by reading our own text
 * back: schema validity against the DASH-IF schema (test/fixtures/cpix/README.md), the keys
 * it carries, and the usage rules, evaluated with the CPIX matching semantics (filters of one
 * type OR, of different types AND; pixel intervals inclusive) over a set of test tracks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCpix, type CpixContentKey, type CpixInput } from '../../src/core/cpix.js';
import { clearKeyPssh, commonPssh } from '../../src/media/cenc/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/cpix');
const SCHEMA = join(FIXTURES, 'cpix.xsd');
const CLEARKEY = 'e2719d58-a985-b3c9-781a-b030af78d30e';
const COMMON = '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b';
const MAX_UINT32 = 0xffffffff;

let dir = '';
let files = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-cpix-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function save(xml: string): string {
  const file = join(dir, `doc-${files++}.xml`);
  writeFileSync(file, xml);
  return file;
}

function xmllint(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('xmllint', ['--nonet', ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Schema validation; --nonet: every import must resolve to the local files. */
function validate(file: string): { status: number | null; stderr: string } {
  return xmllint('--noout', '--schema', SCHEMA, file);
}

/** An XPath string or number (xmllint appends one newline). */
function value(file: string, expr: string): string {
  const run = xmllint('--xpath', expr, file);
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.replace(/\n$/, '');
}

/** The values of an attribute node-set (xmllint prints ` name="value"` per node). */
function attributes(file: string, expr: string): string[] {
  const run = xmllint('--xpath', expr, file);
  if (run.status === 10) return []; // "XPath set is empty"
  expect(run.status, run.stderr).toBe(0);
  return [...run.stdout.matchAll(/ [\w:]+="([^"]*)"/g)].map((m) => m[1]!);
}

const el = (name: string): string => `*[local-name()='${name}']`;
const PSKC = 'urn:ietf:params:xml:ns:keyprov:pskc';

/** The keys as the parser sees them: kid (32 hex) → key bytes. */
function readKeys(file: string): Map<string, string> {
  const kids = attributes(file, `/${el('CPIX')}/${el('ContentKeyList')}/${el('ContentKey')}/@kid`);
  return new Map(
    kids.map((kid, i) => {
      const plain = value(file, `string((//${el('ContentKey')})[${i + 1}]//*[namespace-uri()='${PSKC}' and local-name()='PlainValue'])`);
      return [kid.replaceAll('-', ''), Buffer.from(plain, 'base64').toString('hex')];
    }),
  );
}

interface Rule {
  readonly kid: string;
  readonly trackType: string;
  readonly periods: string[];
  readonly labels: string[];
  readonly video: { min: number; max: number }[];
  readonly audio: boolean;
}

function readRules(file: string): Rule[] {
  const count = Number(value(file, `count(//${el('ContentKeyUsageRule')})`));
  return Array.from({ length: count }, (_, i) => {
    const rule = `(//${el('ContentKeyUsageRule')})[${i + 1}]`;
    const videoCount = Number(value(file, `count(${rule}/${el('VideoFilter')})`));
    const known = ['KeyPeriodFilter', 'LabelFilter', 'VideoFilter', 'AudioFilter'].map((f) => `local-name()='${f}'`).join(' or ');
    // A filter the evaluator does not know would make the rule unusable (CPIX): there must be none.
    expect(value(file, `count(${rule}/*[not(${known})])`)).toBe('0');
    return {
      kid: value(file, `string(${rule}/@kid)`).replaceAll('-', ''),
      trackType: value(file, `string(${rule}/@intendedTrackType)`),
      periods: attributes(file, `${rule}/${el('KeyPeriodFilter')}/@periodId`),
      labels: attributes(file, `${rule}/${el('LabelFilter')}/@label`),
      video: Array.from({ length: videoCount }, (_, j) => {
        const filter = `${rule}/${el('VideoFilter')}[${j + 1}]`;
        const min = value(file, `string(${filter}/@minPixels)`);
        const max = value(file, `string(${filter}/@maxPixels)`);
        return { min: min === '' ? 0 : Number(min), max: max === '' ? MAX_UINT32 : Number(max) };
      }),
      audio: value(file, `count(${rule}/${el('AudioFilter')})`) !== '0',
    };
  });
}

interface Track {
  readonly name: string;
  readonly pixels?: number;
  readonly label?: string;
}

const TRACKS: readonly Track[] = [
  { name: '640x360', pixels: 640 * 360 },
  { name: '1024x576', pixels: 1024 * 576 },
  { name: '1280x720', pixels: 1280 * 720 },
  { name: '1920x1080', pixels: 1920 * 1080 },
  { name: '3840x2160', pixels: 3840 * 2160 },
  { name: 'audio' },
];

function matches(rule: Rule, track: Track, period: string | undefined): boolean {
  if (rule.periods.length > 0 && (period === undefined || !rule.periods.includes(period))) return false;
  if (rule.labels.length > 0 && (track.label === undefined || !rule.labels.includes(track.label))) return false;
  const pixels = track.pixels;
  if (rule.video.length > 0 && (pixels === undefined || !rule.video.some((f) => f.min <= pixels && pixels <= f.max))) return false;
  return !rule.audio || track.pixels === undefined;
}

/**
 * For every key period (or the whole title) and track: the one key whose rules match it, as
 * the label of the input key. Fails when a track matches no key or two.
 */
function assignments(file: string, keys: readonly CpixContentKey[], tracks: readonly Track[]): Record<string, string> {
  const rules = readRules(file);
  const periods = attributes(file, `//${el('ContentKeyPeriod')}/@id`);
  for (const rule of rules) for (const p of rule.periods) expect(periods, 'KeyPeriodFilter names a period of the document').toContain(p);
  const out: Record<string, string> = {};
  for (const period of periods.length > 0 ? periods : [undefined]) {
    for (const track of tracks) {
      const kids = new Set(rules.filter((r) => matches(r, track, period)).map((r) => r.kid));
      const where = `${track.label === undefined ? '' : `${track.label}:`}${track.name}${period === undefined ? '' : ` in ${period}`}`;
      expect(kids.size, `${where} matches exactly one key`).toBe(1);
      out[where] = keys.find((k) => kids.has(k.kid))!.label;
    }
  }
  return out;
}

const kidOf = (n: number): string => `${n.toString(16).padStart(2, '0')}`.repeat(16);
const keyOf = (n: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (n * 37 + i * 11) & 255);
const keySet = (...labels: string[]): CpixContentKey[] => labels.map((label, i) => ({ kid: kidOf(i + 1), key: keyOf(i + 1), label }));

/** Builds, saves, validates against the schema and checks the keys; returns the file. */
function exported(input: CpixInput): string {
  const file = save(buildCpix(input));
  const result = validate(file);
  expect(result.status, result.stderr).toBe(0);
  expect(readKeys(file)).toEqual(new Map(input.keys.map((k) => [k.kid, Buffer.from(k.key).toString('hex')])));
  return file;
}

describe('the schema setup (test/fixtures/cpix)', () => {
  it('validates the Axinom public sample ContentKeys-v7.xml', () => {
    const result = validate(join(FIXTURES, 'ContentKeys-v7.xml'));
    expect(result.status, result.stderr).toBe(0);
  });

  it('rejects the same sample with a kid that is not a UUID, so the schema is really applied', () => {
    const sample = readFileSync(join(FIXTURES, 'ContentKeys-v7.xml'), 'utf8');
    const result = validate(save(sample.replace('9eb4050d-e44b-4802-932e-27d75083e266', 'not-a-uuid')));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/kid.*not-a-uuid|UUIDType/);
  });

  it('rejects a PlainValue outside the PSKC namespace (the imported schemas are in force)', () => {
    const xml = buildCpix({ contentId: 't', keys: keySet('sd') }).replaceAll('pskc:PlainValue', 'PlainValue');
    expect(validate(save(xml)).status).not.toBe(0);
  });
});

describe('buildCpix', () => {
  it('exports an HLS title: one AES-128 key for every track', () => {
    const keys = keySet('hls');
    const file = exported({ contentId: 'hls-title', name: 'An HLS title', keys });
    expect(value(file, `string(//${el('ContentKey')}/@commonEncryptionScheme)`)).toBe('AES-128');
    expect(value(file, `string(//${el('ContentKeyUsageRule')}/@intendedTrackType)`)).toBe('ALL');
    expect(new Set(Object.values(assignments(file, keys, TRACKS)))).toEqual(new Set(['hls']));
  });

  it('exports a DASH title with audio, SD and HD keys; tracks above HD go to the HD key', () => {
    const keys = keySet('audio', 'sd', 'hd');
    const file = exported({ contentId: 'dash-title', keys });
    expect(attributes(file, `//${el('ContentKey')}/@commonEncryptionScheme`)).toEqual(['cenc', 'cenc', 'cenc']);
    expect(attributes(file, `//${el('ContentKeyUsageRule')}/@intendedTrackType`)).toEqual(['AUDIO', 'SD', 'HD']);
    expect(value(file, `count(//${el('ContentKeyPeriodList')})`)).toBe('0');
    expect(assignments(file, keys, TRACKS)).toEqual({
      '640x360': 'sd',
      '1024x576': 'sd',
      '1280x720': 'hd',
      '1920x1080': 'hd',
      '3840x2160': 'hd',
      audio: 'audio',
    });
  });

  it.each([
    [['audio', 'sd', 'hd', 'uhd'], ['sd', 'sd', 'hd', 'hd', 'uhd']],
    // Between two present tiers a picture goes to the higher, better-protected key.
    [['audio', 'sd', 'uhd'], ['sd', 'sd', 'uhd', 'uhd', 'uhd']],
    [['audio', 'hd', 'uhd'], ['hd', 'hd', 'hd', 'hd', 'uhd']],
    [['audio', 'uhd'], ['uhd', 'uhd', 'uhd', 'uhd', 'uhd']],
  ])('partitions video sizes among the tiers %j', (labels, expected) => {
    const keys = keySet(...labels);
    const got = assignments(exported({ contentId: 't', keys }), keys, TRACKS);
    expect(TRACKS.map((t) => got[t.name])).toEqual([...expected, 'audio']);
  });

  it('exports a rotated title: one key per tier and period, with KeyPeriodFilters', () => {
    const keys = keySet('sd@0', 'sd@1', 'hd@0', 'hd@1', 'audio@0', 'audio@1');
    const file = exported({ contentId: 'rotated', keys });
    expect(attributes(file, `//${el('ContentKeyPeriod')}/@id`)).toEqual(['period-0', 'period-1']);
    expect(attributes(file, `//${el('ContentKeyPeriod')}/@index`)).toEqual(['0', '1']);
    const got = assignments(file, keys, TRACKS);
    for (const n of [0, 1]) {
      expect(got[`640x360 in period-${n}`]).toBe(`sd@${n}`);
      expect(got[`1280x720 in period-${n}`]).toBe(`hd@${n}`);
      expect(got[`3840x2160 in period-${n}`]).toBe(`hd@${n}`);
      expect(got[`audio in period-${n}`]).toBe(`audio@${n}`);
    }
  });

  it('keeps an unrotated audio key across the periods of rotated video keys', () => {
    const keys = keySet('audio', 'sd@3', 'sd@4');
    const got = assignments(exported({ contentId: 't', keys }), keys, TRACKS);
    expect(got['audio in period-3']).toBe('audio');
    expect(got['audio in period-4']).toBe('audio');
    expect(got['1920x1080 in period-4']).toBe('sd@4');
  });

  it('separates HLS and DASH renditions of one title by label', () => {
    const keys = keySet('hls', 'audio', 'sd', 'hd');
    const file = exported({ contentId: 'both', keys });
    const tracks = ['hls', 'dash'].flatMap((label) => TRACKS.map((t) => ({ ...t, label })));
    const got = assignments(file, keys, tracks);
    for (const t of TRACKS) expect(got[`hls:${t.name}`]).toBe('hls');
    expect(got['dash:640x360']).toBe('sd');
    expect(got['dash:3840x2160']).toBe('hd');
    expect(got['dash:audio']).toBe('audio');
  });

  it('writes DRM systems with their PSSH boxes', () => {
    const keys = keySet('audio', 'sd');
    const kids = keys.map((k) => Buffer.from(k.kid, 'hex'));
    const clearKey = clearKeyPssh(kids);
    const common = commonPssh(kids);
    const file = exported({
      contentId: 't',
      keys,
      drmSystems: [
        { systemId: CLEARKEY.toUpperCase(), kid: keys[1]!.kid, pssh: clearKey },
        { systemId: COMMON, kid: keys[1]!.kid, pssh: common },
        { systemId: COMMON, kid: keys[0]!.kid },
      ],
    });
    expect(attributes(file, `//${el('DRMSystem')}/@systemId`)).toEqual([CLEARKEY, COMMON, COMMON]);
    expect(attributes(file, `//${el('DRMSystem')}/@kid`)).toEqual(['02020202-0202-0202-0202-020202020202', '02020202-0202-0202-0202-020202020202', '01010101-0101-0101-0101-010101010101']);
    const pssh = (i: number): Buffer => Buffer.from(value(file, `string((//${el('DRMSystem')})[${i}]/${el('PSSH')})`), 'base64');
    expect(pssh(1)).toEqual(Buffer.from(clearKey));
    expect(pssh(2)).toEqual(Buffer.from(common));
    expect(value(file, `count((//${el('DRMSystem')})[3]/*)`)).toBe('0');
  });

  it('escapes XML special characters in contentId and name', () => {
    const contentId = `a&b<c>"d'e]]>`;
    const name = 'Tab\there\nand "quotes" & <tags>\r\n';
    const file = exported({ contentId, name, keys: keySet('sd') });
    expect(value(file, 'string(/*/@contentId)')).toBe(contentId);
    expect(value(file, 'string(/*/@name)')).toBe(name);
  });

  it.each<[string, CpixInput, RegExp]>([
    ['no keys', { contentId: 't', keys: [] }, /at least one key/],
    ['an empty contentId', { contentId: '', keys: keySet('sd') }, /contentId/],
    ['a control character in the name', { contentId: 't', name: 'a\u0001b', keys: keySet('sd') }, /XML cannot carry/],
    ['an upper-case kid', { contentId: 't', keys: [{ kid: 'AB'.repeat(16), key: keyOf(1), label: 'sd' }] }, /32 lower-case hex/],
    ['a short key', { contentId: 't', keys: [{ kid: kidOf(1), key: new Uint8Array(15), label: 'sd' }] }, /16 bytes/],
    ['an unknown label', { contentId: 't', keys: keySet('4k') }, /no usage rule/],
    ['a malformed period', { contentId: 't', keys: keySet('sd@01') }, /no usage rule/],
    ['a kid twice', { contentId: 't', keys: [...keySet('sd'), { ...keySet('sd')[0]!, label: 'hd' }] }, /appears twice/],
    ['two keys for one tier', { contentId: 't', keys: keySet('sd', 'sd') }, /more than one key/],
    ['a rotated and an unrotated key for one tier', { contentId: 't', keys: keySet('sd', 'sd@0') }, /more than one key/],
    ['two keys for one tier and period', { contentId: 't', keys: keySet('sd@0', 'sd@0') }, /2 keys for period 0/],
    ['a tier missing a period', { contentId: 't', keys: keySet('sd@0', 'sd@1', 'hd@0') }, /hd has 0 keys for period 1/],
    ['a DRM system for a foreign kid', { contentId: 't', keys: keySet('sd'), drmSystems: [{ systemId: COMMON, kid: kidOf(9) }] }, /not in the document/],
    ['a DRM systemId that is not a UUID', { contentId: 't', keys: keySet('sd'), drmSystems: [{ systemId: 'clearkey', kid: kidOf(1) }] }, /UUID/],
  ])('refuses %s', (_, input, message) => {
    expect(() => buildCpix(input)).toThrow(message);
  });
});
