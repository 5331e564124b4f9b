/**
 * Key rotation as DASH Periods: with rotationSec=2 a 4 s clip becomes two Periods, every track
 * gets a new key in each (labels 'sd@0', 'sd@1', …), each Period has its own init segments and
 * a pssh naming just its KIDs, and every segment decrypts (Tollgate and ffmpeg) only with its
 * own Period's key.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readInit } from '../../../src/media/cenc/index.js';
import { expectSameBytes } from '../cenc/inspect.js';
import { concat } from '../cenc/media.js';
import { type Packaged, decryptWith, makeClip, mpdRepresentations, packageClip, parsePssh, pipedFrameMd5, removeAll, segmentNames } from './support.js';

let scratch: string;
let p: Packaged;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tollgate-dash-clip-'));
  p = await packageClip(await makeClip(scratch), 2);
}, 60_000);
afterAll(async () => {
  await removeAll(p);
  await rm(scratch, { recursive: true, force: true });
});

/** Segment file names of a representation in Period `period`, from the MPD's startNumber and timeline. */
function periodSegments(id: string, period: number): string[] {
  const rep = mpdRepresentations(p.mpd).find((r) => r.id === id && r.period === period)!;
  const start = Number(/startNumber="(\d+)"/.exec(rep.body)![1]);
  const count = [...rep.body.matchAll(/<S [^>]*?(?:r="(\d+)")?\/>/g)].reduce((n, m) => n + 1 + Number(m[1] ?? 0), 0);
  return Array.from({ length: count }, (_, i) => `seg-${String(start + i).padStart(5, '0')}.m4s`);
}

it('makes two Periods with a distinct key per track and Period, asked for by label', () => {
  expect(p.result.periods).toBe(2);
  expect(p.keys.labels).toEqual(['sd@0', 'sd@1', 'hd@0', 'hd@1', 'audio@0', 'audio@1']);
  const kids = p.result.representations.map((r) => r.kids);
  expect(kids).toEqual(
    ['sd', 'hd', 'audio'].map((track) => [0, 1].map((period) => p.keys.byLabel.get(`${track}@${period}`)!.kid)),
  );
  expect(new Set(kids.flat()).size).toBe(6);
});

it('writes Periods at 0 s and 2 s, each Representation with that Period\'s default_KID, init segment and pssh', () => {
  const reps = mpdRepresentations(p.mpd);
  expect(reps.map((r) => `${r.period}:${r.start}:${r.id}`)).toEqual(['0:PT0S:360p', '0:PT0S:720p', '0:PT0S:audio', '1:PT2S:360p', '1:PT2S:720p', '1:PT2S:audio']);
  for (const rep of reps) {
    const periodKids = p.result.representations.map((r) => r.kids[rep.period]!);
    const own = p.result.representations.find((r) => r.id === rep.id)!.kids[rep.period]!;
    expect(rep.body).toContain(`cenc:default_KID="${own.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')}"`);
    expect(rep.body).toContain(`initialization="${rep.id}/init-${rep.period}.m4s"`);
    const pssh = parsePssh(Buffer.from(/<cenc:pssh>([^<]+)<\/cenc:pssh>/.exec(rep.body)![1]!, 'base64'));
    expect(pssh.kids.sort()).toEqual(periodKids.sort());
  }
  // The second Period's media time starts at 2 s in each track's timescale.
  expect(reps.filter((r) => r.period === 1).map((r) => /presentationTimeOffset="(\d+)"/.exec(r.body)![1])).toEqual(['25600', '25600', '96000']);
});

it('splits each representation\'s segments between the Periods, none twice, none left out', async () => {
  for (const { id } of p.result.representations) {
    const all = await segmentNames(join(p.outDir, id));
    const [first, second] = [periodSegments(id, 0), periodSegments(id, 1)];
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect([...first, ...second]).toEqual(all);
    expect((await readdir(join(p.outDir, id))).filter((n) => n.startsWith('init-')).sort()).toEqual(['init-0.m4s', 'init-1.m4s']);
  }
});

it('decrypts every segment with its own Period\'s key, byte for byte, and not with the other Period\'s', async () => {
  for (const rep of p.result.representations) {
    for (const period of [0, 1]) {
      const init = await readFile(join(p.outDir, rep.id, `init-${period}.m4s`));
      expect(Buffer.from(readInit(init).protection!.defaultKid).toString('hex')).toBe(rep.kids[period]);
      for (const name of periodSegments(rep.id, period)) {
        const encrypted = await readFile(join(p.outDir, rep.id, name));
        expectSameBytes(decryptWith(p.keys, init, encrypted).segment, await readFile(join(p.clearDir, rep.id, name)));
        const otherInit = await readFile(join(p.outDir, rep.id, `init-${1 - period}.m4s`));
        const wrong = decryptWith(p.keys, otherInit, encrypted).segment;
        expect(Buffer.from(wrong).equals(await readFile(join(p.clearDir, rep.id, name)))).toBe(false);
      }
    }
  }
});

it('plays in ffmpeg Period by Period, each with its own key', async () => {
  for (const rep of p.result.representations) {
    for (const period of [0, 1]) {
      const names = periodSegments(rep.id, period);
      const encrypted = concat(await Promise.all([`init-${period}.m4s`, ...names].map((n) => readFile(join(p.outDir, rep.id, n)))));
      const clear = concat(await Promise.all(['init.m4s', ...names].map((n) => readFile(join(p.clearDir, rep.id, n)))));
      const key = p.keys.byKid.get(rep.kids[period]!)!.key;
      expect(await pipedFrameMd5(encrypted, { key })).toBe(await pipedFrameMd5(clear));
    }
  }
}, 60_000);
