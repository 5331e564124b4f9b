/**
 * From the outside in: a real server on a socket, a title packaged by ffmpeg, and ffmpeg as
 * the player, given nothing but manifest_url.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { packageTestTitle } from '../support/titles.js';

const run = promisify(execFile);

describe('protected HLS end to end', () => {
  let t: TestApp;
  let base: string;
  let manifestUrl: string;
  let sessionId: string;
  let auth: { authorization: string };

  beforeAll(async () => {
    t = await startTestApp();
    await packageTestTitle(t.services, { titleId: 'film', durationSec: 6 });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const viewer = await seedSubscriber(t.app, { titles: ['film'] });
    auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film' } })).json();
    // The configured public URL is the default port; the test server listens on a free one.
    manifestUrl = started.manifest_url.replace(t.config.publicUrl, base);
    sessionId = started.session_id;
  }, 120_000);
  afterAll(() => t.close());

  it('ffmpeg pulls and decodes the whole stream from manifest_url alone', async () => {
    const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostats', '-i', manifestUrl, '-map', '0', '-f', 'null', '-'], { maxBuffer: 16 << 20 });
    const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
    // 6 s at 25 fps, whichever variant ffmpeg picked.
    expect(Math.max(...frames)).toBeGreaterThanOrEqual(140);
    expect(stderr).not.toMatch(/decryption|Invalid data|error while decoding/i);
  }, 120_000);

  it('serves segments that are not clear MPEG-TS', async () => {
    const variant = await (await fetch(new URL('240p/index.m3u8', manifestUrl))).text();
    const segmentName = variant.split('\n').find((l) => l.endsWith('.ts'))!;
    const segment = new Uint8Array(await (await fetch(new URL(`240p/${segmentName}`, manifestUrl))).arrayBuffer());
    expect(segment.length).toBeGreaterThan(1000);
    const syncBytes = [0, 188, 376, 564].filter((i) => segment[i] === 0x47).length;
    expect(syncBytes).toBeLessThan(4);
    expect(segment.length % 16).toBe(0);
  });

  it('refuses tampered, other-title and ended-session URLs with the right status and code', async () => {
    const token = /\/v1\/stream\/([^/]+)\//.exec(manifestUrl)![1]!;
    const tampered = await fetch(manifestUrl.replace(token, token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))));
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { code: string }).code).toBe('invalid_token');
    const otherTitle = await fetch(manifestUrl.replace('/film/', '/other/'));
    expect(otherTitle.status).toBe(403);

    const stop = await t.app.inject({ method: 'DELETE', url: `/v1/playback/${sessionId}`, headers: auth });
    expect(stop.statusCode).toBe(204);
    t.clock.now += 2_000;
    const ended = await fetch(manifestUrl);
    expect(ended.status).toBe(401);
    expect(((await ended.json()) as { code: string }).code).toBe('token_revoked');
    const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', manifestUrl, '-f', 'null', '-']).catch((e: { stderr: string }) => e);
    expect(stderr).toMatch(/401|Unauthorized|Server returned/i);
  }, 60_000);
});
