/**
 * The license half of the bench: ClearKey licenses through `license_url`, the entitlement proxy
 * a player talks to. Each request authorizes the playback session, re-checks entitlement, mints
 * a single-use entitlement message (keys wrapped), verifies it, consumes its jti, evaluates the
 * usage policies and answers. Tollgate is set up as for the HTTP half, plus a DASH CENC title
 * with SD, HD and audio keys; wrk POSTs the W3C Clear Key request for every kid of the MPD.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureRounds } from './http.js';
import { fmt, say } from './log.js';
import { tempDir } from './processes.js';
import { LICENSE_SESSIONS, openSessions, roundRobinScript, type SessionSpread } from './license-sessions.js';
import { call, DASH_TITLE, startTollgate, text } from './tollgate.js';
import { loadTest, type LoadOptions, type Measured } from './wrk.js';

export const TARGET_LICENSE_PER_CPU_SEC = 20_000;
export const TARGET_LICENSE_P99_MS = 10;

export interface LicenseOptions {
  readonly rounds: number;
  readonly profileDir?: string;
}

export interface LicenseResult {
  readonly load: LoadOptions;
  /** Kids in the request, by tier: every kid of the MPD. */
  readonly kids: { readonly sd: number; readonly hd: number; readonly audio: number };
  /** Kids the license answered: the SD and audio ones. */
  readonly granted: number;
  readonly requestBytes: number;
  /** The sessions the measured runs go through, round-robin. */
  readonly sessions: SessionSpread;
  readonly result: Measured;
}

interface MpdKid {
  readonly kid: string;
  readonly tier: 'sd' | 'hd' | 'audio';
}

export async function benchLicenses(load: LoadOptions, opts: LicenseOptions): Promise<LicenseResult> {
  say('\n== setting up: ffmpeg clips, tollgate package --hls and --dash, tollgate serve, plan, user, login, playback (dash)');
  const tollgate = await startTollgate({ dash: true, ...(opts.profileDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] } : {}) });
  try {
    const grant = await call(`${tollgate.base}/v1/playback`, { title_id: DASH_TITLE, protocol: 'dash' }, { authorization: `Bearer ${tollgate.accessToken}` });
    const licenseUrl = String(grant.license_url ?? '');
    if (!licenseUrl.startsWith('http')) throw new Error(`POST /v1/playback (dash) gave no license_url: ${JSON.stringify(grant)}`);
    const kids = mpdKids(await text(String(grant.manifest_url)));
    const count = (tier: MpdKid['tier']): number => kids.filter((k) => k.tier === tier).length;
    if (count('sd') === 0 || count('hd') === 0 || count('audio') === 0) throw new Error(`the MPD should have SD, HD and audio kids: ${JSON.stringify(kids)}`);
    const body = JSON.stringify({ kids: kids.map((k) => Buffer.from(k.kid, 'hex').toString('base64url')), type: 'temporary' });
    say(`license_url ${licenseUrl}`);
    say(`request ${body} (${kids.map((k) => k.tier).join(', ')})`);

    // Before anything is timed: the answer is exactly the SD and audio keys, and wrk's POSTs
    // with this script really count a refusal as a failure.
    const expected = kids.filter((k) => k.tier !== 'hd').map((k) => k.kid);
    await expectLicense(licenseUrl, body, expected);
    const script = join(tempDir('wrk'), 'license.lua');
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = [[${body}]]\nwrk.headers["Content-Type"] = "application/json"\n`);
    const forged = licenseUrl.replace(/\/v1\/license\/s\/([^/]*)([^/])([^/]{10}\/[^/]+)$/, (_m, a: string, c: string, b: string) => `/v1/license/s/${a}${c === 'A' ? 'B' : 'A'}${b}`);
    if (forged === licenseUrl) throw new Error(`no token in ${licenseUrl}`);
    const refused = await loadTest(forged, { ...load, durationSec: 1 }, () => [tollgate.pid], script);
    if (refused.requests === 0 || refused.failures < refused.requests) throw new Error(`wrk counted ${refused.failures} failures in ${refused.requests} POSTs with a forged token`);
    say(`checked: license_url answers the ${expected.length} SD and audio keys of ${kids.length} kids asked; a forged token's ${fmt(refused.requests)} wrk POSTs all count as failures`);

    const { subscribers, streamsPerSubscriber } = LICENSE_SESSIONS;
    say(`\n== ${subscribers * streamsPerSubscriber} sessions: ${subscribers} subscribers on a plan of max_streams ${streamsPerSubscriber}, each at its limit`);
    const sessionUrls = await openSessions(tollgate, LICENSE_SESSIONS);
    await expectLicense(sessionUrls.at(-1)!, body, expected);
    const spread = join(tempDir('wrk'), 'licenses.lua');
    roundRobinScript(spread, sessionUrls, body);

    say(`\n== licenses: wrk -t${load.threads} -c${load.connections} -d${load.durationSec}s, round-robin over the sessions, ${opts.rounds} round(s) after a 3 s warm-up`);
    const [result] = await measureRounds([{ name: 'license_url (ClearKey)', url: licenseUrl, pids: () => [tollgate.pid], script: spread }], load, opts.rounds);
    return {
      load,
      kids: { sd: count('sd'), hd: count('hd'), audio: count('audio') },
      granted: expected.length,
      requestBytes: Buffer.byteLength(body),
      sessions: LICENSE_SESSIONS,
      result: result!,
    };
  } finally {
    await tollgate.stop();
  }
}

/** Every Representation's cenc:default_KID (32 hex) with its tier: audio, or SD up to 576 lines. */
function mpdKids(mpd: string): MpdKid[] {
  const kids = new Map<string, MpdKid>();
  for (const rep of mpd.match(/<Representation\b[\s\S]*?<\/Representation>/g) ?? []) {
    const uuid = /cenc:default_KID="([0-9a-fA-F-]{36})"/.exec(rep)?.[1];
    if (uuid === undefined) throw new Error(`a Representation without cenc:default_KID: ${rep.slice(0, 200)}`);
    const height = /^<Representation\b[^>]*\sheight="(\d+)"/.exec(rep)?.[1];
    const kid = uuid.replace(/-/g, '').toLowerCase();
    kids.set(kid, { kid, tier: height === undefined ? 'audio' : Number(height) <= 576 ? 'sd' : 'hd' });
  }
  return [...kids.values()];
}

/** POSTs the request and checks a 200 carrying exactly the expected keys, 16 bytes each. */
async function expectLicense(url: string, body: string, expected: readonly string[]): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = await response.text();
  if (response.status !== 200) throw new Error(`POST ${url}: ${response.status} ${answer.slice(0, 300)}`);
  const keys = (JSON.parse(answer) as { keys?: Array<{ kty?: string; kid?: string; k?: string }> }).keys ?? [];
  const got = keys.map((k) => Buffer.from(k.kid ?? '', 'base64url').toString('hex')).sort();
  const bad = keys.some((k) => k.kty !== 'oct' || Buffer.from(k.k ?? '', 'base64url').length !== 16);
  if (bad || got.join() !== [...expected].sort().join()) {
    throw new Error(`POST ${url}: expected the keys ${[...expected].sort().join(', ')}, got ${answer}`);
  }
}
