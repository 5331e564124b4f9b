// A confident trace becomes an alert, through `tollgate trace` and POST /v1/admin/trace
// (issue 13): a short clip (60 s at 180p, 2 s segments: 30 bits, enough for confidence with
// every segment read right), two sessions; the leak is what the gateway served one of them.
// The command opens one alert for that session; the route, tracing the same leak, adds to it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageTitle } from '../../src/cli/package.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import type { TraceReport } from '../../src/server/watermark/trace.js';
import { gradientClip } from '../media/watermark/support.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { servedRecording } from '../support/watermark.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('tracing a leak raises an alert', () => {
  let t: TestApp;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  const sessions: { id: string; manifest: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const dir = t.config.dataDir;
    await gradientClip(join(dir, 'clip.mp4'), 60, '320x180');
    const packaged = await packageTitle(t.services, { id: 'film', name: 'Film', file: join(dir, 'clip.mp4'), watermark: true, segmentSec: 2 });
    if (!packaged.ok) throw new Error(packaged.detail);
    const record = (await t.services.stores.titles.contentKeys('film')).find((k) => k.label === 'hls')!;
    const key = openContentKey(t.services.sealer, record.kid, record.sealed);
    viewer = await seedSubscriber(t.app, { titles: ['film'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    for (let i = 0; i < 2; i++) {
      const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film' } })).json();
      sessions.push({ id: started.session_id, manifest: new URL(started.manifest_url).pathname });
    }
    await servedRecording(t.app, '180p', key, join(dir, 'leak.ts'), () => sessions[1]!.manifest);
  }, 300_000);
  afterAll(() => t.close());

  const alerts = async () => (await t.app.inject({ method: 'GET', url: '/v1/admin/alerts', headers: admin })).json().alerts;

  it('the command names the session and opens one alert for it; the route adds to that alert', async () => {
    const { stdout } = await run('node', [BIN, 'trace', join(t.config.dataDir, 'leak.ts'), '--title', 'film'], {
      env: { ...process.env, TOLLGATE_DATA_DIR: t.config.dataDir, TOLLGATE_LOG_LEVEL: 'silent' },
    });
    const report = JSON.parse(stdout) as TraceReport;
    expect(report.candidates.map((c) => [c.session_id, c.confident])).toEqual([
      [sessions[1]!.id, true],
      [sessions[0]!.id, false],
    ]);
    const [alert, ...others] = await alerts();
    expect(others).toEqual([]);
    expect(alert).toMatchObject({ detector: 'forensic_watermark', user_id: viewer.userId, session_id: sessions[1]!.id, hits: 1 });
    expect(alert.summary).toContain(`${report.candidates[0]!.agree} of ${report.candidates[0]!.read} segments agree`);

    const traced = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/trace?title_id=film',
      headers: { ...admin, 'content-type': 'video/mp2t' },
      payload: await readFile(join(t.config.dataDir, 'leak.ts')),
    });
    expect(traced.statusCode, traced.body).toBe(200);
    expect(traced.json().candidates[0]).toMatchObject({ session_id: sessions[1]!.id, confident: true });
    expect(await alerts()).toMatchObject([{ id: alert.id, hits: 2 }]);
  }, 300_000);
});
