/**
 * Fault: the clocks of two instances disagree (issue 8, item 8). Tokens and entitlement
 * messages signed on one instance are verified on another, so every verifier tolerates
 * TOLLGATE_CLOCK_SKEW_SECONDS of difference, and a refusal caused by skew says "clock skew"
 * instead of a bare "invalid token".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { ConfigError, loadConfig } from '../../src/server/config.js';
import { ADMIN_TOKEN, login, seedSubscriber } from '../support/app.js';
import { registerSyntheticDashTitle } from '../support/titles.js';

interface Instance {
  readonly services: Services;
  readonly app: FastifyInstance;
}

let dataDir: string | undefined;
let instances: Instance[] = [];

afterEach(async () => {
  for (const { app, services } of instances) {
    await app.close();
    await services.close();
  }
  instances = [];
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Two instances over one database; the first one's clock is off by `offsetSec`. */
async function twoInstances(offsetSec: number, env: Record<string, string> = {}): Promise<[Instance, Instance]> {
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-skew-'));
  const config = loadConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_LOG_LEVEL: 'silent', ...env });
  for (const offsetMs of [offsetSec * 1000, 0]) {
    const services = await compose(config, { now: () => Date.now() + offsetMs });
    instances.push({ services, app: buildApp(services) });
  }
  return instances as [Instance, Instance];
}

async function accessTokenFrom(app: FastifyInstance): Promise<string> {
  const { email, password } = await seedSubscriber(app);
  const response = await login(app, email, password);
  return response.json().access_token as string;
}

async function presentMessage(proxyOf: Instance, licenseServer: Instance) {
  const keys = await registerSyntheticDashTitle(proxyOf.services, 'drm');
  const minted = await proxyOf.services.proxy.mint({ titleId: 'drm', sid: 'skewed', licenseEndsAt: Date.now() + 3_600_000 });
  if (!minted.ok) throw new Error(minted.detail);
  return licenseServer.app.inject({
    method: 'POST',
    url: '/v1/license/clearkey',
    headers: { 'content-type': 'application/json', 'x-tollgate-entitlement': minted.value },
    payload: JSON.stringify({ kids: [Buffer.from(keys.sd.kid, 'hex').toString('base64url')] }),
  });
}

describe('fault: clock skew between instances', () => {
  it('refuses an access token from an instance 45 s ahead with the default 30 s, and says clock skew', async () => {
    const [ahead, behind] = await twoInstances(45);
    const me = await behind.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${await accessTokenFrom(ahead.app)}` } });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toMatchObject({ code: 'invalid_token', detail: expect.stringContaining('clock skew') });
  });

  it('accepts that access token when TOLLGATE_CLOCK_SKEW_SECONDS allows 60 s', async () => {
    const [ahead, behind] = await twoInstances(45, { TOLLGATE_CLOCK_SKEW_SECONDS: '60' });
    const me = await behind.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${await accessTokenFrom(ahead.app)}` } });
    expect(me.statusCode).toBe(200);
  });

  it('refuses an entitlement message from a proxy 45 s ahead of a remote license server with the default, saying clock skew', async () => {
    const [ahead, behind] = await twoInstances(45);
    const license = await presentMessage(ahead, behind);
    expect(license.statusCode).toBe(401);
    expect(license.json().detail).toContain('clock skew');
  });

  it('accepts that message with TOLLGATE_CLOCK_SKEW_SECONDS=60 (the old fixed 5 s refused it)', async () => {
    const [ahead, behind] = await twoInstances(45, { TOLLGATE_CLOCK_SKEW_SECONDS: '60' });
    expect((await presentMessage(ahead, behind)).statusCode).toBe(200);
  });

  it('says clock skew when a fresh message arrives expired from a proxy whose clock is behind', async () => {
    const [late, onTime] = await twoInstances(-70);
    const license = await presentMessage(late, onTime);
    expect(license.statusCode).toBe(401);
    expect(license.json()).toMatchObject({ code: 'token_expired', detail: expect.stringContaining('clock skew') });
  });

  it('refuses a clock-skew setting that is not 0-300 seconds', () => {
    expect(() => loadConfig({ TOLLGATE_CLOCK_SKEW_SECONDS: '3600' })).toThrow(ConfigError);
    expect(() => loadConfig({ TOLLGATE_CLOCK_SKEW_SECONDS: '-1' })).toThrow(/TOLLGATE_CLOCK_SKEW_SECONDS/);
  });
});
