/**
 * The results section of docs/BENCHMARKS.md, regenerated on every run between two markers so
 * the figures in the doc always come from a real run; the prose around them is kept.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FloorMode } from './floors.js';
import type { Machine } from './machine.js';
import type { TokenBenchResult } from './token.js';
import type { LicenseResult } from './license.js';
import { cpuUs, fmt as n, met, ms, perCpu, us, x } from './log.js';
import type { PackagerResult } from './packager.js';
import { licenseTargetRows, renderLicense, renderPackager } from './report-drm.js';
import type { LoadOptions, Measured } from './wrk.js';

export const START = '<!-- bench:results:start (written by `npm run bench`; edits here are overwritten) -->';
export const END = '<!-- bench:results:end -->';

export const TARGET_GATEWAY = 1.0;
export const TARGET_TOKEN = 0.5;

export interface HttpCase {
  /** "150 KB segment", "1 KB file". */
  readonly label: string;
  readonly bytes: number;
  readonly nginx: Measured;
  readonly gateway: Measured;
  /** nginx sending what Tollgate decided (X-Accel-Redirect): CPU of the nginx worker plus the Tollgate process. */
  readonly accel: Measured;
  /** The same gateway with decision events off (TOLLGATE_EVENTS=off): what recording costs. */
  readonly gatewayEventsOff: Measured;
  /** Reference servers that check no token (bare node:http), for what limits the gateway. */
  readonly references: ReadonlyArray<{ readonly name: string; readonly mode: FloorMode; readonly result: Measured }>;
}

export interface Results {
  readonly date: Date;
  readonly command: string;
  readonly machine: Machine;
  readonly load: LoadOptions | undefined;
  /** Measured runs per server and file; the best per CPU-second is reported. */
  readonly rounds: number;
  readonly http: readonly HttpCase[];
  readonly token: TokenBenchResult | undefined;
  readonly license: LicenseResult | undefined;
  readonly packager: PackagerResult | undefined;
  /** Load average when the run ended. */
  readonly loadAfter: string;
}

