/** The results of the license and packager parts, in docs/BENCHMARKS.md's results section. */
import { type LicenseResult, TARGET_LICENSE_P99_MS, TARGET_LICENSE_PER_CPU_SEC } from './license.js';
import { fmt, met, ms, perCpu, us, x } from './log.js';
import type { PackagerResult } from './packager.js';

export function licenseTargetRows(l: LicenseResult): string[] {
  const m = l.result;
  return [
    `| licenses through \`license_url\`, requests per server CPU-second | ${fmt(m.requestsPerCpuSec)} | ≥ ${fmt(TARGET_LICENSE_PER_CPU_SEC)} | ${met(m.requestsPerCpuSec >= TARGET_LICENSE_PER_CPU_SEC)} |`,
    `| licenses through \`license_url\`, p99 at ${l.load.connections} concurrent | ${ms(m.p99Ms)} | < ${TARGET_LICENSE_P99_MS} ms | ${met(m.p99Ms < TARGET_LICENSE_P99_MS)} |`,
  ];
}

export function renderLicense(l: LicenseResult, rounds: number): string[] {
  const m = l.result;
  const asked = l.kids.sd + l.kids.hd + l.kids.audio;
  return [
    '### Licenses through license_url',
    '',
    `wrk \`-t${l.load.threads} -c${l.load.connections} -d${l.load.durationSec}s --latency\` with a Lua script POSTing the W3C Clear Key ` +
      `request for all ${asked} kids of the MPD (${l.kids.sd} SD, ${l.kids.hd} HD, ${l.kids.audio} audio; ${l.requestBytes} bytes) ` +
      `to the \`license_url\` of ${fmt(l.sessions.subscribers * l.sessions.streamsPerSubscriber)} playback sessions in turn ` +
      `(${l.sessions.subscribers} subscribers on a plan of \`max_streams\` ${l.sessions.streamsPerSubscriber}, each at its limit, so every license renews a real stream lease), keep-alive. Warmed up for 3 s, then measured ${rounds} time${rounds > 1 ? 's, keeping the run with the most requests per server CPU-second' : ''}. ` +
      `It was first checked to answer 200 with exactly the ${l.granted} SD and audio keys, and a forged token's POSTs to count as failures; ` +
      'any non-2xx response or socket error fails the bench. Server CPU is the whole Tollgate process, from `/proc/<pid>/stat`.',
    '',
    '| requests/s | server CPU, cores | requests per server CPU-s, best (all rounds) | server CPU per license | p50 | p99 | bytes read per response |',
    '|--:|--:|--:|--:|--:|--:|--:|',
    `| ${fmt(m.requestsPerSec)} | ${m.serverCores.toFixed(2)} | ${perCpu(m)} | ${us(m)} | ${ms(m.p50Ms)} | ${ms(m.p99Ms)} | ${fmt(m.bytesPerResponse)} |`,
    '',
  ];
}

export function renderPackager(p: PackagerResult): string[] {
  const out = [
    '### Packager encryption throughput, one process',
    '',
    `Clear segments from a ${p.clip}: the DASH ladder as Tollgate's packager has ffmpeg write it (2 s fMP4 segments per ` +
      'representation), and the HLS ladder\'s MPEG-TS segments (4 s). Each operation repeats passes over the same in-memory bytes ' +
      `for at least ${p.secondsPerRound} s per round, ${p.rounds} rounds interleaved after a warm-up, median round; MB = 10⁶ bytes of clear input.`,
    '',
    '| operation | segments | bytes a pass | MB/s | ÷ `fs.copyFile` | ÷ memory copy |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  for (const r of p.rows) {
    out.push(`| ${r.name} | ${r.files} | ${fmt(r.bytes)} | ${fmt(r.mbPerSec)} | ${x(r.mbPerSec / p.fileCopy.mbPerSec)} | ${x(r.mbPerSec / p.memoryCopy.mbPerSec)} |`);
  }
  const dash = p.rows[0]!;
  out.push(
    '',
    `For scale: the whole \`packageDash\` of this clip (ffmpeg encoding the ladder, then the encryption above) took ${p.packageDashSec.toFixed(1)} s; ` +
      `encrypting its ${fmt(dash.bytes)} bytes of DASH segments once takes about ${((1000 * dash.bytes) / 1e6 / dash.mbPerSec).toFixed(1)} ms at the rate above.`,
    '',
  );
  return out;
}
