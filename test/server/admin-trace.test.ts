// POST /v1/admin/trace (issue 13), wrong calls: no admin token, no or unknown title, a title
// packaged without --watermark, bytes that are not a video, a body type that is not a video.
// The right call is in test/server/openapi.test.ts; tracing itself in test/e2e/watermark-trace.test.ts.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTitle } from '../../src/server/catalog/register.js';
import { stagingRoot } from '../../src/server/catalog/staging-area.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

describe('POST /v1/admin/trace', () => {
  let t: TestApp;
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'video/mp4' };
  const post = (url: string, headers: Record<string, string> = admin, payload: Buffer | string = Buffer.from('not a video at all')) =>
    t.app.inject({ method: 'POST', url, headers, payload });

  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 'plain');
    const deps = { stores: t.services.stores, hot: t.services.hot, sealer: t.services.sealer, dataDir: t.config.dataDir, now: t.services.now };
    const verdict = await registerTitle(deps, {
      id: 'marked',
      name: 'Marked',
      packagers: [
        {
          protocol: 'hls',
          packager: async (dir, keyFor) => {
            keyFor('hls');
            keyFor('watermark');
            await mkdir(join(dir, '240p'), { recursive: true });
            await writeFile(join(dir, 'master.m3u8'), '#EXTM3U\n');
            return { durationSec: 4 };
          },
        },
      ],
    });
    if (!verdict.ok) throw new Error(verdict.detail);
  });
  afterAll(() => t.close());

  it('refuses without the admin token', async () => {
    expect((await post('/v1/admin/trace?title_id=marked', { 'content-type': 'video/mp4' })).statusCode).toBe(401);
  });

  it('names what is wrong with the title', async () => {
    const missing = await post('/v1/admin/trace');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().detail).toContain('title_id');
    expect((await post('/v1/admin/trace?title_id=nope')).json()).toMatchObject({ status: 404, code: 'not_found' });
    const plain = await post('/v1/admin/trace?title_id=plain');
    expect(plain.json()).toMatchObject({ status: 400, code: 'bad_request' });
    expect(plain.json().detail).toContain('--watermark');
  });

  it('refuses bytes that are not a video, and leaves no upload behind', async () => {
    const res = await post('/v1/admin/trace?title_id=marked');
    expect(res.json()).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const staging = await readdir(stagingRoot(t.config.dataDir));
    expect(staging.filter((name) => name.startsWith('trace'))).toEqual([]);
  });

  it('refuses a body that is not declared a video', async () => {
    const res = await post('/v1/admin/trace?title_id=marked', { ...admin, 'content-type': 'text/plain' });
    expect(res.statusCode).toBe(415);
  });
});