export function renderResults(r: Results): string {
  const out: string[] = [START, '', '## Results of the last run', ''];
  out.push(`Run ${r.date.toISOString().replace(/\.\d+Z$/, 'Z')} with \`${r.command}\`.`, '');
  out.push('| machine | |', '|---|---|');
  out.push(`| CPU | ${r.machine.cpu} |`);
  out.push(`| cores | ${r.machine.cores} (shared by the load generator and the server) |`);
  out.push(`| OS | ${r.machine.os} |`);
  out.push(`| Node | ${r.machine.node} |`);
  out.push(`| nginx | ${r.machine.nginx} |`);
  out.push(`| wrk | ${r.machine.wrk} |`);
  out.push(`| load average (1, 5, 15 min) | ${r.machine.loadAverage} at the start, ${r.loadAfter} at the end (other work on the machine makes figures noisier) |`, '');

  out.push('### Against the targets', '', '| measure | measured | target | |', '|---|---|---|---|');
  for (const c of r.http) {
    const ratio = c.gateway.requestsPerCpuSec / c.nginx.requestsPerCpuSec;
    out.push(`| gateway / nginx \`secure_link\`, requests per server CPU-second, ${c.label} | ${x(ratio)} | ≥ ${x(TARGET_GATEWAY)} | ${met(ratio >= TARGET_GATEWAY)} |`);
    const accel = c.accel.requestsPerCpuSec / c.nginx.requestsPerCpuSec;
    out.push(`| X-Accel-Redirect (nginx + Tollgate CPU) / nginx \`secure_link\`, requests per server CPU-second, ${c.label} | ${x(accel)} | (no target: every segment still decided by Tollgate) | |`);
  }
  if (r.token) {
    out.push(`| uncached playback-token check / one raw HMAC-SHA256 | ${x(r.token.ratio)} | ≥ ${x(TARGET_TOKEN)} | ${met(r.token.ratio >= TARGET_TOKEN)} |`);
  }
  if (r.license) out.push(...licenseTargetRows(r.license));
  out.push('');

  if (r.http.length > 0 && r.load) {
    const l = r.load;
    out.push('### Validated requests over HTTP', '');
    out.push(
      `wrk \`-t${l.threads} -c${l.connections} -d${l.durationSec}s --latency\`, keep-alive, one fixed URL per run. Each server is warmed ` +
        `up for 3 s, then measured ${r.rounds} time${r.rounds > 1 ? 's, round-robin with the others, keeping its run with the most requests per server CPU-second (other work on the machine only ever makes a run worse)' : ''}. ` +
        'Every response must be a 2xx (any other status or socket error fails the bench), and each server was first checked to send the exact ' +
        'bytes of the file. Server CPU is user + system time of the nginx worker, or of the whole Node process (all its threads), or of both ' +
        'for X-Accel-Redirect (nginx proxies each request to Tollgate, which decides it and names the file; nginx sends it), over the ' +
        'run, from `/proc/<pid>/stat`; "cores" is that CPU time per wall-clock second. The reference rows are bare `node:http` servers ' +
        '(bench/node-floor.ts) with **no token check**, serving the same files: they are not Tollgate, they show what Node itself costs.',
      '',
    );
    out.push('| file | server | requests/s | server CPU, cores | requests per server CPU-s, best (all rounds) | server CPU per request | p50 | p99 | bytes read per response |');
    out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const c of r.http) {
      const rows: Array<[string, Measured]> = [
        ['nginx `secure_link_md5`', c.nginx],
        ['**Tollgate gateway**', c.gateway],
        ['nginx + Tollgate, `X-Accel-Redirect` (CPU of both)', c.accel],
        ['Tollgate gateway, events off (`TOLLGATE_EVENTS=off`)', c.gatewayEventsOff],
        ...c.references.map((ref): [string, Measured] => [`reference: ${ref.name}, no token check`, ref.result]),
      ];
      for (const [name, m] of rows) {
        out.push(
          `| ${c.label} | ${name} | ${n(m.requestsPerSec)} | ${m.serverCores.toFixed(2)} | ${perCpu(m)} | ${us(m)} | ${ms(m.p50Ms)} | ${ms(m.p99Ms)} | ${n(m.bytesPerResponse)} |`,
        );
      }
    }
    out.push('');
    for (const c of r.http) {
      const share = c.gateway.requestsPerCpuSec / c.gatewayEventsOff.requestsPerCpuSec;
      out.push(`- ${c.label}: the gateway with events on serves ${(share * 100).toFixed(1)} % of its requests per CPU-second with events off (issue 11 asks at least 95 %).`);
    }
    out.push('');
    const split = r.http.map(breakdown).filter((line) => line !== undefined);
    if (split.length > 0) {
      out.push('Where the gateway\'s CPU per request goes, from the rows above:', '');
      out.push(...split.map((line) => `- ${line}`), '');
    }
  }

  if (r.token) {
    const t = r.token;
    out.push('### Playback-token check, one process', '');
    out.push(
      `${n(t.iterations)} calls per round after a warm-up, ${t.rounds} rounds interleaved, median round. The token is ${t.tokenLength} ` +
        `characters (address and user-agent bound); its MAC covers the first ${t.macInputLength}, and the raw HMAC runs over a string of that length.`,
      '',
    );
    out.push('| operation | ops/s |', '|---|--:|');
    out.push(`| \`verifyPlaybackToken\` (uncached: structure, kid, HMAC, constant-time compare, claims, expiry) | ${n(t.verifyPerSec)} |`);
    out.push(`| \`verifyPlaybackJwt\` (the JWT form, ${t.jwtTokenLength} characters: the same steps, strict JSON header and claims) | ${n(t.jwtVerifyPerSec)} |`);
    out.push(`| \`createHmac('sha256', key).update(s).digest()\`, s of ${t.macInputLength} characters | ${n(t.hmacPerSec)} |`);
    out.push('');
  }
  if (r.license) out.push(...renderLicense(r.license, r.rounds));
  if (r.packager) out.push(...renderPackager(r.packager));
  out.push(END);
  return out.join('\n');
}

/** Replaces a section of the doc between its markers (or appends it), keeping everything else. */
export function writeResults(docPath: string, section: string, skeleton: string, markers: { start: string; end: string } = { start: START, end: END }): void {
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : skeleton;
  const start = doc.indexOf(markers.start);
  const end = doc.indexOf(markers.end);
  const next =
    start >= 0 && end > start
      ? `${doc.slice(0, start)}${section}${doc.slice(end + markers.end.length)}`
      : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docPath, next);
}

/**
 * The gateway's CPU per request against the reference servers: bare node:http sending the same
 * bytes from memory is Node's own HTTP cost, the difference is Tollgate's; the createReadStream
 * server shows what reading the file on every request would add (what the file cache saves).
 */
function breakdown(c: HttpCase): string | undefined {
  const memory = c.references.find((ref) => ref.mode === 'memory')?.result;
  const stream = c.references.find((ref) => ref.mode === 'stream')?.result;
  if (memory === undefined || stream === undefined) return undefined;
  const total = cpuUs(c.gateway);
  const http = cpuUs(memory);
  const own = total - http;
  const file = cpuUs(stream) - http;
  const ownText =
    own > 0
      ? `Tollgate's own work (token and session checks, file-cache lookup, headers, metrics) adds ${own.toFixed(0)} µs (${Math.round((100 * own) / total)} % of the gateway's)`
      : `Tollgate's own checks add nothing measurable on top (${own.toFixed(0)} µs: within the noise)`;
  return (
    `${c.label}: the gateway spends ${total.toFixed(0)} µs of CPU per request, nginx ${cpuUs(c.nginx).toFixed(0)} µs. ` +
    `Bare node:http sending the same bytes from memory spends ${http.toFixed(0)} µs: that much is Node's HTTP itself, and ${ownText}. ` +
    `Reading the file on every request (stat + createReadStream) would add ${file.toFixed(0)} µs.`
  );
}
