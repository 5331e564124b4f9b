/**
 * The embedded default's master key file, <dataDir>/master.key (mode 0600). Deployments with
 * several instances set TOLLGATE_MASTER_KEY on all of them instead.
 *
 * Threats: a first start interrupted (full disk, crash, power cut) leaving an empty or partial
 * key file that every later start trips over, and a damaged key silently replaced by a new one
 * (everything sealed under the old key would be lost). So the key is written to a private
 * temporary file, flushed to disk, and only then linked into place (a link never overwrites a
 * key another process made a moment ago); a key file of the wrong shape stops the start with a
 * configuration error (exit 78) that says how to recover, and is never overwritten.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

const KEY_BYTES = 32;

/** How the bytes reach the temporary file; tests inject a failing write (a full disk). */
export type SecretWrite = (handle: FileHandle, data: Buffer) => Promise<void>;

const writeAll: SecretWrite = async (handle, data) => {
  await handle.writeFile(data);
};

export async function loadOrCreateMasterKey(
  dataDir: string,
  write: SecretWrite = writeAll,
): Promise<{ key: Uint8Array; created: boolean }> {
  const path = join(dataDir, 'master.key');
  const existing = await readKeyFile(path);
  if (existing !== undefined) return { key: existing, created: false };
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(KEY_BYTES);
  if (!(await writeSecretFile(path, Buffer.from(`${key.toString('base64')}\n`), write))) {
    // Another process created it between our read and our link: use theirs.
    return loadOrCreateMasterKey(dataDir, write);
  }
  return { key: new Uint8Array(key), created: true };
}

/** The key in the file; undefined when there is no file; ConfigError when it is damaged. */
async function readKeyFile(path: string): Promise<Uint8Array | undefined> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = Buffer.from(text, 'base64');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text) && key.length === KEY_BYTES) return new Uint8Array(key);
  throw new ConfigError([
    `${path} is ${text === '' ? 'empty' : 'damaged'}: it must hold a ${KEY_BYTES}-byte key in base64. ` +
      'If nothing was ever stored with this data dir (a first start that failed, e.g. on a full disk), delete the file and start again; ' +
      'otherwise restore it from your backup, or set TOLLGATE_MASTER_KEY to the key. It is never replaced automatically: ' +
      'a new key could not open the signing and content keys sealed under the old one.',
  ]);
}

/**
 * Writes data to path only if path does not exist, all or nothing: false when it already did.
 * Temp file (0600, exclusive) → fsync → link into place → fsync the folder, so a crash at any
 * point leaves either no file or the complete one.
 */
async function writeSecretFile(path: string, data: Buffer, write: SecretWrite): Promise<boolean> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await write(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    await syncDir(join(path, '..'));
    return true;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
