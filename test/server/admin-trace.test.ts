// POST /v1/admin/trace (issue 13), wrong calls: no admin token, no or unknown title, a title
// packaged without --watermark (HLS or DASH), bytes that are not a video, a body type that is not a video.
// The right call is in test/server/openapi.test.ts; tracing itself in test/e2e/watermark-trace.test.ts.
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingRoot } from '../../src/server/catalog/staging-area.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticDashTitle, registerSyntheticTitle, registerWatermarkedStub } from '../support/titles.js';

describe('POST /v1/admin/trace', () => {
  let t: TestApp;
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'video/mp4' };
  const post = (url: string, headers: Record<string, string> = admin, payload: Buffer | string = Buffer.from('not a video at all')) =>
    t.app.inject({ method: 'POST', url, headers, payload });

  beforeAll(async () => {
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 'plain');
    await registerSyntheticDashTitle(t.services, 'plain-dash');
    await registerWatermarkedStub(t.services, 'marked');
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
    for (const title of ['plain', 'plain-dash']) {
      const plain = await post(`/v1/admin/trace?title_id=${title}`);
      expect(plain.json()).toMatchObject({ status: 400, code: 'bad_request' });
      expect(plain.json().detail).toContain('--watermark');
    }
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
