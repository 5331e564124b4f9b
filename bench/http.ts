/**
 * The HTTP half of the bench: Tollgate's gateway, nginx secure_link and the bare-Node
 * references on the same files, each checked to serve the exact bytes (and the two under test
 * to refuse bad tokens) before wrk loads them round-robin.
 */
import { dirname } from 'node:path';
import { type FloorMode, type FloorServer, startFloor } from './floors.js';
import { fmt, say } from './log.js';
import { startAccelNginx, startNginx } from './nginx.js';
import { freePort } from './processes.js';
import { TARGET_GATEWAY, type HttpCase } from './report.js';
import { addSmallFile, expectFile, expectRefused, segmentNear, startTollgate, TITLE } from './tollgate.js';
import { loadTest, type LoadOptions, type LoadResult, type Measured } from './wrk.js';

export interface HttpOptions {
  readonly segmentBytes: number;
  readonly smallBytes: number;
  readonly floors: boolean;
  readonly rounds: number;
  readonly profileDir?: string;
}

export async function benchHttp(load: LoadOptions, opts: HttpOptions): Promise<HttpCase[]> {
  say('\n== setting up: ffmpeg clip, tollgate package, tollgate serve, plan, user, login, playback');
  const tollgate = await startTollgate(opts.profileDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] } : {});
  const others: Array<{ stop(): Promise<void> }> = [];
  try {
    // The same gateway without decision events: what recording costs (issue 11: within 5 %).
    const eventsOff = await startTollgate({ env: { TOLLGATE_EVENTS: 'off' } });
    others.push(eventsOff);
    const segment = segmentNear(tollgate, opts.segmentBytes);
    const small = addSmallFile(tollgate, segment.path, opts.smallBytes);
    // Its own packaging of the clip: the same paths and sizes, other keys (so other bytes).
    const offSegment = segmentNear(eventsOff, opts.segmentBytes);
    const offFiles = new Map([
      [segment.path, offSegment],
      [small.path, addSmallFile(eventsOff, offSegment.path, opts.smallBytes)],
    ]);
    say(`manifest ${tollgate.manifestUrl}`);
    say(`segment ${segment.path} (${fmt(segment.size)} bytes, of ${tollgate.segments.length} segments), small file ${small.path} (${fmt(small.size)} bytes)`);

    const nginx = await startNginx([segment, small].map((f) => ({ path: `/${TITLE}/${f.path}`, source: f.file })));
    others.push(nginx);
    // X-Accel-Redirect: a second Tollgate (its own title, packaged alike) decides, nginx sends.
    const accelTollgate = await startTollgate({ env: { TOLLGATE_SEND_FILE: 'x-accel' } });
    others.push(accelTollgate);
    const accelSmall = addSmallFile(accelTollgate, segment.path, opts.smallBytes);
    const accelNginx = await startAccelNginx(await freePort(), new URL(accelTollgate.base).host, dirname(accelTollgate.titleDir));
    others.push(accelNginx);
    const accelUrl = (path: string) => `${accelTollgate.streamPrefix.replace(accelTollgate.base, accelNginx.base)}${path}`;
    const accelPids = () => [accelNginx.workerPid, accelTollgate.pid];
    const expires = Math.floor(Date.now() / 1000) + 3600;
    // The references serve the gateway's own files, at nginx's paths, with no token at all.
    const floors: Array<{ name: string; mode: FloorMode; server: FloorServer }> = [];
    if (opts.floors) {
      for (const [name, mode] of [['bare node:http, createReadStream', 'stream'], ['bare node:http, from memory', 'memory']] as const) {
        const server = await startFloor(dirname(tollgate.titleDir), mode);
        others.push(server);
        floors.push({ name, mode, server });
      }
    }

    // Every server must really serve the exact bytes, and the two under test must really validate.
    for (const f of [segment, small]) {
      await expectFile(nginx.signedUrl(`/${TITLE}/${f.path}`, expires), f.file);
      await expectFile(`${tollgate.streamPrefix}${f.path}`, f.file);
      await expectFile(`${eventsOff.streamPrefix}${offFiles.get(f.path)!.path}`, offFiles.get(f.path)!.file);
      for (const { server } of floors) await expectFile(`${server.base}/${TITLE}/${f.path}`, f.file);
    }
    await expectFile(accelUrl(segment.path), `${accelTollgate.titleDir}/${segment.path}`);
    await expectFile(accelUrl(accelSmall.path), accelSmall.file);
    await expectRefused(`${forged(accelUrl(''))}${segment.path}`, [401, 403]);
    const nginxUrl = nginx.signedUrl(`/${TITLE}/${segment.path}`, expires);
    await expectRefused(nginxUrl.replace(/md5=.{4}/, 'md5=AAAA'), [403]);
    await expectRefused(nginx.signedUrl(`/${TITLE}/${segment.path}`, 1_000_000_000), [410]);
    await expectRefused(`${nginx.base}/${TITLE}/${segment.path}`, [403]);
    await expectRefused(`${forged(tollgate.streamPrefix)}${segment.path}`, [401, 403]);
    say('checked: every server sends the exact bytes; nginx and the gateway refuse forged, expired and missing tokens');

    const cases: HttpCase[] = [];
    for (const f of [
      { label: `${kb(segment.size)} segment`, ...segment },
      { label: `${kb(small.size)} file`, ...small },
    ]) {
      say(`\n== ${f.label}: wrk -t${load.threads} -c${load.connections} -d${load.durationSec}s, ${opts.rounds} round(s) after a 3 s warm-up each`);
      const targets: Target[] = [
        { name: 'nginx secure_link', url: nginx.signedUrl(`/${TITLE}/${f.path}`, expires), pids: () => [nginx.workerPid] },
        { name: 'Tollgate gateway', url: `${tollgate.streamPrefix}${f.path}`, pids: () => [tollgate.pid] },
        { name: 'nginx + Tollgate X-Accel-Redirect', url: accelUrl(f.path), pids: accelPids },
        { name: 'Tollgate gateway, events off', url: `${eventsOff.streamPrefix}${offFiles.get(f.path)!.path}`, pids: () => [eventsOff.pid] },
        ...floors.map(({ name, server }) => ({ name, url: `${server.base}/${TITLE}/${f.path}`, pids: () => [server.pid] })),
      ];
      const [nginxResult, gatewayResult, accelResult, eventsOffResult, ...refResults] = await measureRounds(targets, load, opts.rounds);
      const references = floors.map(({ name, mode }, i) => ({ name, mode, result: refResults[i]! }));
      const ratio = gatewayResult!.requestsPerCpuSec / nginxResult!.requestsPerCpuSec;
      say(`gateway/nginx per server CPU-second: ${ratio.toFixed(2)}x (target >= ${TARGET_GATEWAY}x)`);
      say(`X-Accel-Redirect (nginx + Tollgate CPU)/nginx per server CPU-second: ${(accelResult!.requestsPerCpuSec / nginxResult!.requestsPerCpuSec).toFixed(2)}x`);
      say(`gateway events on/off per server CPU-second: ${((gatewayResult!.requestsPerCpuSec / eventsOffResult!.requestsPerCpuSec) * 100).toFixed(1)} % (target >= 95 %)`);
      cases.push({ label: f.label, bytes: f.size, nginx: nginxResult!, gateway: gatewayResult!, accel: accelResult!, gatewayEventsOff: eventsOffResult!, references });
    }
    return cases;
  } finally {
    for (const p of others) await p.stop();
    await tollgate.stop();
  }
}

