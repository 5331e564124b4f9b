/**
 * The event pipeline's guarantees: retention prunes old events; a store that is down never
 * fails or blocks a request and costs only the oldest events (counted); the SIEM stream writes
 * one ECS line per event; with events off nothing is recorded.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../../src/core/events.js';
import type { EventStore } from '../../src/core/ports.js';
import { EventWriter } from '../../src/server/monitor/event-writer.js';
import { toEcs } from '../../src/server/monitor/siem.js';
import { ADMIN_TOKEN, startTestApp } from '../support/app.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const event = (n: number): DecisionEvent => ({ id: `e${String(n).padStart(6, '0')}`, at: n, kind: 'login', decision: 'deny', code: 'invalid_credentials', ip: '192.0.2.1' });

describe('event retention', () => {
  it('prunes events older than TOLLGATE_EVENTS_RETENTION_DAYS and keeps newer ones', async () => {
    const t = await startTestApp({ env: { TOLLGATE_EVENTS_RETENTION_DAYS: '2' } });
    try {
      await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: admin });
      await t.services.events.flush();
      t.clock.now += 86_400_000;
      await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: admin });
      await t.services.events.flush();
      expect((await t.services.pruner.runOnce()).events).toBe(0);
      t.clock.now += 86_400_000 + 1;
      expect((await t.services.pruner.runOnce()).events).toBe(1);
      expect(await t.services.stores.events.query({ limit: 10 })).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});

describe('the event store away', () => {
  it('keeps events while the store fails, writes them when it is back, and drops the oldest beyond its bound', async () => {
    let down = true;
    const stored: DecisionEvent[] = [];
    const store: EventStore = {
      append: async (events) => {
        if (down) throw new Error('database away');
        stored.push(...events);
      },
      query: async () => [],
      perMinute: async () => [],
      prune: async () => 0,
    };
    let errors = 0;
    let dropped = 0;
    const writer = new EventWriter(store, { flushMs: 60_000, batchSize: 10, maxBuffered: 30, onError: () => errors++, onDropped: (n) => (dropped += n) });
    for (let n = 1; n <= 45; n++) writer.add(event(n));
    await writer.flush();
    expect(errors).toBeGreaterThan(0);
    expect(writer.buffered()).toBeLessThanOrEqual(30);
    expect(dropped).toBe(45 - writer.buffered());
    down = false;
    await writer.close();
    expect(stored.map((e) => e.at)).toEqual(Array.from({ length: 45 - dropped }, (_, i) => dropped + i + 1));
  });

  it('answers requests as usual while events cannot be written', async () => {
    const t = await startTestApp();
    try {
      const original = t.services.stores.events.append;
      (t.services.stores.events as { append: EventStore['append'] }).append = () => Promise.reject(new Error('database away'));
      for (let i = 0; i < 3; i++) expect((await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: admin })).statusCode).toBe(200);
      await t.services.events.flush();
      expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/tollgate_events_failures_total\{where="store"\} [1-9]/);
      (t.services.stores.events as { append: EventStore['append'] }).append = original;
      await t.services.events.flush();
      expect(await t.services.stores.events.query({ kind: 'admin', limit: 10 })).toHaveLength(3);
    } finally {
      await t.close();
    }
  });
});

describe('the SIEM stream', () => {
  it('maps an event to Elastic Common Schema names', () => {
    const ecs = toEcs({ ...event(1), at: Date.UTC(2026, 0, 2), userId: 'u1', sessionId: 's1', deviceId: 'tv', titleId: 't1', country: 'FR', asn: 3215, count: 4, detail: { bytes: 9 } });
    expect(ecs).toEqual({
      '@timestamp': '2026-01-02T00:00:00.000Z',
      event: { id: 'e000001', kind: 'event', category: ['authentication'], action: 'login', outcome: 'failure', reason: 'invalid_credentials' },
      user: { id: 'u1' },
      session: { id: 's1' },
      device: { id: 'tv' },
      source: { ip: '192.0.2.1', geo: { country_iso_code: 'FR' }, as: { number: 3215 } },
      tollgate: { count: 4, title_id: 't1', bytes: 9 },
    });
  });

  it('appends one JSON line per event to the configured file', async () => {
    const file = join(tmpdir(), `tollgate-siem-${process.pid}-${Date.now()}.ndjson`);
    const t = await startTestApp({ env: { TOLLGATE_EVENTS_SIEM: file } });
    await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: admin });
    await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'nobody@example.com', password: 'a secret password' } });
    await t.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    await rm(file);
    expect(lines.map((l) => [l.event.action, l.event.outcome])).toEqual([
      ['admin', 'success'],
      ['login', 'failure'],
    ]);
    expect(lines[1].event.reason).toBe('invalid_credentials');
    expect(JSON.stringify(lines)).not.toContain('a secret password');
    expect(JSON.stringify(lines)).not.toContain(ADMIN_TOKEN);
  });
});

describe('events off', () => {
  it('records nothing with TOLLGATE_EVENTS=off', async () => {
    const t = await startTestApp({ env: { TOLLGATE_EVENTS: 'off' } });
    try {
      await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: admin });
      await t.services.events.flush();
      expect(await t.services.stores.events.query({ limit: 10 })).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
