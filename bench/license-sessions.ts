/**
 * Many playback sessions for the license part, as production has them: subscribers on a plan
 * with a stream limit, each holding several DASH sessions, so every license renews a real
 * stream lease and the per-session caches (token, entitlement) see thousands of sessions
 * round-robin instead of one that always hits.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { call, DASH_TITLE, type TollgateServer } from './tollgate.js';

export interface SessionSpread {
  readonly subscribers: number;
  /** Sessions per subscriber, which is also the plan's max_streams. */
  readonly streamsPerSubscriber: number;
}

export const LICENSE_SESSIONS: SessionSpread = { subscribers: 100, streamsPerSubscriber: 20 };

/** The license_url of every session, from subscribers on a plan limited to streamsPerSubscriber. */
export async function openSessions(tollgate: TollgateServer, spread: SessionSpread): Promise<string[]> {
  const admin = { authorization: `Bearer ${tollgate.adminToken}` };
  await call(`${tollgate.base}/v1/admin/plans`, { id: 'bench-limited', titles: [DASH_TITLE], max_streams: spread.streamsPerSubscriber, count_by: 'session' }, admin);
  const urls: string[] = [];
  for (let u = 0; u < spread.subscribers; u++) {
    const email = `viewer${u}@tollgate.local`;
    const password = randomBytes(12).toString('hex');
    await call(`${tollgate.base}/v1/admin/users`, { email, password, plan_id: 'bench-limited' }, admin);
    const auth = { authorization: `Bearer ${String((await call(`${tollgate.base}/v1/auth/login`, { email, password })).access_token)}` };
    for (let s = 0; s < spread.streamsPerSubscriber; s++) {
      const grant = await call(`${tollgate.base}/v1/playback`, { title_id: DASH_TITLE, protocol: 'dash' }, auth);
      urls.push(String(grant.license_url));
    }
  }
  return urls;
}

/** A wrk script POSTing body to each URL's path in turn (the URLs share one host). */
export function roundRobinScript(file: string, urls: readonly string[], body: string): void {
  const paths = urls.map((u) => `  "${new URL(u).pathname}",`).join('\n');
  writeFileSync(
    file,
    `wrk.method = "POST"\nwrk.body = [[${body}]]\nwrk.headers["Content-Type"] = "application/json"\n` +
      `local paths = {\n${paths}\n}\nlocal i = 0\n` +
      'request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n',
  );
}
