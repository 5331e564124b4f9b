/**
 * The access-rule flags of `plans add` and `titles set`, and a country database that cannot be
 * read (TOLLGATE_GEOIP_DB): a configuration error, exit 78, naming the setting.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { registerSyntheticTitle } from '../support/titles.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');

describe('tollgate access-rule flags', () => {
  let dataDir: string;
  const tollgate = (args: string[], extra: Record<string, string> = {}) =>
    run('node', [BIN, ...args], { env: { ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent', ...extra } }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-cli-access-'));
    const services = await compose(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent' }));
    try {
      await registerSyntheticTitle(services, 'film');
    } finally {
      await services.close();
    }
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('sets, keeps and removes country lists and origins on plans', async () => {
    const set = await tollgate(['plans', 'add', '--id', 'eu', '--all', '--countries-allow', 'fr,DE', '--countries-block', 'ch', '--allowed-origins', 'https://a.example,https://B.example:8443']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ countries: { allow: ['DE', 'FR'], block: ['CH'] }, allowed_origins: ['https://a.example', 'https://b.example:8443'] });
    const kept = await tollgate(['plans', 'add', '--id', 'eu', '--all', '--countries-block', '']);
    expect(JSON.parse(kept.stdout)).toMatchObject({ countries: { allow: ['DE', 'FR'] }, allowed_origins: ['https://a.example', 'https://b.example:8443'] });
    const wrong = await tollgate(['plans', 'add', '--id', 'eu', '--all', '--countries-allow', 'UK']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('"UK" is not an ISO 3166-1 alpha-2 country code');
  });

  it('sets a title\'s rules with `titles set`, and refuses an unknown title or a bad origin', async () => {
    const set = await tollgate(['titles', 'set', 'film', '--countries-block', 'us,ca', '--allowed-origins', 'https://partner.example']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ id: 'film', countries: { block: ['CA', 'US'] }, allowed_origins: ['https://partner.example'] });
    const listed = JSON.parse((await tollgate(['titles', 'list'])).stdout).titles[0];
    expect(listed).toMatchObject({ id: 'film', countries: { block: ['CA', 'US'] } });
    expect((await tollgate(['titles', 'set', 'nope', '--countries-block', 'us'])).code).toBe(1);
    const origin = await tollgate(['titles', 'set', 'film', '--allowed-origins', 'https://partner.example/player']);
    expect(origin.code).toBe(1);
    expect(origin.stderr).toContain('is not an origin');
  });

  it('stops with exit 78 naming TOLLGATE_GEOIP_DB when the country database cannot be read', async () => {
    const res = await tollgate(['titles', 'list'], { TOLLGATE_GEOIP_DB: join(dataDir, 'no-such.mmdb') });
    expect(res.code).toBe(78);
    expect(res.stderr).toContain('TOLLGATE_GEOIP_DB=');
    expect(res.stderr).toContain('no-such.mmdb');
  });
});
