/**
 * Tracing a title packaged for DASH alone (issue 13), end to end: a 160 s generated clip
 * packaged with `--dash --watermark` and a new key every 10 s (16 Periods, so tracing must
 * decrypt each segment under its own Period's key), and 12 DASH sessions. What the gateway
 * served one session, decrypted with the keys and muxed as a pirate would, re-encoded (x264
 * CRF 28, scaled to 480p, cut mid-segment), is traced by the command and by the admin route
 * from the title's DASH variants: that session first, with confidence, and no innocent named.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageTitle } from '../../src/cli/package.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import type { TraceReport } from '../../src/server/watermark/trace.js';
import { gradientClip, pirateCopy } from '../media/watermark/support.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { servedDashRecording } from '../support/watermark.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const SESSIONS = 12;
const ROTATION_SEC = 10;

describe('tollgate trace on a DASH-only watermarked title', () => {
  let t: TestApp;
  let dir: string;
  const sessions: { id: string; manifest: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_RATE_PLAYBACK_PER_USER: '1000' } });
    dir = t.config.dataDir;
    await gradientClip(join(dir, 'clip.mp4'), 160);
    const input = { id: 'film', name: 'Film', file: join(dir, 'clip.mp4'), protocols: ['dash'] as const, watermark: true, rotationSec: ROTATION_SEC };
    const packaged = await packageTitle(t.services, input);
    if (!packaged.ok) throw new Error(packaged.detail);
    expect(packaged.value.protocols).toEqual(['dash']);
    expect(await readdir(join(dir, 'media', 'film'))).toEqual(['dash']);
    const viewer = await seedSubscriber(t.app, { titles: ['film'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    for (let i = 0; i < SESSIONS; i++) {
      const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film', protocol: 'dash' } })).json();
      sessions.push({ id: started.session_id, manifest: new URL(started.manifest_url).pathname });
    }
  }, 600_000);
  afterAll(() => t.close());

  function expectLeakerNamed(report: TraceReport, leaker: string): void {
    expect(report.sessions_compared).toBe(SESSIONS);
    expect(Math.abs(report.offset_sec - 3.1), JSON.stringify(report)).toBeLessThanOrEqual(0.2); // two frames at the 10 per second compared
    expect(report.segments_read).toBeGreaterThanOrEqual(75);
    expect(report.candidates[0], JSON.stringify(report)).toMatchObject({ session_id: leaker, confident: true });
    for (const c of report.candidates.slice(1)) expect(c.confident, `innocent ${c.session_id} named`).toBe(false);
  }

  it('names the leaking session first, with confidence, through the command and the admin route', async () => {
    const leaker = sessions[7]!;
    const keys = await t.services.stores.titles.contentKeys('film');
    // The SD key of each 10 s Period, in order: labels sd@0 … sd@15.
    const periodKeys = keys
      .filter((k) => k.label.startsWith('sd@'))
      .sort((x, y) => Number(x.label.slice(3)) - Number(y.label.slice(3)))
      .map((k) => openContentKey(t.services.sealer, k.kid, k.sealed));
    expect(periodKeys).toHaveLength(160 / ROTATION_SEC);
    expect(await servedDashRecording(t.app, leaker.manifest, '360p', periodKeys, join(dir, 'served.mp4'), ROTATION_SEC)).toBe(80);
    await pirateCopy(join(dir, 'served.mp4'), join(dir, 'leak.mp4'), 3.1);

    const { stdout } = await run('node', [BIN, 'trace', join(dir, 'leak.mp4'), '--title', 'film'], {
      env: { ...process.env, TOLLGATE_DATA_DIR: dir, TOLLGATE_LOG_LEVEL: 'silent' },
    });
    expectLeakerNamed(JSON.parse(stdout) as TraceReport, leaker.id);

    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/trace?title_id=film',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'video/mp4' },
      payload: await readFile(join(dir, 'leak.mp4')),
    });
    expect(res.statusCode, res.body).toBe(200);
    expectLeakerNamed(res.json() as TraceReport, leaker.id);
  }, 600_000);
});
