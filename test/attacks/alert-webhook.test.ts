/**
 * Threats to the alert webhook: a forged alert (anyone can POST to the receiver), a replayed
 * one, and the secret leaking into logs. Each delivery is signed over its timestamp and body;
 * a receiver that checks (verifyWebhookSignature) refuses any change and any stale timestamp.
 * Deliveries survive a receiver's failures (retried with backoff), within a bound.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature, WebhookSender } from '../../src/server/monitor/webhook.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';

const SECRET = 'webhook-secret-0123456789abcdef';

interface Delivery {
  readonly at: number;
  readonly signature: string;
  readonly body: string;
}

/** A receiver that answers 500 to the first `failures` deliveries, then 200. */
async function receiver(failures: number): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      deliveries.push({ at: Date.now(), signature: String(request.headers['x-tollgate-signature']), body });
      response.statusCode = deliveries.length <= failures ? 500 : 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, deliveries, server };
}

describe('alert webhook', () => {
  const servers: Server[] = [];
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('delivers each new alert signed, retrying a failing receiver with growing waits', async () => {
    const hook = await receiver(2);
    servers.push(hook.server);
    const warnings: string[] = [];
    t = await startTestApp({
      env: { TOLLGATE_ALERT_WEBHOOK_URL: hook.url, TOLLGATE_ALERT_WEBHOOK_SECRET: SECRET, TOLLGATE_ALERT_WEBHOOK_ATTEMPTS: '3' },
      compose: { warn: (m) => warnings.push(m) },
    });
    for (const [i, ip] of ['81.2.69.1', '198.51.100.4', '81.2.69.1', '198.51.100.4'].entries()) {
      t.services.watchtower.observe({ id: `w${i}`, at: t.clock.now, kind: 'manifest', decision: 'grant', userId: 'u1', sessionId: 's1', ip });
    }
    await t.services.watchtower.settled();
    await expect.poll(() => hook.deliveries.length, { timeout: 10_000 }).toBe(3);
    const [first, second, third] = hook.deliveries;
    expect(third!.at - second!.at).toBeGreaterThan(second!.at - first!.at);
    for (const d of hook.deliveries) expect(verifyWebhookSignature(d.signature, d.body, SECRET, Math.floor(Date.now() / 1000))).toBe(true);
    const sent = JSON.parse(third!.body);
    expect(sent).toMatchObject({ type: 'alert.opened', alert: { detector: 'copied_url', session_id: 's1', evidence: ['w0', 'w1', 'w2', 'w3'] } });
    const listed = await t.app.inject({ method: 'GET', url: '/v1/admin/alerts?status=open', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(listed.json().alerts[0].id).toBe(sent.alert.id);
    expect(warnings).toEqual([]);
  });

  it('cannot be forged: a changed body, a changed timestamp, another secret or a malformed header fail', () => {
    const body = JSON.stringify({ type: 'alert.opened', alert: { id: 'a1' } });
    const now = 1_800_000_000;
    const signature = signWebhook(body, now, SECRET);
    expect(verifyWebhookSignature(signature, body, SECRET, now)).toBe(true);
    expect(verifyWebhookSignature(signature, body.replace('a1', 'a2'), SECRET, now)).toBe(false);
    expect(verifyWebhookSignature(signature.replace(`t=${now}`, `t=${now + 1}`), body, SECRET, now)).toBe(false);
    expect(verifyWebhookSignature(signWebhook(body, now, 'another-secret-0123456789'), body, SECRET, now)).toBe(false);
    for (const bad of ['', 'v1=00', `t=${now}`, `t=${now},v1=${'0'.repeat(64)}`, `t=${now},v1=${'z'.repeat(64)}`, `t=${now},v1=${'a'.repeat(63)}`]) {
      expect(verifyWebhookSignature(bad, body, SECRET, now), bad).toBe(false);
    }
  });

  it('cannot be replayed once its timestamp is older than the tolerance', () => {
    const body = '{"alert":{}}';
    const signature = signWebhook(body, 1_800_000_000, SECRET);
    expect(verifyWebhookSignature(signature, body, SECRET, 1_800_000_000 + 300)).toBe(true);
    expect(verifyWebhookSignature(signature, body, SECRET, 1_800_000_000 + 301)).toBe(false);
    expect(verifyWebhookSignature(signature, body, SECRET, 1_800_000_000 - 301)).toBe(false);
  });

  it('gives up after the bounded attempts, and says so without the secret', async () => {
    const hook = await receiver(100);
    servers.push(hook.server);
    const reasons: string[] = [];
    const sender = new WebhookSender({ url: hook.url, secret: SECRET, attempts: 3, baseDelayMs: 10, now: Date.now, onGiveUp: (r) => reasons.push(r) });
    expect(await sender.send({ alert: 1 })).toBe(false);
    expect(hook.deliveries).toHaveLength(3);
    expect(reasons).toEqual(['answered 500 after 3 attempts']);
    const unreachable = new WebhookSender({ url: 'http://127.0.0.1:1/hook', secret: SECRET, attempts: 2, baseDelayMs: 10, now: Date.now, onGiveUp: (r) => reasons.push(r) });
    expect(await unreachable.send({ alert: 2 })).toBe(false);
    expect(reasons.join(' ')).not.toContain(SECRET);
  });

  it('refuses a webhook URL without a (long enough) secret at start', async () => {
    await expect(startTestApp({ env: { TOLLGATE_ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/hook' } })).rejects.toThrow(/TOLLGATE_ALERT_WEBHOOK_SECRET/);
    await expect(startTestApp({ env: { TOLLGATE_ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/hook', TOLLGATE_ALERT_WEBHOOK_SECRET: 'short' } })).rejects.toThrow(/TOLLGATE_ALERT_WEBHOOK_SECRET/);
  });
});
