import { describe, expect, it } from 'vitest';
import { NO_ACCESS_RULES } from '../../src/core/access-rules.js';
import type { NewAlert } from '../../src/core/ports.js';
import { id, seedUser, useStores, type NewSqlTarget } from './harness.js';

const alert = (overrides: Partial<NewAlert> = {}): NewAlert => ({
  id: id('alert'),
  detector: 'copied_url',
  subject: 'session:s1',
  severity: 'high',
  summary: 'two networks',
  userId: 'u1',
  sessionId: 's1',
  ip: '203.0.113.7',
  evidence: ['e1', 'e2'],
  dryRun: false,
  ...overrides,
});

export function watchtowerStoreContract(newTarget: NewSqlTarget): void {
  describe('WatchtowerStore', () => {
    const ctx = useStores(newTarget);

    it('opens an alert, adds a repeat within the window to it, and opens a new one after the window', async () => {
      const store = ctx.stores.watchtower;
      const first = await store.raiseAlert(alert(), 0, 1_000);
      expect(first).toMatchObject({ opened: true, alert: { status: 'open', hits: 1, evidence: ['e1', 'e2'], actionsTaken: [], dryRun: false, createdAt: 1_000 } });
      const repeat = await store.raiseAlert(alert({ evidence: ['e2', 'e3'], summary: 'three networks' }), 500, 2_000);
      expect(repeat).toMatchObject({ opened: false, alert: { id: first.alert.id, hits: 2, evidence: ['e1', 'e2', 'e3'], summary: 'three networks', lastAt: 2_000 } });
      const later = await store.raiseAlert(alert(), 5_000, 9_000);
      expect(later.opened).toBe(true);
      expect((await store.listAlerts({ status: 'open' }, 10)).map((a) => a.id)).toEqual([later.alert.id]);
      expect((await store.listAlerts({ status: 'resolved' }, 10)).map((a) => a.id)).toEqual([first.alert.id]);
    });

    it('keeps one open alert per detector and subject when two handles raise at once', async () => {
      const other = await ctx.another();
      const raised = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? other : ctx.stores).watchtower.raiseAlert(alert(), 0, 1_000 + i)));
      expect(raised.filter((r) => r.opened)).toHaveLength(1);
      expect(await ctx.stores.watchtower.listAlerts({ status: 'open' }, 10)).toMatchObject([{ hits: 6 }]);
    });

    it('records actions and resolves once', async () => {
      const store = ctx.stores.watchtower;
      const { alert: a } = await store.raiseAlert(alert(), 0, 1_000);
      const ended = { action: 'end_session', target: 's1', at: 1_000, dryRun: false };
      const blocked = { action: 'block_network', target: '203.0.113.0/24', at: 1_000, dryRun: false, undo: 'DELETE /v1/admin/blocks/b1' };
      await store.addActions(a.id, [ended]);
      await store.addActions(a.id, [blocked]);
      expect((await store.resolveAlert(a.id, 2_000))?.actionsTaken).toEqual([ended, blocked]);
      expect(await store.resolveAlert(a.id, 3_000)).toMatchObject({ status: 'resolved', resolvedAt: 2_000 });
      expect(await store.resolveAlert('no-such-alert', 3_000)).toBeUndefined();
    });

    it('lists live blocks only, and lifts a live one once', async () => {
      const store = ctx.stores.watchtower;
      const block = { reason: 'r', alertId: null, createdAt: 1_000, liftedAt: null };
      await store.addBlock({ ...block, id: 'b1', network: '203.0.113.0/24', expiresAt: 10_000 });
      await store.addBlock({ ...block, id: 'b2', network: '2001:db8::/64', expiresAt: 3_000 });
      expect((await store.activeBlocks(2_000)).map((b) => b.id)).toEqual(['b1', 'b2']);
      expect((await store.activeBlocks(5_000)).map((b) => b.id)).toEqual(['b1']);
      expect(await store.liftBlock('b2', 5_000)).toBe(false);
      expect(await store.liftBlock('b1', 5_000)).toBe(true);
      expect(await store.liftBlock('b1', 5_000)).toBe(false);
      expect(await store.activeBlocks(5_000)).toEqual([]);
    });

    it('requires MFA of a user until cleared, and flags titles sensitive', async () => {
      const store = ctx.stores.watchtower;
      const u = await seedUser(ctx.stores);
      expect(await store.mfaRequired(u.id)).toBe(false);
      await store.requireMfa(u.id, null, 1_000);
      await store.requireMfa(u.id, 'a1', 2_000);
      expect(await store.mfaRequired(u.id)).toBe(true);
      expect(await store.clearMfaRequirement(u.id)).toBe(true);
      expect(await store.clearMfaRequirement(u.id)).toBe(false);
      await ctx.stores.titles.create({ id: 'pre-release', name: 'P', protocols: ['hls'], durationSec: 1, createdAt: 1, access: NO_ACCESS_RULES }, []);
      expect(await store.setSensitive('pre-release', true)).toBe(true);
      expect(await store.setSensitive('missing', true)).toBe(false);
      expect(await store.sensitiveTitles()).toEqual(['pre-release']);
      await store.setSensitive('pre-release', false);
      expect(await store.sensitiveTitles()).toEqual([]);
    });
  });
}
