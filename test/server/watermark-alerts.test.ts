// A confident trace becomes an alert (issue 13): leaks synthesised from payloads (no video),
// through the watchtower's alert path: stored once per session and deduplicated on a repeat,
// counted in /metrics, sent to the signed webhook, answered with the configured responses,
// with an `admin` event as evidence naming the session's user, device and title. Chance
// readings, and a disabled detector, raise nothing. The command and the route on a real clip:
// test/server/watermark-trace-alerts.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SegmentReading } from '../../src/media/watermark/detect.js';
import { openContentKey } from '../../src/server/keys/content-keys.js';
import { verifyWebhookSignature } from '../../src/server/monitor/webhook.js';
import { payloadBit } from '../../src/server/watermark/payload.js';
import { nameSuspects } from '../../src/server/watermark/suspects.js';
import { ADMIN_TOKEN, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerWatermarkedStub } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const SECRET = 'webhook-secret-0123456789';

describe('a confident trace raises an alert', () => {
  let t: TestApp;
  let hook: Server;
  const delivered: { body: string; signature: string }[] = [];
  afterEach(async () => {
    await t.close();
    hook?.close();
    delivered.length = 0;
  });

  async function start(detectors: object) {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        delivered.push({ body, signature: String(req.headers['x-tollgate-signature']) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const env = {
      TOLLGATE_DETECTORS: JSON.stringify(detectors),
      TOLLGATE_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
      TOLLGATE_ALERT_WEBHOOK_SECRET: SECRET,
    };
    t = await startTestApp({ env, compose: { warn: () => undefined } });
    await registerWatermarkedStub(t.services, 'marked');
    const viewer = await seedSubscriber(t.app, { titles: ['marked'] });
    const signedIn = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password, device_id: 'tv-7' } });
    const auth = { authorization: `Bearer ${signedIn.json().access_token}` };
    const sessions: string[] = [];
    for (let i = 0; i < 20; i++) {
      const started = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'marked' } });
      expect(started.statusCode, started.body).toBe(201);
      sessions.push(started.json().session_id);
    }
    const record = (await t.services.stores.titles.contentKeys('marked')).find((k) => k.label === 'watermark')!;
    return { viewer, sessions, key: openContentKey(t.services.sealer, record.kid, record.sealed) };
  }

  /** `segments` read off a leak of `from(n)`'s stream, one in ten read wrong unless `clean`. */
  const leakOf = (key: Uint8Array, from: (n: number) => string, segments = 60, clean = false): SegmentReading[] =>
    Array.from({ length: segments }, (_, n) => ({ segment: n, bit: (payloadBit(key, from(n), n) ^ (!clean && n % 10 === 3 ? 1 : 0)) as 0 | 1, score: 1 }));

  const alerts = async () => (await t.app.inject({ method: 'GET', url: '/v1/admin/alerts', headers: admin })).json().alerts;

  it('names the leaking session in one alert, with its user and device, deduplicated, counted, sent and answered', async () => {
    const { viewer, sessions, key } = await start({ forensic_watermark: { responses: ['end_session'] } });
    const leaker = sessions[7]!;
    const traced = await nameSuspects(t.services, 'marked', key, () => leakOf(key, () => leaker), 1e-6);
    expect(traced.candidates[0]).toMatchObject({ session_id: leaker, device_id: 'tv-7', confident: true });
    const [alert, ...others] = await alerts();
    expect(others).toEqual([]);
    expect(alert).toMatchObject({ detector: 'forensic_watermark', severity: 'high', user_id: viewer.userId, session_id: leaker, hits: 1 });
    expect(alert.summary).toContain('title marked');
    expect(alert.summary).toContain('device tv-7');
    expect(alert.summary).toMatch(/54 of 60 segments agree, p = \d\.\d\de-\d+/);
    expect(alert.actions_taken).toMatchObject([{ action: 'end_session', target: leaker, dry_run: false }]);
    expect((await t.services.stores.playbackSessions.get(leaker))?.endedAt).not.toBeNull();

    await t.services.events.flush();
    const evidence = (await t.app.inject({ method: 'GET', url: `/v1/admin/events?ids=${alert.evidence.join(',')}`, headers: admin })).json().events;
    expect(evidence).toMatchObject([
      { kind: 'admin', code: 'forensic_watermark', user_id: viewer.userId, session_id: leaker, device_id: 'tv-7', title_id: 'marked', detail: { agree: 54, read: 60 } },
    ]);
    expect(evidence[0].detail.p_value).toBe(traced.candidates[0]!.p_value);

    await expect.poll(() => delivered.length).toBe(1);
    expect(verifyWebhookSignature(delivered[0]!.signature, delivered[0]!.body, SECRET, Math.floor(Date.now() / 1000))).toBe(true);
    expect(JSON.parse(delivered[0]!.body)).toMatchObject({ type: 'alert.opened', alert: { detector: 'forensic_watermark', session_id: leaker } });

    // The same leak traced again adds to the open alert: no second alert, no second delivery.
    await nameSuspects(t.services, 'marked', key, () => leakOf(key, () => leaker), 1e-6);
    expect(await alerts()).toMatchObject([{ id: alert.id, hits: 2 }]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('tollgate_alerts_opened_total{detector="forensic_watermark"} 1');
    expect(metrics).toContain('tollgate_detector_findings_total{detector="forensic_watermark"} 2');
    expect(delivered).toHaveLength(1);
  });

  it('raises one alert per confidently named colluder and none for the innocent', async () => {
    const { sessions, key } = await start({});
    const colluders = [sessions[2]!, sessions[15]!];
    const traced = await nameSuspects(t.services, 'marked', key, () => leakOf(key, (n) => colluders[n % 2]!, 200, true), 1e-6);
    const named = traced.candidates.filter((c) => c.confident).map((c) => c.session_id);
    expect(named.length).toBe(2); // 200 clean segments (400 s at 2 s segments) name both
    for (const id of named) expect(colluders).toContain(id);
    expect((await alerts()).map((a: { session_id: string }) => a.session_id).sort()).toEqual([...named].sort());
  });

  it('raises nothing for readings that are chance, nor when the detector is disabled', async () => {
    const { sessions, key } = await start({ forensic_watermark: { enabled: false } });
    const noise = Array.from({ length: 60 }, (_, n) => ({ segment: n, bit: (Math.random() < 0.5 ? 0 : 1) as 0 | 1, score: 1 }));
    expect((await nameSuspects(t.services, 'marked', key, () => noise, 1e-6)).candidates.some((c) => c.confident)).toBe(false);
    const traced = await nameSuspects(t.services, 'marked', key, () => leakOf(key, () => sessions[3]!), 1e-6);
    expect(traced.candidates[0]).toMatchObject({ session_id: sessions[3], confident: true });
    expect(await alerts()).toEqual([]);
  });
});
