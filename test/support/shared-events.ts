/**
 * A pattern only the whole cluster's events show: one playback session's requests alternating
 * between two networks (a copied URL), each network's requests reaching a different instance.
 * Published on each instance's event bus as its recorder would; the watchtower that reads the
 * bus must see all of them to raise `copied_url`.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Services } from '../../src/server/compose.js';
import { ADMIN_TOKEN } from './app.js';
import type { Instance } from './fault-cluster.js';

/**
 * Publishes the alternation, network A on `a` and network B on `b`, as requests a few hundred
 * milliseconds apart (each instance appends its events to the stream every 50 ms); returns
 * the session's id.
 */
export async function copiedUrlAcrossInstances(a: Services, b: Services): Promise<string> {
  const sessionId = `s-${randomUUID()}`;
  const userId = `u-${randomUUID()}`;
  const at = Date.now();
  for (let i = 0; i < 6; i++) {
    const [instance, ip] = i % 2 === 0 ? [a, '81.2.69.1'] : [b, '2001:db8:7:7::1'];
    instance.events.bus.publish({ id: `ev-${randomUUID()}`, at: at + i * 1_000, kind: 'segment', decision: 'grant', userId, sessionId, ip });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return sessionId;
}

/** Waits until some instance lists an open `copied_url` alert for the session. */
export async function expectCopiedUrlAlert(instances: readonly Instance[], sessionId: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    for (const { app, services } of instances) {
      await services.watchtower.settled();
      const res = await app.inject({ method: 'GET', url: '/v1/admin/alerts?status=open', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const alerts = res.json().alerts as { detector: string; session_id?: string }[];
      if (alerts.some((a) => a.detector === 'copied_url' && a.session_id === sessionId)) return;
    }
    expect(Date.now(), `no copied_url alert for ${sessionId}`).toBeLessThan(end);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
