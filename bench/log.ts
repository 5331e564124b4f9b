/** Progress lines and number formatting shared by the bench's modules. */
import type { LoadResult, Measured } from './wrk.js';

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Milliseconds, as µs below one. */
export function ms(value: number): string {
  return value < 1 ? `${(value * 1000).toFixed(0)} µs` : `${value.toFixed(2)} ms`;
}

export function x(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

export function met(ok: boolean): string {
  return ok ? 'met' : '**below**';
}

/** Server CPU microseconds per request. */
export function cpuUs(m: LoadResult): number {
  return m.requestsPerCpuSec > 0 ? 1e6 / m.requestsPerCpuSec : 0;
}

export function us(m: LoadResult): string {
  return `${cpuUs(m).toFixed(0)} µs`;
}

/** The kept figure, and the range over all rounds when there were several. */
export function perCpu(m: Measured): string {
  if (m.roundsPerCpuSec.length < 2) return fmt(m.requestsPerCpuSec);
  const lo = Math.min(...m.roundsPerCpuSec);
  return `${fmt(m.requestsPerCpuSec)} (${fmt(lo)}–${fmt(m.requestsPerCpuSec)})`;
}
