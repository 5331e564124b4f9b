/**
 * Fault: the first start writes the master key on a full disk (issue 8, item 7). The key file
 * must appear whole or not at all, and a damaged one must stop the start with a message that
 * says what to do (a configuration error: exit 78), never be replaced by a new key.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/server/config.js';
import { loadOrCreateMasterKey, type SecretWrite } from '../../src/server/keys/master-key-file.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');

/** A disk that fills up after the first few bytes. */
const fullDisk: SecretWrite = async (handle, data) => {
  await handle.write(data.subarray(0, 5));
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
};

describe('fault: the master key file', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-master-key-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('leaves no key file when the disk fills up while writing it, and the next start creates a good one', async () => {
    await expect(loadOrCreateMasterKey(dataDir, fullDisk)).rejects.toThrow(/ENOSPC/);
    expect(await readdir(dataDir)).toEqual([]);
    const created = await loadOrCreateMasterKey(dataDir);
    expect(created.created).toBe(true);
    expect(created.key).toHaveLength(32);
    expect((await stat(join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateMasterKey(dataDir)).toEqual({ key: created.key, created: false });
    expect(await readdir(dataDir)).toEqual(['master.key']);
  });

  it.each([
    ['empty', ''],
    ['truncated', 'q83v'],
    ['the wrong length', `${Buffer.alloc(16, 7).toString('base64')}\n`],
    ['not base64', `${'!'.repeat(43)}=\n`],
  ])('refuses a key file that is %s with a configuration error saying what to do, and keeps it', async (_what, content) => {
    await writeFile(join(dataDir, 'master.key'), content, { mode: 0o600 });
    const error = await loadOrCreateMasterKey(dataDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/master\.key is (empty|damaged)/);
    expect((error as Error).message).toMatch(/delete the file/);
    expect((error as Error).message).toMatch(/restore it from your backup/);
    expect(await readFile(join(dataDir, 'master.key'), 'utf8')).toBe(content);
  });

  it('makes `tollgate serve` exit 78 on an empty key file, naming the file', async () => {
    await writeFile(join(dataDir, 'master.key'), '', { mode: 0o600 });
    const result = await run('node', [BIN, 'serve'], {
      env: { ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_PORT: '0', TOLLGATE_LOG_LEVEL: 'silent' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(join(dataDir, 'master.key'));
  });
});
