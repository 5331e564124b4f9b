/**
 * `npm run bench`: Tollgate's hot path against its bar, measured in one run on this machine
 * (the hot path is measured, not assumed):
 *   1. validated segment requests, Tollgate's gateway vs nginx secure_link on the same files,
 *      a realistic segment and a 1 KB file, compared per server CPU-second;
 *   2. the uncached playback-token check vs one raw HMAC-SHA256;
 *   3. ClearKey licenses through license_url, per second and per server CPU-second, p50/p99;
 *   4. the packager's CENC and HLS AES-128 encryption in MB/s against copying the same bytes;
 *   5. stream leases on a real Redis: admission and renewal per Redis CPU-second, p99, bytes per stream;
 * then rewrites the results sections of docs/BENCHMARKS.md.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, loadAverage, missingTools } from './machine.js';
import { benchHttp } from './http.js';
import { fmt, say } from './log.js';
import { benchLicenses, type LicenseResult } from './license.js';
import { benchPackager, type PackagerResult } from './packager.js';
import { cleanUp, tempDir } from './processes.js';
import { type ProfileSummary, summariseProfile } from './profile.js';
import { END, renderResults, START, TARGET_TOKEN, writeResults } from './report.js';
import { benchStreams, type StreamsOptions } from './streams.js';
import { renderStreams, STREAMS_END, STREAMS_START } from './report-streams.js';
import { benchTokenCheck, type TokenBenchResult } from './token.js';
import type { LoadOptions } from './wrk.js';

const USAGE = `usage: npm run bench -- [options]

  --duration S      seconds per measured wrk run (default 10)
  --connections N   wrk connections (default 20)
  --threads N       wrk threads (default 1: the other core is the server's)
  --segment-kb K    pick the packaged segment closest to K KB (default 150)
  --small-bytes B   size of the small file for the per-request run (default 1024)
  --rounds N        measured runs per server and file, round-robin; the best is kept (default 3)
  --iterations N    token check: calls per round (default 200000)
  --license-connections N
                    wrk connections for the license run (default 50)
  --accounts N      stream leases: accounts, taken round-robin (default 10000)
  --streams-per-account N
                    stream leases: streams admitted per account, its limit too (default 2)
  --renewals N      stream leases: renewals per round (default 100000)
  --in-flight N     stream leases: operations in flight over one connection (default 32)
  --only PART       run one part, http, token, license, packager or streams; the doc is then
                    left alone, except that streams rewrites its own section
  --no-write        print only, leave docs/BENCHMARKS.md alone
  --no-floors       skip the reference bare node:http servers (no token check) that show
                    how much of the gap to nginx is Node's own HTTP and file serving
  --profile         also take a V8 CPU profile of the Tollgate processes (http, license) and
                    print where their time goes (sampling slows them, so the doc is left alone)

Needs nginx, wrk, ffmpeg and redis-server (Debian/Ubuntu: apt-get install nginx-light wrk ffmpeg redis-server).
`;

const PARTS: readonly string[] = ['http', 'token', 'license', 'packager', 'streams'];

const root = new URL('../..', import.meta.url).pathname;
export const DOC = join(root, 'docs', 'BENCHMARKS.md');

export async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        duration: { type: 'string', default: '10' },
        connections: { type: 'string', default: '20' },
        threads: { type: 'string', default: '1' },
        'segment-kb': { type: 'string', default: '150' },
        'small-bytes': { type: 'string', default: '1024' },
        iterations: { type: 'string', default: '200000' },
        rounds: { type: 'string', default: '3' },
        'license-connections': { type: 'string', default: '50' },
        accounts: { type: 'string', default: '10000' },
        'streams-per-account': { type: 'string', default: '2' },
        renewals: { type: 'string', default: '100000' },
        'in-flight': { type: 'string', default: '32' },
        only: { type: 'string' },
        'no-write': { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        'no-floors': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const int = (name: string, text: string, min: number, max: number): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`--${name} must be a whole number from ${min} to ${max}`);
    return v;
  };
  let load: LoadOptions;
  let segmentKb: number;
  let smallBytes: number;
  let iterations: number;
  let rounds: number;
  let licenseConnections: number;
  let streamsOptions: StreamsOptions;
  try {
    load = {
      durationSec: int('duration', values.duration!, 1, 300),
      connections: int('connections', values.connections!, 1, 1000),
      threads: int('threads', values.threads!, 1, 64),
    };
    segmentKb = int('segment-kb', values['segment-kb']!, 1, 100_000);
    smallBytes = int('small-bytes', values['small-bytes']!, 1, 10_000_000);
    iterations = int('iterations', values.iterations!, 1000, 100_000_000);
    rounds = int('rounds', values.rounds!, 1, 20);
    licenseConnections = int('license-connections', values['license-connections']!, 1, 1000);
    streamsOptions = {
      accounts: int('accounts', values.accounts!, 1, 10_000_000),
      streamsPerAccount: int('streams-per-account', values['streams-per-account']!, 1, 100),
      renewals: int('renewals', values.renewals!, 1000, 100_000_000),
      inFlight: int('in-flight', values['in-flight']!, 1, 10_000),
      rounds,
    };
    if (values.only !== undefined && !PARTS.includes(values.only)) throw new RangeError(`--only must be one of ${PARTS.join(', ')}`);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const doPart = (part: string): boolean => values.only === undefined || values.only === part;
  const doHttp = doPart('http');
  const doToken = doPart('token');
  const doLicense = doPart('license');
  const doPackager = doPart('packager');
  const doStreams = doPart('streams');
  const tools = [...(doHttp ? ['nginx'] : []), ...(doStreams ? ['redis-server'] : []), ...(doHttp || doLicense ? ['wrk'] : []), ...(doHttp || doLicense || doPackager ? ['ffmpeg'] : [])];
  const missing = missingTools(tools);
  if (missing.length > 0) {
    process.stderr.write(`bench: cannot run ${values.only ?? 'the bench'}:\n  ${missing.join('\n  ')}\n`);
    return 1;
  }

  const machine = describeMachine();
  say(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.nginx}, ${machine.wrk}, load average ${machine.loadAverage}`);
  try {
    let token: TokenBenchResult | undefined;
    if (doToken) {
      say(`\n== playback-token check vs raw HMAC-SHA256 (${iterations.toLocaleString('en-US')} calls x 5 rounds)`);
      token = benchTokenCheck({ iterations, rounds: 5 });
      say(`verifyPlaybackToken ${fmt(token.verifyPerSec)}/s, createHmac ${fmt(token.hmacPerSec)}/s: ${token.ratio.toFixed(2)}x (target >= ${TARGET_TOKEN}x)`);
      say(`verifyPlaybackJwt ${fmt(token.jwtVerifyPerSec)}/s (${token.jwtTokenLength} characters against ${token.tokenLength})`);
    }
    const profileDir = values.profile && doHttp ? tempDir('profile') : undefined;
    const http = doHttp
      ? await benchHttp(load, { segmentBytes: segmentKb * 1024, smallBytes, floors: !values['no-floors'], rounds, ...(profileDir ? { profileDir } : {}) })
      : [];
    if (profileDir !== undefined) printProfile('Tollgate process', summariseProfile(profileDir));

    let license: LicenseResult | undefined;
    if (doLicense) {
      const licenseProfileDir = values.profile ? tempDir('profile-license') : undefined;
      license = await benchLicenses({ ...load, connections: licenseConnections }, { rounds, ...(licenseProfileDir ? { profileDir: licenseProfileDir } : {}) });
      if (licenseProfileDir !== undefined) printProfile('Tollgate process answering licenses', summariseProfile(licenseProfileDir));
    }
    const packager: PackagerResult | undefined = doPackager ? await benchPackager({ rounds: 5, secondsPerRound: 1 }) : undefined;
    const streams = doStreams ? await benchStreams(streamsOptions) : undefined;

    const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
    const skeleton = `# Benchmarks\n\n${START}\n${END}\n`;
    if (streams !== undefined && !values['no-write'] && !values.profile) {
      const section = renderStreams(streams, { date: new Date(), command, machine, loadAfter: loadAverage() });
      writeResults(DOC, section, skeleton, { start: STREAMS_START, end: STREAMS_END });
      say(`\nwrote the stream-lease results into ${DOC}`);
    }
    if (values.only === 'streams') return 0;
    const section = renderResults({
      date: new Date(),
      command,
      machine,
      load: doHttp ? load : undefined,
      rounds,
      http,
      token,
      license,
      packager,
      loadAfter: loadAverage(),
    });
    if (values['no-write'] || values.only !== undefined || values.profile) {
      say('\n(docs/BENCHMARKS.md left alone)');
    } else {
      writeResults(DOC, section, skeleton);
      say(`\nwrote the results into ${DOC}`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  } finally {
    cleanUp();
  }
}

function printProfile(what: string, p: ProfileSummary): void {
  say(`\n== where the ${what} spent ${fmt(p.busyMs)} ms of busy CPU (main thread, self time)`);
  for (const l of p.byGroup) say(`${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}`);
  say('');
  for (const l of p.byFunction) say(`${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}`);
}
