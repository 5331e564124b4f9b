/**
 * The SQL contracts on PostgreSQL. Every database the suites ask for is a fresh schema in the
 * test database, dropped afterwards. The server is always part of the test environment: if it
 * is unreachable the run fails, it is never skipped.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDurableStores } from '../../src/server/stores/open.js';
import { openPostgres } from '../../src/server/stores/sql/postgres.js';
import { sqlContracts } from './sql-contracts.js';

const url = process.env.TOLLGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = `tollgate_test_${process.pid}_${randomBytes(4).toString('hex')}`;
const admin = new pg.Pool({ connectionString: url, max: 2 });
const schemas: string[] = [];

async function newSchema(): Promise<string> {
  const schema = `${run}_${schemas.length + 1}`;
  schemas.push(schema);
  await admin.query(`CREATE SCHEMA ${schema}`);
  return schema;
}

beforeAll(async () => {
  await admin.query('SELECT 1').catch((error: Error) => {
    throw new Error(`PostgreSQL unreachable at ${url} (set TOLLGATE_TEST_DATABASE_URL): ${error.message}`);
  });
});

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

describe('PostgreSQL', () => {
  sqlContracts(async () => {
    const schema = await newSchema();
    return {
      openDb: () => openPostgres({ url, schema }),
      openStores: () => openDurableStores({ databaseUrl: url, dataDir: tmpdir(), schema }),
    };
  });

  it('keeps its tables in the given schema and its int8 parsing to its own pool', async () => {
    const schema = await newSchema();
    const stores = await openDurableStores({ databaseUrl: url, dataDir: tmpdir(), schema });
    const tables = await admin.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'alerts',
      'blocks',
      'content_keys',
      'devices',
      'events',
      'mfa_recovery_codes',
      'mfa_step_ups',
      'plans',
      'playback_sessions',
      'refresh_families',
      'refresh_tokens',
      'rentals',
      'schema_migrations',
      'signing_keys',
      'titles',
      'user_mfa',
      'users',
    ]);
    // pg's global parser is untouched: other pools still get int8 as a string.
    expect((await admin.query('SELECT CAST(7 AS BIGINT) AS n')).rows).toEqual([{ n: '7' }]);
    await stores.close();
  });

  it('creates a missing schema and rejects unsafe schema names', async () => {
    const schema = `${run}_created`;
    schemas.push(schema);
    const db = await openPostgres({ url, schema });
    await db.close();
    const found = await admin.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
    expect(found.rowCount).toBe(1);
    await expect(openPostgres({ url, schema: 'x; DROP TABLE users' })).rejects.toThrow(/schema name/);
  });

  it('fails to open when the server is unreachable', async () => {
    await expect(
      openDurableStores({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test', dataDir: tmpdir() }),
    ).rejects.toThrow();
  });
});
