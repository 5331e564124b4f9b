/**
 * `tollgate demo` (what `npm start` runs): the server on the embedded default with a demo plan
 * and a demo subscriber created on first run. The demo password is generated once and kept
 * in the data dir, so every run prints the same working credentials.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compose } from '../server/compose.js';
import type { Config } from '../server/config.js';
import { startServer, stopOnSignals } from '../server/main.js';
import { packageDemoTitles, progressBar } from './package.js';

const DEMO_PLAN = 'demo';
const DEMO_EMAIL = 'demo@tollgate.local';
const DEMO_TITLE = 'demo';

export async function runDemo(config: Config): Promise<void> {
  const services = await compose(config);
  const password = await demoPassword(config.dataDir);
  if ((await services.stores.plans.get(DEMO_PLAN)) === undefined) {
    // Evicting, so a viewer who reloads the player page is not locked out by the stream they left.
    await services.catalog.upsertPlan({ id: DEMO_PLAN, titles: '*', maxStreams: 2, streamLimitMode: 'evict_oldest' });
  }
  if ((await services.stores.users.findByEmail(DEMO_EMAIL)) === undefined) {
    const created = await services.catalog.createUser({ email: DEMO_EMAIL, password, planId: DEMO_PLAN });
    if (!created.ok) throw new Error(`cannot create the demo user: ${created.detail}`);
  }
  if ((await services.stores.titles.get(DEMO_TITLE)) === undefined) {
    process.stdout.write('Packaging the demo title (first run only)...\n');
    const packaged = await packageDemoTitles(services, DEMO_TITLE, progressBar('packaging demo'));
    if (!packaged.ok) throw new Error(`cannot package the demo title: ${packaged.detail}`);
  }
  const server = await startServer(config, services);
  stopOnSignals(server);
  const base = config.publicUrl;
  process.stdout.write(
    [
      '',
      `Tollgate is running at ${base}`,
      '',
      `  player page  ${base}/`,
      `  demo login   ${DEMO_EMAIL} / ${password}`,
      `  try it       curl -s -X POST ${base}/v1/auth/login -H 'content-type: application/json' \\`,
      `                 -d '{"email":"${DEMO_EMAIL}","password":"${password}"}'`,
      `  JWKS         ${base}/.well-known/jwks.json`,
      `  data dir     ${config.dataDir}`,
      ...services.notices.map((n) => `  note         ${n}`),
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
}

async function demoPassword(dataDir: string): Promise<string> {
  const path = join(dataDir, 'demo-password.txt');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const password = randomBytes(9).toString('base64url');
    await writeFile(path, `${password}\n`, { mode: 0o600 });
    return password;
  }
}
