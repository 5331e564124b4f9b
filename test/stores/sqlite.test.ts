/** The SQL contracts on embedded SQLite, plus what only SQLite has: the file, WAL, two processes. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDurableStores } from '../../src/server/stores/open.js';
import { openSqlite } from '../../src/server/stores/sql/sqlite.js';
import { sqlContracts } from './sql-contracts.js';

const root = mkdtempSync(join(tmpdir(), 'tollgate-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `db-${++n}`, 'nested');

describe('SQLite', () => {
  sqlContracts(async () => {
    const dataDir = newDir();
    return { openDb: () => openSqlite(dataDir), openStores: () => openDurableStores({ dataDir }) };
  });

  it('creates <dataDir>/tollgate.db in WAL mode with foreign keys on', async () => {
    const dataDir = newDir();
    const db = await openSqlite(dataDir);
    expect(existsSync(join(dataDir, 'tollgate.db'))).toBe(true);
    expect(await db.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await db.query('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
    expect((await db.query<{ timeout: number }>('PRAGMA busy_timeout'))[0]?.timeout).toBeGreaterThan(0);
    await db.close();
  });

  it('never interleaves concurrent read-modify-write transactions', async () => {
    const db = await openSqlite(newDir());
    await db.query('CREATE TABLE counter (n INTEGER NOT NULL)');
    await db.query('INSERT INTO counter (n) VALUES (0)');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction(async (tx) => {
          const [row] = await tx.query<{ n: number }>('SELECT n FROM counter');
          await new Promise((resolve) => setTimeout(resolve, 1));
          await tx.query('UPDATE counter SET n = $1', [(row?.n ?? 0) + 1]);
        }),
      ),
    );
    expect(await db.query('SELECT n FROM counter')).toEqual([{ n: 20 }]);
    await db.close();
  });

  it('waits for another process holding the write lock instead of failing', async () => {
    const dataDir = newDir();
    const stores = await openDurableStores({ dataDir });
    // A second OS process (as the `tollgate` CLI would be) takes the write lock and holds it.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const db = require('better-sqlite3')(process.argv[1]);
         db.exec('BEGIN IMMEDIATE');
         db.prepare("INSERT INTO plans (id, titles, max_streams, created_at, updated_at) VALUES ('cli', '*', NULL, 1, 1)").run();
         console.log('locked');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
         db.exec('COMMIT');`,
        join(dataDir, 'tollgate.db'),
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const started = Date.now();
    await stores.signingKeys.rotate(
      { kid: 'k1', use: 'access', alg: 'EdDSA', publicJwk: null, sealed: 's', createdAt: 1, retiredAt: null },
      1,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(await exited).toBe(0);
    expect((await stores.plans.get('cli'))?.titles).toBe('*');
    expect(await stores.signingKeys.list('access')).toHaveLength(1);
    await stores.close();
  });
});