export interface Target {
  readonly name: string;
  readonly url: string;
  readonly pids: () => number[];
  /** A wrk Lua script for the requests (method, body, headers); plain GETs without. */
  readonly script?: string;
}

/**
 * Each target warmed up for 3 s, then measured `rounds` times, round-robin so that other work
 * on the machine falls on all of them alike; each keeps its round with the most requests per
 * server CPU-second, since outside load only ever makes a run worse.
 */
export async function measureRounds(targets: readonly Target[], load: LoadOptions, rounds: number): Promise<Measured[]> {
  for (const t of targets) await loadTest(t.url, { ...load, durationSec: 3 }, t.pids, t.script);
  const best: Array<LoadResult | undefined> = targets.map(() => undefined);
  const rates: number[][] = targets.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    for (const [i, t] of targets.entries()) {
      const r = await loadTest(t.url, load, t.pids, t.script);
      if (r.failures > 0) throw new Error(`${t.name}: ${r.failureText} in ${fmt(r.requests)} requests to ${t.url}`);
      say(
        `${`${t.name}${rounds > 1 ? ` #${round}` : ''}`.padEnd(37)} ${fmt(r.requestsPerSec).padStart(7)} req/s, server ${r.serverCores.toFixed(2)} cores, ` +
          `${fmt(r.requestsPerCpuSec).padStart(7)} req/CPU-s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`,
      );
      rates[i]!.push(r.requestsPerCpuSec);
      if (best[i] === undefined || r.requestsPerCpuSec > best[i]!.requestsPerCpuSec) best[i] = r;
    }
  }
  return best.map((r, i) => ({ ...r!, roundsPerCpuSec: rates[i]! }));
}

/** The stream prefix with one character of the token's MAC changed. */
function forged(streamPrefix: string): string {
  const m = /^(.*\/v1\/stream\/[^/]*)([^/])([^/]{10}\/.*)$/.exec(streamPrefix);
  if (m === null) throw new Error(`no token in ${streamPrefix}`);
  return `${m[1]}${m[2] === 'A' ? 'B' : 'A'}${m[3]}`;
}

function kb(bytes: number): string {
  return bytes >= 10 * 1024 ? `${Math.round(bytes / 1024)} KB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KB` : `${bytes} B`;
}
