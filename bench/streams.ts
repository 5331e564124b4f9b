/**
 * The stream-limit half of the bench: admission and renewal of stream leases against a real
 * Redis, through Tollgate's own RedisStreamLeases (the Lua scripts the server runs), with many
 * accounts taken round-robin, as a production Redis sees them. The bench starts its own
 * redis-server (no persistence) so nothing else runs on it: its CPU time over a phase, from
 * /proc and from INFO, is Tollgate's alone. Measured per phase: operations per Redis
 * CPU-second, latency percentiles at a fixed number of operations in flight, the commands the
 * scripts ran (INFO commandstats: calls and microseconds), and after admission the bytes the
 * leases take (MEMORY USAGE of every account's keys, and the used_memory delta).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStreamLeases } from '../src/server/stores/redis/stream-leases.js';
import { fmt, say } from './log.js';
import { cpuSeconds, freePort, startService, waitFor } from './processes.js';

export const TARGET_REDIS_US_PER_STREAM = 10;
export const TARGET_BYTES_PER_STREAM = 200;
const PREFIX = 'tollgate:';
/** Longer than the bench: no lease lapses while it runs, so every renewal finds its lease. */
const LEASE_MS = 600_000;

export interface StreamsOptions {
  readonly accounts: number;
  readonly streamsPerAccount: number;
  readonly renewals: number;
  /** Operations in flight at once, over one connection (pipelined, as a busy instance sends them). */
  readonly inFlight: number;
  readonly rounds: number;
}

export interface CommandCost {
  readonly command: string;
  readonly calls: number;
  readonly usecPerCall: number;
  /** Of all the phase's command time (scripts count their inner commands too). */
  readonly share: number;
}

export interface Phase {
  readonly name: string;
  readonly ops: number;
  readonly wallSec: number;
  /** redis-server's user + system CPU over the phase, from /proc (every thread, network I/O included). */
  readonly redisCpuSec: number;
  /** INFO commandstats: microseconds spent in the script calls themselves (EVALSHA), per call. */
  readonly scriptUsecPerCall: number;
  /** This Node process's CPU over the phase: the ioredis side of each call, what a Tollgate instance pays per call. */
  readonly clientCpuSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly commands: readonly CommandCost[];
}

export interface StreamsResult {
  readonly options: StreamsOptions;
  readonly redis: string;
  readonly admit: Phase;
  readonly renew: Phase;
  /** An empty script per op, called the same way: what Redis spends to receive, run and answer any script. */
  readonly floor: Phase;
  /** MEMORY USAGE of every account's keys, summed, per stream. */
  readonly bytesPerStream: number;
  /** INFO used_memory after admission less before, per stream. */
  readonly usedMemoryPerStream: number;
  readonly keysPerAccount: number;
}

