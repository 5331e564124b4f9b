/**
 * One wrk run against one URL, with the server's own CPU time over the run: on two cores the
 * client takes part of the machine, so requests per server CPU-second is the fair figure and
 * requests per second is what this machine happened to reach.
 */
import { cpuSeconds, run } from './processes.js';

export interface LoadOptions {
  readonly connections: number;
  readonly threads: number;
  readonly durationSec: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSec: number;
  /** Responses outside 2xx/3xx, and socket errors: any of them makes the run invalid. */
  readonly failures: number;
  readonly failureText: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Bytes read per response, headers included. */
  readonly bytesPerResponse: number;
  readonly serverCpuSec: number;
  readonly requestsPerCpuSec: number;
  /** Server CPU-seconds per wall second: 1.0 = one core busy. */
  readonly serverCores: number;
}

/**
 * Loads url with wrk and measures the CPU of the processes serverPids() names (read before and
 * after, so processes must live through the run).
 */
/** The kept run of several, with every run's requests per server CPU-second. */
export type Measured = LoadResult & { readonly roundsPerCpuSec: readonly number[] };

/** script: a wrk Lua script (e.g. setting wrk.method and wrk.body), else plain GETs. */
export async function loadTest(url: string, options: LoadOptions, serverPids: () => number[], script?: string): Promise<LoadResult> {
  const pids = serverPids();
  const cpuBefore = sum(pids.map(cpuSeconds));
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSec}s`,
    '--timeout',
    '5s',
    '--latency',
    ...(script !== undefined ? ['-s', script] : []),
    url,
  ];
  const result = await run('wrk', args, (options.durationSec + 30) * 1000);
  const cpuAfter = sum(pids.map(cpuSeconds));
  if (result.status !== 0) throw new Error(`wrk failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  return parseWrk(result.stdout, cpuAfter - cpuBefore);
}

export function parseWrk(out: string, serverCpuSec: number): LoadResult {
  const summary = /(\d+) requests in ([\d.]+\w+), ([\d.]+)(\w+) read/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+([\d.]+\w+)/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+\w+)/m.exec(out);
  if (!summary || !rps || !p50 || !p99) throw new Error(`could not read wrk's output:\n${out}`);
  const requests = Number(summary[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const failureText = [non2xx > 0 ? `${non2xx} non-2xx/3xx responses` : '', socketErrors > 0 ? socket![0] : ''].filter(Boolean).join('; ');
  return {
    requests,
    seconds: duration(summary[2]!),
    requestsPerSec: Number(rps[1]),
    failures: non2xx + socketErrors,
    failureText,
    p50Ms: duration(p50[1]!) * 1000,
    p99Ms: duration(p99[1]!) * 1000,
    bytesPerResponse: requests > 0 ? size(Number(summary[3]), summary[4]!) / requests : 0,
    serverCpuSec,
    requestsPerCpuSec: serverCpuSec > 0 ? requests / serverCpuSec : 0,
    serverCores: serverCpuSec / duration(summary[2]!),
  };
}

/** wrk's durations: "812.00us", "1.02ms", "2.00s", "1.00m". Seconds. */
function duration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`unknown wrk duration "${text}"`);
  const scale = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[m[2] as 'us' | 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * scale;
}

/** wrk's sizes are binary multiples: "38.35MB". Bytes. */
function size(value: number, unit: string): number {
  const scale: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
  if (scale[unit] === undefined) throw new Error(`unknown wrk size unit "${unit}"`);
  return value * scale[unit]!;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
