/**
 * ClearKey over HTTPS from a name that is not localhost. EME exists only in a secure context,
 * and Chromium counts http://localhost as one, so the test reaches Tollgate as
 * https://tollgate.test (resolved to 127.0.0.1 by Chromium's host-resolver rules) with a
 * certificate chain made by openssl. Chromium trusts the chain only through the test CA's key
 * (--ignore-certificate-errors-spki-list), so the name, the chain and the key must all be right.
 * The page, served by Tollgate, logs in and plays a CENC DASH title with shaka-player.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { type RunningServer, startServer } from '../../src/server/main.js';
import { ADMIN_TOKEN, seedSubscriber } from '../support/app.js';
import { freePort, launchChromium, logIn, openPlayerPage, playbackState, pressPlay } from '../support/browser.js';
import { packageTestDashTitle } from '../support/titles.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls.js';

const NAME = 'tollgate.test';
const TITLE = 'dash-tls';

describe('DASH ClearKey over HTTPS from a non-localhost name', { timeout: 90_000 }, () => {
  let certs: TestCertificates;
  let dataDir: string;
  let server: RunningServer;
  let browser: Browser;
  let publicUrl: string;

  beforeAll(async () => {
    certs = await makeTestCertificates(NAME);
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-tls-browser-'));
    const port = await freePort();
    publicUrl = `https://${NAME}:${port}`;
    const config = loadConfig({
      TOLLGATE_TLS_CERT: certs.certPath,
      TOLLGATE_TLS_KEY: certs.keyPath,
      TOLLGATE_PUBLIC_URL: publicUrl,
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_PORT: String(port),
      TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      TOLLGATE_LOG_LEVEL: 'silent',
    });
    server = await startServer(config, await compose(config));
    await packageTestDashTitle(server.services, { titleId: TITLE });
    browser = await launchChromium([`--host-resolver-rules=MAP ${NAME} 127.0.0.1`, `--ignore-certificate-errors-spki-list=${certs.caSpki}`]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await certs?.remove();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('plays, with HSTS, in a secure context', async () => {
    const subscriber = await seedSubscriber(server.app, { titles: [TITLE] });
    const { page, cspViolations } = await openPlayerPage(browser, `${publicUrl}/`, []);
    try {
      expect(await page.evaluate<boolean>('window.isSecureContext')).toBe(true);
      expect(await page.evaluate<string>('location.origin')).toBe(publicUrl);
      const licenses: number[] = [];
      const hsts = new Set<string | undefined>();
      const withoutHsts: string[] = [];
      // Chromium drops Strict-Transport-Security from answers it serves from its cache; routing
      // every request turns that cache off, so each answer seen here is the server's.
      await page.route('**/*', (route) => route.continue());
      page.on('response', (r) => {
        if (r.url().startsWith(`${publicUrl}/v1/license/s/`) && r.request().method() === 'POST') licenses.push(r.status());
        if (r.url().startsWith(publicUrl)) hsts.add(r.headers()['strict-transport-security']);
        if (r.url().startsWith(publicUrl) && r.headers()['strict-transport-security'] === undefined) withoutHsts.push(`${r.status()} ${r.url().slice(-40)}`);
      });
      await logIn(page, subscriber);
      const grant = await pressPlay(page, publicUrl, TITLE);
      expect(grant.manifest_url.startsWith(`${publicUrl}/v1/stream/`)).toBe(true);
      expect(grant.license_url?.startsWith(`${publicUrl}/v1/license/s/`)).toBe(true);
      await expect.poll(async () => (await playbackState(page)).currentTime, { timeout: 30_000, interval: 200 }).toBeGreaterThan(2);
      expect(await page.isHidden('#error'), `page says: ${await page.textContent('#error')}`).toBe(true);
      expect(licenses.length).toBeGreaterThan(0);
      expect(licenses.every((status) => status === 200)).toBe(true);
      expect(hsts, JSON.stringify(withoutHsts)).toEqual(new Set(['max-age=31536000']));
      expect(cspViolations).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('refuses a chain the CA did not sign: without the CA key trusted, the page does not load', async () => {
    const untrusting = await launchChromium([`--host-resolver-rules=MAP ${NAME} 127.0.0.1`]);
    try {
      const page = await untrusting.newPage();
      await expect(page.goto(`${publicUrl}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });
});
