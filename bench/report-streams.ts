/**
 * The stream-lease section of docs/BENCHMARKS.md, between its own two markers, so
 * `npm run bench -- --only streams` rewrites it without touching the other parts' figures.
 */
import type { Machine } from './machine.js';
import { fmt, met } from './log.js';
import { type Phase, type StreamsResult, TARGET_BYTES_PER_STREAM, TARGET_REDIS_US_PER_STREAM } from './streams.js';

export const STREAMS_START = '<!-- bench:streams:start (written by `npm run bench`, also by `--only streams`; edits here are overwritten) -->';
export const STREAMS_END = '<!-- bench:streams:end -->';

const usPerOp = (p: Phase): number => (p.redisCpuSec * 1e6) / p.ops;

export function renderStreams(r: StreamsResult, run: { date: Date; command: string; machine: Machine; loadAfter: string }): string {
  const o = r.options;
  const out: string[] = [STREAMS_START, '', '## Stream leases on Redis: results of the last run', ''];
  out.push(
    `Run ${run.date.toISOString().replace(/\.\d+Z$/, 'Z')} with \`${run.command}\` on ${run.machine.cpu}, ${run.machine.cores} cores, Node ${run.machine.node}, ` +
      `Redis ${r.redis}; load average ${run.machine.loadAverage} at the start, ${run.loadAfter} at the end. ${fmt(o.accounts)} accounts, ` +
      `${o.streamsPerAccount} streams each (${fmt(o.accounts * o.streamsPerAccount)} leases), taken round-robin; ${o.inFlight} operations in flight over one ` +
      `connection; best of ${o.rounds} round${o.rounds > 1 ? 's' : ''} per phase by Redis CPU.`,
    '',
  );
  out.push('| measure | measured | aim | |', '|---|--:|--:|---|');
  out.push(`| Redis CPU per lease renewal (redis-server process, /proc) | ${usPerOp(r.renew).toFixed(1)} µs | ≤ ${TARGET_REDIS_US_PER_STREAM} µs | ${met(usPerOp(r.renew) <= TARGET_REDIS_US_PER_STREAM)} |`);
  out.push(`| Redis memory per stream (MEMORY USAGE of the account keys) | ${r.bytesPerStream.toFixed(0)} bytes | ≤ ${TARGET_BYTES_PER_STREAM} bytes | ${met(r.bytesPerStream <= TARGET_BYTES_PER_STREAM)} |`, '');
  out.push(
    '| operation | ops | ops/s (this client) | Redis CPU per op | ops per Redis CPU-second | script time per call (commandstats) | client (ioredis) CPU per op | p50 | p99 |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const [label, p] of [
    ['admission (`tollgateLeaseAdmit`, limit = streams per account)', r.admit],
    ['renewal (`tollgateLeaseRenew`)', r.renew],
    ['reference: an empty script (`return 1`), same calls', r.floor],
  ] as const) {
    out.push(
      `| ${label} | ${fmt(p.ops)} | ${fmt(p.ops / p.wallSec)} | ${usPerOp(p).toFixed(1)} µs | ${fmt(p.ops / p.redisCpuSec)} | ${p.scriptUsecPerCall.toFixed(1)} µs | ${((p.clientCpuSec * 1e6) / p.ops).toFixed(1)} µs | ${p.p50Ms.toFixed(2)} ms | ${p.p99Ms.toFixed(2)} ms |`,
    );
  }
  out.push('');
  out.push(
    `Memory: ${r.bytesPerStream.toFixed(0)} bytes per stream by \`MEMORY USAGE … SAMPLES 0\` over the ${r.keysPerAccount} keys of every account, ` +
      `${r.usedMemoryPerStream.toFixed(0)} bytes by the \`used_memory\` delta over admission (which also counts the keyspace's dictionary and expiry entries).`,
    '',
  );
  out.push(
    'Redis CPU is the redis-server process\'s user + system time over the phase (it serves nothing else), so it includes reading ' +
      'and answering each call; the script time (INFO commandstats) is wall time inside the script, which a busy machine inflates. ' +
      'The client column is the bench process\'s own CPU per call (ioredis encoding, parsing, promises): what one lease renewal ' +
      'adds to a Tollgate instance\'s license or key request, beside its Redis round trip.',
    '',
  );
  out.push('What the scripts run, per operation (INFO commandstats, commands called from scripts):', '');
  for (const [label, p] of [['admission', r.admit], ['renewal', r.renew]] as const) {
    out.push(`- ${label}: ${p.commands.filter((c) => c.calls * 100 >= p.ops).slice(0, 8).map((c) => `${c.command} ${(c.share * 100).toFixed(0)} % (${(c.calls / p.ops).toFixed(1)}×, ${c.usecPerCall.toFixed(2)} µs)`).join(', ')}`);
  }
  out.push('', STREAMS_END);
  return out.join('\n');
}
