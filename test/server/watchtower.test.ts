/**
 * The watchtower end to end: events in (as the recorder will give them), alerts out through
 * the admin routes, deduplicated, counted in /metrics, and the automatic responses taken
 * (or only named in dry-run), each recorded as an `action` event and reversible.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { enrolMfa, totpCode } from '../support/mfa.js';
import { registerSyntheticTitle } from '../support/titles.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let n = 0;

describe('watchtower', () => {
  let t: TestApp;
  afterEach(() => t.close());

  async function start(detectors: object) {
    t = await startTestApp({ env: { TOLLGATE_DETECTORS: JSON.stringify(detectors) }, compose: { warn: () => undefined } });
    await registerSyntheticTitle(t.services, 'movie');
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const started = (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json();
    return { viewer, auth, started };
  }

  /** The `action` events recorded so far, oldest first, as the events route lists them. */
  async function actionEvents() {
    await t.services.events.flush();
    const res = await t.app.inject({ method: 'GET', url: '/v1/admin/events?kind=action', headers: admin });
    return (res.json().events as { code: string; user_id?: string; session_id?: string; detail?: Record<string, unknown> }[]).reverse();
  }

  /** A copied URL: the session's requests alternate between two networks. */
  async function copiedUrl(userId: string, sessionId: string) {
    for (const [i, ip] of ['81.2.69.1', '2001:db8:7:7::1', '81.2.69.1', '2001:db8:7:7::2'].entries()) {
      t.services.watchtower.observe({ id: `ev-${++n}`, at: t.clock.now + i * 1000, kind: 'manifest', decision: 'grant', userId, sessionId, ip });
    }
    await t.services.watchtower.settled();
  }
  const openAlerts = async () => (await t.app.inject({ method: 'GET', url: '/v1/admin/alerts?status=open', headers: admin })).json().alerts;

  it('raises an alert with its evidence, adds repeats to it, counts it, and resolves it', async () => {
    const { viewer, started } = await start({});
    await copiedUrl(viewer.userId, started.session_id);
    const [alert, ...others] = await openAlerts();
    expect(others).toEqual([]);
    expect(alert).toMatchObject({ detector: 'copied_url', severity: 'high', user_id: viewer.userId, session_id: started.session_id, status: 'open', actions_taken: [], hits: 1 });
    expect(alert.evidence).toHaveLength(4);
    await copiedUrl(viewer.userId, started.session_id);
    expect(await openAlerts()).toMatchObject([{ id: alert.id, hits: 2 }]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('tollgate_alerts_opened_total{detector="copied_url"} 1');
    expect(metrics).toContain('tollgate_detector_findings_total{detector="copied_url"} 2');
    const resolved = await t.app.inject({ method: 'POST', url: `/v1/admin/alerts/${alert.id}/resolve`, headers: admin });
    expect(resolved.json()).toMatchObject({ id: alert.id, status: 'resolved' });
    expect(await openAlerts()).toEqual([]);
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/alerts/no-such-alert/resolve', headers: admin })).statusCode).toBe(404);
  });

  it('ends the session and blocks the /64, records action events, and lists how to undo', async () => {
    const { viewer, started } = await start({ copied_url: { responses: ['end_session', 'block_network'], block_minutes: 30 } });
    await copiedUrl(viewer.userId, started.session_id);
    const [alert] = await openAlerts();
    expect(alert.actions_taken).toMatchObject([
      { action: 'end_session', target: started.session_id, dry_run: false },
      { action: 'block_network', target: '2001:db8:7:7::/64', dry_run: false, undo: expect.stringMatching(/^DELETE \/v1\/admin\/blocks\//) },
    ]);
    const actions = await actionEvents();
    expect(actions.map((a) => a.code)).toEqual(['end_session', 'block_network']);
    expect(actions[0]).toMatchObject({ user_id: viewer.userId, session_id: started.session_id, detail: { alert_id: alert.id, detector: 'copied_url' } });
    t.clock.now += 2_000;
    expect((await t.app.inject({ method: 'GET', url: started.manifest_url.replace(t.config.publicUrl, '') })).statusCode).toBe(401);
    const loginFromBlocked = await t.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: '2001:db8:7:7::99', payload: { email: viewer.email, password: viewer.password } });
    expect(loginFromBlocked.json().code).toBe('address_blocked');
    const [, method, url] = /^(\w+) (.+)$/.exec(alert.actions_taken[1].undo)!;
    expect((await t.app.inject({ method: method as 'DELETE', url: url!, headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: '2001:db8:7:7::99', payload: { email: viewer.email, password: viewer.password } })).statusCode).toBe(200);
  });

  it('in dry-run, alerts and names the responses but takes none', async () => {
    const { viewer, started } = await start({ copied_url: { dry_run: true, responses: ['end_session', 'block_network'] } });
    await copiedUrl(viewer.userId, started.session_id);
    const [alert] = await openAlerts();
    expect(alert).toMatchObject({ dry_run: true, actions_taken: [{ action: 'end_session', dry_run: true }, { action: 'block_network', dry_run: true }] });
    expect(await actionEvents()).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/blocks', headers: admin })).json().blocks).toEqual([]);
    t.clock.now += 2_000;
    expect((await t.app.inject({ method: 'GET', url: started.manifest_url.replace(t.config.publicUrl, '') })).statusCode).toBe(200);
  });

  it('requires MFA again: logins end, the next start needs a second-factor login, and the operator can clear it', async () => {
    const { viewer, auth, started } = await start({ copied_url: { responses: ['require_mfa'] } });
    await copiedUrl(viewer.userId, started.session_id);
    expect((await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'movie' } })).json().code).toBe('token_revoked');
    // A fresh login without a second factor is not enough to play.
    const plain = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const refused = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: plain, payload: { title_id: 'movie' } });
    expect(refused.json().code).toBe('mfa_required');
    // With a second factor it plays.
    const { secret } = await enrolMfa(t.app, plain, viewer.password, t.clock.now);
    t.clock.now += 31_000;
    const withCode = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: viewer.email, password: viewer.password, totp: totpCode(secret, t.clock.now) } });
    const strong = { authorization: `Bearer ${withCode.json().access_token}` };
    expect((await t.app.inject({ method: 'POST', url: '/v1/playback', headers: strong, payload: { title_id: 'movie' } })).statusCode).toBe(201);
    const [alert] = await openAlerts();
    expect(alert.actions_taken[0]).toMatchObject({ action: 'require_mfa', undo: `DELETE /v1/admin/users/${viewer.userId}/mfa-requirement` });
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/users/${viewer.userId}/mfa-requirement`, headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/users/${viewer.userId}/mfa-requirement`, headers: admin })).statusCode).toBe(404);
  });

  it('watches starts of titles flagged sensitive', async () => {
    await start({ sensitive_titles: { first_hour: 0, last_hour: 0 } });
    const flag = await t.app.inject({ method: 'PUT', url: '/v1/admin/titles/movie/sensitive', headers: admin, payload: { sensitive: true } });
    expect(flag.json()).toEqual({ title_id: 'movie', sensitive: true });
    expect((await t.app.inject({ method: 'PUT', url: '/v1/admin/titles/nope/sensitive', headers: admin, payload: { sensitive: true } })).statusCode).toBe(404);
    t.clock.now = Date.UTC(2026, 0, 5, 12, 0);
    t.services.watchtower.observe({ id: 'start-1', at: t.clock.now, kind: 'playback_start', decision: 'grant', userId: 'u1', titleId: 'movie', ip: '81.2.69.1' });
    await t.services.watchtower.settled();
    expect(await openAlerts()).toMatchObject([{ detector: 'sensitive_titles', evidence: ['start-1'] }]);
  });

  it('refuses a bad TOLLGATE_DETECTORS at start, naming the field', async () => {
    await expect(startTestApp({ env: { TOLLGATE_DETECTORS: '{"copied_url":{"responses":["nuke"]}}' } })).rejects.toThrow(/TOLLGATE_DETECTORS: copied_url.responses/);
    t = await startTestApp();
  });
});
