/**
 * Threat: watching on after a title was taken down or replaced. A playback session started
 * before the change keeps its token: it must not go on fetching manifests, segments or keys,
 * the old content keys must not leave at all, and a failed replacement must not take the old
 * version down with it (its files and keys go only once the new ones are registered).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerTitle } from '../../src/server/catalog/register.js';
import { removeTitle } from '../../src/server/catalog/remove.js';
import { FOLDER_RECHECK_MS } from '../../src/server/gateway/files.js';
import { MARK_RECHECK_MS } from '../../src/server/playback/liveness.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

describe('attack: keep watching a title after it was removed or replaced', () => {
  let t: TestApp;
  let bearer: { authorization: string };
  let oldKid: string;

  beforeEach(async () => {
    t = await startTestApp();
    ({ kid: oldKid } = await registerSyntheticTitle(t.services, 'show'));
    const viewer = await seedSubscriber(t.app, { plan: 'basic', titles: ['show'] });
    bearer = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
  });
  afterEach(() => t.close());

  const start = async (): Promise<string> => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: bearer, payload: { title_id: 'show' } });
    expect(res.statusCode).toBe(201);
    return res.json().manifest_url;
  };
  const get = (manifestUrl: string, path = 'master.m3u8') =>
    t.app.inject({ method: 'GET', url: manifestUrl.replace(t.config.publicUrl, '').replace('hls/master.m3u8', `hls/${path}`) });
  const deps = () => ({ ...t.services, dataDir: t.config.dataDir });

  it('refuses a session of a removed title and its key, and leaves no files or keys behind', async () => {
    const manifest = await start();
    expect((await get(manifest, `keys/${oldKid}`)).statusCode).toBe(200);
    const removed = await removeTitle(deps(), 'show');
    expect(removed).toMatchObject({ ok: true, value: { endedSessions: 1 } });
    t.clock.now += MARK_RECHECK_MS;
    for (const path of ['master.m3u8', '360p/seg_00000.ts', `keys/${oldKid}`]) {
      const res = await get(manifest, path);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('token_revoked');
    }
    expect(await t.services.stores.titles.contentKey(oldKid)).toBeUndefined();
    expect(await readdir(join(t.config.dataDir, 'media'))).toEqual([]);
    expect((await t.app.inject({ method: 'POST', url: '/v1/playback', headers: bearer, payload: { title_id: 'show' } })).statusCode).toBe(404);
  });

  it('refuses the old session of a replaced title; a new session plays the new version, and the old key is gone', async () => {
    const oldManifest = await start();
    expect((await get(oldManifest, '360p/seg_00000.ts')).rawPayload).toEqual(Buffer.alloc(1000, 1));
    const { kid: newKid } = await registerSyntheticTitle(t.services, 'show', { replace: true });
    expect(newKid).not.toBe(oldKid);
    t.clock.now += Math.max(MARK_RECHECK_MS, FOLDER_RECHECK_MS);
    expect((await get(oldManifest, '360p/seg_00000.ts')).json().code).toBe('token_revoked');

    const manifest = await start();
    expect((await get(manifest, '360p/index.m3u8')).body).toContain(`keys/${newKid}`);
    expect((await get(manifest, '360p/seg_00000.ts')).rawPayload).toEqual(Buffer.alloc(1000, 3));
    expect((await get(manifest, `keys/${newKid}`)).statusCode).toBe(200);
    expect((await get(manifest, `keys/${oldKid}`)).statusCode).toBe(404);
    expect(await t.services.stores.titles.contentKey(oldKid)).toBeUndefined();
    expect(await readdir(join(t.config.dataDir, 'media'))).toEqual(['show']);
  });

  it('keeps the old version whole, serving and keyed, when the replacement fails', async () => {
    const manifest = await start();
    const failing = registerTitle(deps(), {
      id: 'show',
      name: 'broken cut',
      replace: true,
      packagers: [
        {
          protocol: 'hls',
          packager: async (_dir, keyFor) => {
            keyFor('hls');
            throw new Error('ffmpeg died');
          },
        },
      ],
    });
    await expect(failing).rejects.toThrow('ffmpeg died');
    t.clock.now += MARK_RECHECK_MS;
    expect((await get(manifest, `keys/${oldKid}`)).statusCode).toBe(200);
    expect((await get(manifest, '360p/seg_00001.ts')).rawPayload).toEqual(Buffer.alloc(1000, 2));
    expect((await t.services.stores.titles.get('show'))?.name).toBe('Synthetic show');
    expect(await readdir(join(t.config.dataDir, 'media'))).toEqual(['show']);
  });

  it('refuses to "replace" a title that does not exist, and to overwrite one without saying replace', async () => {
    expect(await registerSyntheticTitle(t.services, 'nope', { replace: true }).catch((e: Error) => e.message)).toContain('does not exist');
    expect(await registerSyntheticTitle(t.services, 'show').catch((e: Error) => e.message)).toContain('already exists');
  });
});
