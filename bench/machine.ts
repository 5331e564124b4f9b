/** What the bench needs installed, and the machine it ran on (for the report). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface Tool {
  readonly name: string;
  readonly versionArgs: readonly string[];
  readonly install: string;
}

export const TOOLS: readonly Tool[] = [
  { name: 'nginx', versionArgs: ['-v'], install: 'apt-get install nginx-light' },
  { name: 'wrk', versionArgs: ['--version'], install: 'apt-get install wrk' },
  { name: 'ffmpeg', versionArgs: ['-version'], install: 'apt-get install ffmpeg' },
  { name: 'redis-server', versionArgs: ['--version'], install: 'apt-get install redis-server' },
];

/** The first line a tool prints about its version, or undefined when it is not on PATH. */
export function toolVersion(tool: Tool): string | undefined {
  // nginx -v is found under /usr/sbin, which a non-root PATH may lack.
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin` };
  const result = spawnSync(tool.name, tool.versionArgs, { encoding: 'utf8', env, timeout: 10_000 });
  if (result.error !== undefined) return undefined;
  const text = `${result.stdout}\n${result.stderr}`;
  const line = text.split('\n').find((l) => /version|wrk \S+/i.test(l));
  return line?.trim() ?? text.trim().split('\n')[0];
}

/** Names of the missing tools with how to install them; empty when all are there. */
export function missingTools(names: readonly string[]): string[] {
  return TOOLS.filter((t) => names.includes(t.name) && toolVersion(t) === undefined).map(
    (t) => `${t.name} is not installed (Debian/Ubuntu: ${t.install})`,
  );
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly nginx: string;
  readonly wrk: string;
  readonly os: string;
  /** /proc/loadavg's 1, 5 and 15 minute figures when the run started. */
  readonly loadAverage: string;
}

/** 1, 5 and 15 minute load averages: a shared machine makes every figure noisier. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  let os = `${process.platform} ${process.arch}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    os = `${pretty ?? process.platform}, Linux ${kernel}`;
  } catch {
    // keep the short form
  }
  const version = (name: string): string => {
    const tool = TOOLS.find((t) => t.name === name)!;
    const line = toolVersion(tool) ?? 'not installed';
    return line.replace(/^nginx version:\s*/, '').replace(/\s*Copyright.*$/, '');
  };
  return { cpu, cores: availableParallelism(), node: process.version, nginx: version('nginx'), wrk: version('wrk'), os, loadAverage: loadAverage() };
}
