import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { registerSyntheticDashTitle } from '../support/titles.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const SCHEMA = join(import.meta.dirname, '../fixtures/cpix/cpix.xsd');

describe('tollgate keys export and entitlement mint', () => {
  let dataDir: string;
  let keys: Awaited<ReturnType<typeof registerSyntheticDashTitle>>;
  const env = () => ({ ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent' });
  const withServices = async <T>(fn: (s: Services) => Promise<T>) => {
    const services = await compose(loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent' }));
    try {
      return await fn(services);
    } finally {
      await services.close();
    }
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-drm-cli-'));
    keys = await withServices((s) => registerSyntheticDashTitle(s, 'drm'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('exports the title keys as CPIX that validates against the DASH-IF schema and matches the stored keys', async () => {
    const { stdout } = await run('node', [BIN, 'keys', 'export', '--title', 'drm', '--format', 'cpix'], { env: env() });
    const file = join(dataDir, 'export.xml');
    await writeFile(file, stdout);
    await run('xmllint', ['--noout', '--nonet', '--schema', SCHEMA, file]);
    for (const { kid, key } of Object.values(keys)) {
      const uuid = `${kid.slice(0, 8)}-${kid.slice(8, 12)}-${kid.slice(12, 16)}-${kid.slice(16, 20)}-${kid.slice(20)}`;
      expect(stdout).toContain(`kid="${uuid}"`);
      expect(stdout).toContain(`<pskc:PlainValue>${Buffer.from(key).toString('base64')}</pskc:PlainValue>`);
    }
    expect(stdout).toContain('systemId="e2719d58-a985-b3c9-781a-b030af78d30e"');
    const missing = await run('node', [BIN, 'keys', 'export', '--title', 'nope', '--format', 'cpix'], { env: env() }).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(missing).toBe(1);
  });

  it('mints a message that opens the license server once', async () => {
    // The server runs first: a message issued before its (in-memory) hot state began is refused.
    await withServices(async (services) => {
      const { stdout } = await run('node', [BIN, 'entitlement', 'mint', '--title', 'drm', '--ttl', '20'], { env: env() });
      const message = stdout.trim();
      const claims = JSON.parse(Buffer.from(message.split('.')[1]!, 'base64url').toString('utf8'));
      expect(claims.exp - claims.iat).toBe(20);
      const app = buildApp(services);
      const post = () =>
        app.inject({
          method: 'POST',
          url: '/v1/license/clearkey',
          headers: { 'content-type': 'application/json', 'x-tollgate-entitlement': message },
          payload: JSON.stringify({ kids: [Buffer.from(keys.sd.kid, 'hex').toString('base64url')] }),
        });
      expect((await post()).statusCode).toBe(200);
      expect((await post()).statusCode).toBe(401);
      await app.close();
    });
  });
});
