/** A real DASH title's CPIX export: valid against the DASH-IF schema, and the same keys as its MPD. */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCpix } from '../../src/cli/keys-export.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { packageTestDashTitle } from '../support/titles.js';

const run = promisify(execFile);
const SCHEMA = join(import.meta.dirname, '../fixtures/cpix/cpix.xsd');

describe('CPIX export of a packaged DASH title', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await packageTestDashTitle(t.services, { titleId: 'film', durationSec: 4, rotationSec: 2 });
  }, 120_000);
  afterAll(() => t.close());

  it('validates and lists exactly the MPD key ids, with the stored keys', async () => {
    const cpix = await exportCpix(t.services, 'film');
    if (!cpix.ok) throw new Error(cpix.detail);
    const file = join(t.config.dataDir, 'film.cpix.xml');
    await writeFile(file, cpix.value);
    await run('xmllint', ['--noout', '--nonet', '--schema', SCHEMA, file]);

    const mpd = await readFile(join(t.config.dataDir, 'media', 'film', 'dash', 'manifest.mpd'), 'utf8');
    const mpdKids = new Set([...mpd.matchAll(/cenc:default_KID="([0-9a-f-]{36})"/g)].map((m) => m[1]!.toLowerCase()));
    const cpixKids = new Set([...cpix.value.matchAll(/<ContentKey kid="([0-9a-f-]{36})"/g)].map((m) => m[1]!.toLowerCase()));
    expect(mpdKids.size).toBeGreaterThanOrEqual(6); // sd, hd, audio × 2 periods
    expect(cpixKids).toEqual(mpdKids);
    expect(cpix.value).toContain('KeyPeriodFilter');
  });
});
