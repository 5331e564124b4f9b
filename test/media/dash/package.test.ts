/**
 * packageDash end to end with real ffmpeg: a 4 s 720p clip becomes an SD (360p) and an HD
 * (720p) representation and one audio, each under its own key; every published segment is
 * ciphertext that Tollgate's decryptor turns back into ffmpeg's clear segment byte for byte,
 * ffmpeg's own cenc decryption decodes every representation, and the MPD carries the content
 * protection a player and the gateway need.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteDashMpd } from '../../../src/core/manifest/dash.js';
import { openBox, readBoxes } from '../../../src/media/cenc/boxes.js';
import { readInit } from '../../../src/media/cenc/index.js';
import { LICENSE_URL_PLACEHOLDER } from '../../../src/media/dash/index.js';
import { expectSameBytes } from '../cenc/inspect.js';
import { concat } from '../cenc/media.js';
import { type Packaged, decryptWith, makeClip, mpdRepresentations, packageClip, parsePssh, pipedFrameMd5, removeAll, segmentNames } from './support.js';

const COMMON_SYSTEM = '1077efecc0b24d02ace33c1e52e2fb4b';
const CLEARKEY_SYSTEM = 'e2719d58a985b3c9781ab030af78d30e';
const uuid = (hex: string) => hex.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

let scratch: string;
let p: Packaged;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tollgate-dash-clip-'));
  p = await packageClip(await makeClip(scratch));
}, 60_000);
afterAll(async () => {
  await removeAll(p);
  await rm(scratch, { recursive: true, force: true });
});

describe('packageDash', () => {
  it('plans SD and HD rungs up to the source height and one audio, each with its own key', () => {
    const reps = p.result.representations;
    expect(reps.map(({ id, kind, tier, width, height }) => ({ id, kind, tier, width, height }))).toEqual([
      { id: '360p', kind: 'video', tier: 'sd', width: 640, height: 360 },
      { id: '720p', kind: 'video', tier: 'hd', width: 1280, height: 720 },
      { id: 'audio', kind: 'audio', tier: undefined, width: undefined, height: undefined },
    ]);
    expect(p.keys.labels).toEqual(['sd', 'hd', 'audio']);
    expect(reps.map((r) => r.kids)).toEqual([[p.keys.byLabel.get('sd')!.kid], [p.keys.byLabel.get('hd')!.kid], [p.keys.byLabel.get('audio')!.kid]]);
    expect(new Set(reps.flatMap((r) => r.kids)).size).toBe(3);
    expect(p.result.periods).toBe(1);
    expect(p.result.durationSec).toBeGreaterThanOrEqual(4);
    expect(p.result.durationSec).toBeLessThan(4.1);
    // Measured on the encrypted bytes: HD costs more than SD, audio least.
    const [sd, hd, audio] = reps.map((r) => r.bandwidth);
    expect(hd).toBeGreaterThan(sd!);
    expect(sd).toBeGreaterThan(audio!);
    expect(audio).toBeGreaterThan(64_000);
  });

  it('reports progress up to 1, never backwards', () => {
    expect(p.progress.at(-1)).toBe(1);
    p.progress.forEach((f, i) => expect(f).toBeGreaterThanOrEqual(p.progress[i - 1] ?? 0));
  });

  it('publishes the MPD and encrypted segments only: no clear media, no key, no staging', async () => {
    expect((await readdir(p.outDir)).sort()).toEqual(['360p', '720p', 'audio', 'manifest.mpd']);
    expect(await readdir(join(p.dir, 'title'))).toEqual(['dash']);
    for (const rep of p.result.representations) {
      const files = await readdir(join(p.outDir, rep.id));
      expect(files.sort()).toEqual(['init-0.m4s', ...(await segmentNames(join(p.clearDir, rep.id)))]);
      const init = await readFile(join(p.outDir, rep.id, 'init-0.m4s'));
      expect(readInit(init).protection?.defaultKid).toEqual(Uint8Array.from(Buffer.from(rep.kids[0]!, 'hex')));
      for (const file of files) {
        const bytes = await readFile(join(p.outDir, rep.id, file));
        for (const key of p.keys.byLabel.values()) expect(bytes.includes(Buffer.from(key.key))).toBe(false);
      }
    }
  });

  it('decrypts every init and media segment back to ffmpeg\'s clear bytes, each with its tier\'s key only', async () => {
    for (const rep of p.result.representations) {
      const init = await readFile(join(p.outDir, rep.id, 'init-0.m4s'));
      const names = await segmentNames(join(p.outDir, rep.id));
      expect(names.length).toBeGreaterThanOrEqual(2);
      for (const name of names) {
        const encrypted = await readFile(join(p.outDir, rep.id, name));
        const clear = await readFile(join(p.clearDir, rep.id, name));
        expect(encrypted.equals(clear)).toBe(false);
        const decrypted = decryptWith(p.keys, init, encrypted);
        expectSameBytes(decrypted.segment, clear);
        expectSameBytes(decrypted.init, await readFile(join(p.clearDir, rep.id, 'init.m4s')));
      }
    }
  });

  it('gives ffmpeg the same frames and packets with each representation\'s key (-decryption_key)', async () => {
    for (const rep of p.result.representations) {
      const names = await segmentNames(join(p.outDir, rep.id));
      const read = async (dir: string, init: string) => concat(await Promise.all([init, ...names].map((n) => readFile(join(dir, rep.id, n)))));
      const encrypted = await read(p.outDir, 'init-0.m4s');
      const clear = await read(p.clearDir, 'init.m4s');
      const key = p.keys.byKid.get(rep.kids[0]!)!.key;
      const clearFrames = await pipedFrameMd5(clear);
      expect(clearFrames.split('\n').filter((l) => l && !l.startsWith('#')).length).toBeGreaterThan(rep.kind === 'video' ? 90 : 150);
      expect(await pipedFrameMd5(encrypted, { key })).toBe(clearFrames);
      expect(await pipedFrameMd5(encrypted, { key, copy: true })).toBe(await pipedFrameMd5(clear, { copy: true }));
      // Another tier's key gives garbage, never the picture.
      const other = p.keys.byKid.get(p.result.representations.find((r) => r.id !== rep.id)!.kids[0]!)!.key;
      expect(await pipedFrameMd5(encrypted, { key: other, copy: true }).catch(() => 'refused')).not.toBe(await pipedFrameMd5(clear, { copy: true }));
    }
  }, 60_000);

  it('writes pssh boxes listing every KID of the title into each init segment', async () => {
    const allKids = p.result.representations.flatMap((r) => r.kids).sort();
    for (const rep of p.result.representations) {
      const init = await readFile(join(p.outDir, rep.id, 'init-0.m4s'));
      const moov = readBoxes(init).find((b) => b.type === 'moov')!;
      const boxes = openBox(moov).filter((b) => b.type === 'pssh').map((b) => parsePssh(init.subarray(b.start, b.start + b.headerSize + b.body.length)));
      expect(boxes.map((b) => b.systemId)).toEqual([COMMON_SYSTEM, CLEARKEY_SYSTEM]);
      for (const box of boxes) expect({ ...box, kids: box.kids.sort() }).toMatchObject({ version: 1, kids: allKids, dataSize: 0 });
    }
  });
});

describe('the MPD', () => {
  it('is well-formed XML with the cenc and dashif namespaces, static, with the presentation duration', async () => {
    const { stderr } = await promisify(execFile)('xmllint', ['--noout', join(p.outDir, 'manifest.mpd')]);
    expect(stderr).toBe('');
    expect(p.mpd).toMatch(/<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" /);
    expect(p.mpd).toContain('xmlns:cenc="urn:mpeg:cenc:2013"');
    expect(p.mpd).toContain('xmlns:dashif="https://dashif.org/"');
    expect(p.mpd).toContain('type="static"');
    expect(p.mpd).toContain(`mediaPresentationDuration="PT${Number(p.result.durationSec.toFixed(3))}S"`);
  });

  it('protects each Representation with its own default_KID, the Clear Key system, the license placeholder and a v1 common pssh', () => {
    const reps = mpdRepresentations(p.mpd);
    expect(reps.map((r) => r.id)).toEqual(['360p', '720p', 'audio']);
    const allKids = p.result.representations.flatMap((r) => r.kids).sort();
    for (const rep of reps) {
      const kid = p.result.representations.find((r) => r.id === rep.id)!.kids[0]!;
      expect(rep.body).toContain(`<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="${uuid(kid)}"/>`);
      expect(rep.body).toContain('<ContentProtection schemeIdUri="urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e" value="ClearKey1.0">');
      expect(rep.body).toContain(`<dashif:laurl>${LICENSE_URL_PLACEHOLDER}</dashif:laurl>`);
      const pssh = parsePssh(Buffer.from(/<cenc:pssh>([^<]+)<\/cenc:pssh>/.exec(rep.body)![1]!, 'base64'));
      expect({ ...pssh, kids: pssh.kids.sort() }).toEqual({ version: 1, systemId: COMMON_SYSTEM, kids: allKids, dataSize: 0 });
      expect(rep.body).toContain(`initialization="${rep.id}/init-0.m4s" media="${rep.id}/seg-$Number%05d$.m4s"`);
    }
  });

  it('is rewritten by the core DASH rewriter: the placeholder is a license URL, templates are init and segment URLs', () => {
    const seen: string[] = [];
    const rewritten = rewriteDashMpd(p.mpd, (uri, kind) => {
      seen.push(`${kind} ${uri}`);
      return kind === 'license' ? 'https://tollgate.example/v1/license/clearkey/sid-1' : uri;
    });
    expect(seen.filter((s) => s.startsWith('license ')).length).toBe(6);
    expect(new Set(seen.filter((s) => s.startsWith('license ')))).toEqual(new Set([`license ${LICENSE_URL_PLACEHOLDER}`]));
    expect(seen).toContain('init 360p/init-0.m4s');
    expect(seen).toContain('segment audio/seg-$Number%05d$.m4s');
    expect(rewritten).not.toContain(LICENSE_URL_PLACEHOLDER);
    expect(rewritten).toContain('<dashif:laurl>https://tollgate.example/v1/license/clearkey/sid-1</dashif:laurl>');
  });

  it('describes the segments ffmpeg cut: a timeline with one entry per published segment', async () => {
    for (const rep of mpdRepresentations(p.mpd)) {
      expect(rep.body).toMatch(/<S t="0" d="\d+"/);
      expect(rep.body).toContain('presentationTimeOffset="0" startNumber="1"');
      const entries = [...rep.body.matchAll(/<S [^>]*?(?:r="(\d+)")?\/>/g)].reduce((n, m) => n + 1 + Number(m[1] ?? 0), 0);
      expect(entries).toBe((await segmentNames(join(p.outDir, rep.id))).length);
    }
    expect(p.mpd).toMatch(/codecs="avc1\.4d401e"[^>]*width="640" height="360"/);
    expect(p.mpd).toMatch(/codecs="mp4a\.40\.2"[^>]*audioSamplingRate="48000"/);
  });
});
