/**
 * Watermarked DASH (issue 13): a real clip packaged with `--hls --dash --watermark`. Each DASH
 * video representation holds variants A and B of every segment (both encrypted, one init
 * segment for both); the gateway serves a session, segment by segment, the variant of its
 * payload bit, on the full and the fast path; the variant folders are never served; every
 * session gets the same MPD apart from its own license URL.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageTitle } from '../../src/cli/package.js';
import { WATERMARK_KEY_LABEL } from '../../src/core/drm/policy.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import { payloadBit } from '../../src/server/watermark/payload.js';
import { sampleAuxInfo } from '../media/cenc/inspect.js';
import { gradientClip } from '../media/watermark/support.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

const SESSIONS = 4;

describe('watermarked DASH at the gateway', () => {
  let t: TestApp;
  let dashDir: string;
  let watermarkKey: Uint8Array;
  let segments: string[];
  /** Manifest URLs on the listening server: the fast path sits in front of Fastify, so inject() never takes it. */
  const sessions: { id: string; manifest: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const clip = join(t.config.dataDir, 'clip.mp4');
    await gradientClip(clip, 12, '640x360');
    const packaged = await packageTitle(t.services, { id: 'film', name: 'Film', file: clip, protocols: ['hls', 'dash'], watermark: true });
    if (!packaged.ok) throw new Error(packaged.detail);
    dashDir = join(t.config.dataDir, 'media', 'film', 'dash');
    const record = (await t.services.stores.titles.contentKeys('film')).find((k) => k.label === WATERMARK_KEY_LABEL)!;
    watermarkKey = openContentKey(t.services.sealer, record.kid, record.sealed);
    segments = (await readdir(join(dashDir, '360p', 'a'))).sort();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const viewer = await seedSubscriber(t.app, { titles: ['film'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    for (let i = 0; i < SESSIONS; i++) {
      const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film', protocol: 'dash' } })).json();
      sessions.push({ id: started.session_id, manifest: started.manifest_url.replace(t.config.publicUrl, base) });
    }
  }, 300_000);
  afterAll(() => t.close());

  it('stores both variants of every video segment, cut alike, each also under its edge name, and one init segment', async () => {
    expect(segments.length).toBeGreaterThanOrEqual(6);
    const files = (await readdir(join(dashDir, '360p'))).sort();
    expect(files).toEqual(['a', 'b', 'init-0.m4s', 'v']);
    expect((await readdir(join(dashDir, '360p', 'b'))).sort()).toEqual(segments);
    const edgeNames = await readdir(join(dashDir, '360p', 'v'));
    expect(edgeNames).toHaveLength(2 * segments.length);
    for (const name of edgeNames) expect((await stat(join(dashDir, '360p', 'v', name))).nlink, name).toBe(2); // a hard link to an a/ or b/ file
    let differ = 0;
    const ivs = new Set<string>();
    let samples = 0;
    for (const name of segments) {
      const [a, b] = await Promise.all(['a', 'b'].map((v) => readFile(join(dashDir, '360p', v, name))));
      if (Buffer.compare(a!, b!) !== 0) differ++;
      // One key for both variants: a sample IV used in both would reuse the CTR keystream.
      for (const sample of [...sampleAuxInfo(a!), ...sampleAuxInfo(b!)]) {
        ivs.add(Buffer.from(sample.iv).toString('hex'));
        samples++;
      }
    }
    expect(differ).toBe(segments.length);
    expect(samples).toBeGreaterThan(segments.length * 2 * 40); // 2 s of 25 fps per segment
    expect(ivs.size).toBe(samples);
  });

  it('serves each session the variant of its payload bit per segment, on the full and the fast path', async () => {
    const fastResponses = async () => Number((await t.app.inject({ method: 'GET', url: '/metrics' })).body.match(/tollgate_gateway_fast_responses_total (\d+)/)?.[1] ?? 0);
    const sequences = new Set<string>();
    for (const s of sessions) {
      const bits: number[] = [];
      for (const name of segments) {
        const n = Number(/seg-(\d+)\.m4s/.exec(name)![1]);
        const bit = payloadBit(watermarkKey, s.id, n);
        const expected = await readFile(join(dashDir, '360p', bit === 0 ? 'a' : 'b', name));
        const url = s.manifest.replace('manifest.mpd', `360p/${name}`);
        for (const path of ['full', 'fast']) {
          const fast = await fastResponses();
          const res = await fetch(url);
          expect(res.status, `${path} ${name}`).toBe(200);
          expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), expected), `${path} ${name}`).toBe(0);
          expect(res.headers.get('cache-control')).toBe('private, max-age=86400, immutable');
          if (path === 'fast') expect(await fastResponses()).toBe(fast + 1);
        }
        bits.push(bit);
      }
      sequences.add(bits.join(''));
    }
    // 4 sessions of 6 segments: both variants are served (a sequence of 24 equal bits has a
    // chance of 2^-23), and the sessions do not all share one sequence.
    expect(new Set([...sequences].join(''))).toEqual(new Set(['0', '1']));
    expect(sequences.size).toBeGreaterThan(1);
  });

  it('never serves a variant folder directly, and serves the shared init segment', async () => {
    const s = sessions[0]!;
    for (const v of ['a', 'b']) {
      for (let i = 0; i < 2; i++) expect((await fetch(s.manifest.replace('manifest.mpd', `360p/${v}/${segments[0]}`))).status).toBe(404); // full, then fast path
    }
    const init = await fetch(s.manifest.replace('manifest.mpd', '360p/init-0.m4s'));
    expect(init.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await init.arrayBuffer()), await readFile(join(dashDir, '360p', 'init-0.m4s')))).toBe(0);
  });

  it('gives every session the same MPD but for its own license URL', async () => {
    const mpds = await Promise.all(sessions.map(async (s) => (await fetch(s.manifest)).text()));
    const bare = mpds.map((mpd) => mpd.replace(/\/v1\/license\/s\/[^<"]+/g, 'LICENSE'));
    expect(new Set(bare).size).toBe(1);
    expect(new Set(mpds).size).toBe(SESSIONS);
  });
});
