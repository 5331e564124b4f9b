/**
 * The block list's fail-safe: when the database cannot be read, the blocks last read stay
 * enforced until they expire, nobody else is refused, and the next read after recovery sees
 * the changes. (The database is made to fail by wrapping the real store.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchtowerStore } from '../../src/core/ports.js';
import { BlockList, REFRESH_MS } from '../../src/server/monitor/block-list.js';
import { startTestApp, type TestApp } from '../support/app.js';

describe('block list', () => {
  let t: TestApp;
  let down: boolean;
  let blocks: BlockList;
  beforeEach(async () => {
    t = await startTestApp();
    down = false;
    const real = t.services.stores.watchtower;
    const failing: WatchtowerStore = { ...real, activeBlocks: (now) => (down ? Promise.reject(new Error('database down')) : real.activeBlocks(now)) };
    blocks = new BlockList(failing, () => t.clock.now);
  });
  afterEach(() => t.close());

  it('keeps enforcing the last blocks read while the database is down, until they expire', async () => {
    await blocks.add('203.0.113.0/24', 1, 'test', null);
    down = true;
    t.clock.now += REFRESH_MS;
    expect(await blocks.check('203.0.113.50')).toMatchObject({ network: '203.0.113.0/24' });
    expect(blocks.blocked('203.0.113.51')).toBeDefined();
    expect(await blocks.check('198.51.100.1')).toBeUndefined();
    t.clock.now += 60_000;
    expect(await blocks.check('203.0.113.50')).toBeUndefined();
  });

  it('sees blocks made elsewhere once the database answers again', async () => {
    expect(await blocks.check('192.0.2.1')).toBeUndefined();
    await t.services.blocks.add('192.0.2.1', 5, 'made by another instance', null);
    down = true;
    t.clock.now += REFRESH_MS;
    expect(await blocks.check('192.0.2.1')).toBeUndefined();
    down = false;
    expect(await blocks.check('192.0.2.1')).toMatchObject({ reason: 'made by another instance' });
  });
});
