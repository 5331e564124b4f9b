import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { ADMIN_TOKEN, login, seedSubscriber } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

describe('logs', () => {
  it('are JSON lines about every request and carry no password, token or key', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-logs-'));
    const lines: string[] = [];
    const services = await compose(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_LOG_LEVEL: 'info' }));
    const app = buildApp(services, { logStream: { write: (line) => lines.push(line) } });
    try {
      const { kid } = await registerSyntheticTitle(services, 'movie');
      const viewer = await seedSubscriber(app, { titles: '*' });
      const tokens = (await login(app, viewer.email, viewer.password)).json();
      await login(app, viewer.email, 'a wrong password');
      await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: tokens.refresh_token } });
      const auth = { authorization: `Bearer ${tokens.access_token}` };
      const { manifest_url } = (await app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json();
      const path = manifest_url.replace(services.config.publicUrl, '');
      await app.inject({ method: 'GET', url: path });
      await app.inject({ method: 'GET', url: path.replace('master.m3u8', `keys/${kid}`) });
      await app.inject({ method: 'GET', url: `${path}?tg=${encodeURIComponent('x')}` });

      const text = lines.join('');
      const secrets = [viewer.password, 'a wrong password', tokens.access_token, tokens.refresh_token, ADMIN_TOKEN, /\/v1\/stream\/([^/]+)/.exec(path)![1]!];
      for (const secret of secrets) expect(text).not.toContain(secret);
      const records = lines.map((l) => JSON.parse(l) as { req?: { url: string } });
      expect(records.some((r) => r.req?.url.startsWith('/v1/stream/[redacted]/movie/hls/master.m3u8'))).toBe(true);
    } finally {
      await app.close();
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