export async function benchStreams(opts: StreamsOptions): Promise<StreamsResult> {
  const port = await freePort();
  say(`\n== stream leases: redis-server on 127.0.0.1:${port}, ${fmt(opts.accounts)} accounts x ${opts.streamsPerAccount} streams, ${fmt(opts.renewals)} renewals, ${opts.inFlight} in flight`);
  const server = startService('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // refused while redis-server starts: waitFor retries
  try {
    await waitFor(
      async () => {
        if (redis.status === 'wait') await redis.connect();
        return (await redis.ping()) === 'PONG' ? true : undefined;
      },
      10_000,
      () => `redis-server did not answer:\n${server.output()}`,
    );
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
    const leases = new RedisStreamLeases(redis, PREFIX, (command) => command(), async () => 0);
    const accounts = Array.from({ length: opts.accounts }, () => randomUUID());
    const streams = accounts.map((account) => ({ account, device: `device:${randomUUID()}`, ids: Array.from({ length: opts.streamsPerAccount }, () => randomUUID()) }));
    // Warm up: the scripts loaded, the connection and the JIT busy, on other accounts' keys.
    const warm = Array.from({ length: 2000 }, () => randomUUID());
    await runPhase('warm-up', redis, server.pid, warm.length, opts.inFlight, (i) => leases.admit(admitRequest(warm[i]!, randomUUID(), 'device:warm', opts.streamsPerAccount)));
    await redis.del(...warm.flatMap((a) => [`${PREFIX}{${a}}:leases`, `${PREFIX}{${a}}:lease-info`]));

    const total = opts.accounts * opts.streamsPerAccount;
    // Each phase runs `rounds` times; the round with the least Redis CPU per op is kept (other
    // work on a shared machine only ever makes a round worse). Admission starts from empty each round.
    const admits: Phase[] = [];
    let memoryBefore = 0;
    for (let round = 0; round < opts.rounds; round++) {
      await redis.flushdb();
      memoryBefore = await usedMemory(redis);
      // Round-robin: every account's first stream, then every account's second, ...
      admits.push(
        await runPhase('admission', redis, server.pid, total, opts.inFlight, async (i) => {
          const s = streams[i % opts.accounts]!;
          const outcome = await leases.admit(admitRequest(s.account, s.ids[Math.floor(i / opts.accounts)]!, s.device, opts.streamsPerAccount));
          if (!outcome.admitted) throw new Error(`admission ${i} was refused under the limit`);
        }),
      );
    }
    const usedMemoryPerStream = ((await usedMemory(redis)) - memoryBefore) / total;
    const keys = accounts.flatMap((a) => [`${PREFIX}{${a}}:leases`, `${PREFIX}{${a}}:lease-info`]);
    const bytesPerStream = (await memoryUsage(redis, keys)) / total;
    say(`memory: ${bytesPerStream.toFixed(0)} bytes per stream (MEMORY USAGE of ${fmt(keys.length)} keys), ${usedMemoryPerStream.toFixed(0)} by the used_memory delta`);

    const renews: Phase[] = [];
    const floors: Phase[] = [];
    // The floor of any one-script design: a script that does nothing, called the same way.
    const empty = String(await redis.script('LOAD', 'return 1'));
    for (let round = 0; round < opts.rounds; round++) {
      renews.push(
        await runPhase('renewal', redis, server.pid, opts.renewals, opts.inFlight, async (i) => {
          const s = streams[i % opts.accounts]!;
          if (!(await leases.renew(s.account, s.ids[Math.floor(i / opts.accounts) % opts.streamsPerAccount]!, LEASE_MS))) throw new Error(`renewal ${i} found no lease`);
        }),
      );
      floors.push(await runPhase('empty script (floor)', redis, server.pid, opts.renewals, opts.inFlight, (i) => redis.evalsha(empty, 1, `${PREFIX}{${accounts[i % opts.accounts]}}:leases`)));
    }
    const [admit, renew, floor] = [best(admits), best(renews), best(floors)];
    return { options: opts, redis: version, admit, renew, floor, bytesPerStream, usedMemoryPerStream, keysPerAccount: 2 };
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

/** The round with the least Redis CPU per operation. */
function best(rounds: readonly Phase[]): Phase {
  return rounds.reduce((a, b) => (b.redisCpuSec < a.redisCpuSec ? b : a));
}

function admitRequest(account: string, streamId: string, deviceKey: string, limit: number) {
  return { account, streamId, deviceKey, limit, mode: 'refuse' as const, countBy: 'session' as const, leaseMs: LEASE_MS };
}

/** Runs `ops` operations, `inFlight` at a time, timing each; Redis's CPU and command stats over the whole. */
async function runPhase(name: string, redis: Redis, pid: number, ops: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<Phase> {
  await redis.config('RESETSTAT');
  const cpuBefore = cpuSeconds(pid);
  const clientBefore = process.cpuUsage();
  const latencies = new Float64Array(ops);
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < ops) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      await op(i);
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, ops) }, worker));
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  const redisCpuSec = cpuSeconds(pid) - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  const stats = commandStats(await redis.info('commandstats'));
  latencies.sort();
  const scripts = stats.find((c) => c.command === 'evalsha');
  const phase: Phase = {
    name,
    ops,
    wallSec,
    redisCpuSec,
    scriptUsecPerCall: scripts ? scripts.usecPerCall : 0,
    clientCpuSec: (client.user + client.system) / 1e6,
    p50Ms: latencies[Math.floor(ops * 0.5)] ?? 0,
    p99Ms: latencies[Math.min(ops - 1, Math.floor(ops * 0.99))] ?? 0,
    commands: stats.filter((c) => c.command !== 'evalsha' && !c.command.startsWith('config') && c.command !== 'info'),
  };
  if (name !== 'warm-up') {
    say(
      `${name}: ${fmt(ops)} in ${wallSec.toFixed(1)} s (${fmt(ops / wallSec)}/s), Redis CPU ${((redisCpuSec * 1e6) / ops).toFixed(1)} µs per op ` +
        `(${fmt(ops / redisCpuSec)} per Redis CPU-second; scripts ${phase.scriptUsecPerCall.toFixed(1)} µs per call; client CPU ${((phase.clientCpuSec * 1e6) / ops).toFixed(1)} µs per op), p50 ${phase.p50Ms.toFixed(2)} ms, p99 ${phase.p99Ms.toFixed(2)} ms`,
    );
    say(`  inside the scripts: ${phase.commands.slice(0, 6).map((c) => `${c.command} ${(c.share * 100).toFixed(0)} % (${(c.calls / ops).toFixed(1)}/op)`).join(', ')}`);
  }
  return phase;
}

/** INFO commandstats → per command calls and µs, most expensive first; shares of the non-script total. */
function commandStats(info: string): CommandCost[] {
  const rows = [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)].map((m) => ({ command: m[1]!, calls: Number(m[2]), usec: Number(m[3]) }));
  const inner = rows.filter((r) => r.command !== 'evalsha' && !r.command.startsWith('config')).reduce((sum, r) => sum + r.usec, 0) || 1;
  return rows
    .map((r) => ({ command: r.command, calls: r.calls, usecPerCall: r.calls > 0 ? r.usec / r.calls : 0, share: r.usec / inner }))
    .sort((a, b) => b.share - a.share);
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}

/** Sum of MEMORY USAGE (every element counted: SAMPLES 0) over the keys, pipelined in batches. */
async function memoryUsage(redis: Redis, keys: readonly string[]): Promise<number> {
  let sum = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(i, i + 1000)) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    for (const [error, bytes] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      sum += Number(bytes ?? 0);
    }
  }
  return sum;
}
