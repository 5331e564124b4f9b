/** What every subcommand shares: flag parsing, usage errors, composed services, output. */
import { parseArgs } from 'node:util';
import { compose, type Services } from '../server/compose.js';
import type { Config } from '../server/config.js';

export class UsageError extends Error {}

export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(args: readonly string[], config: Config): Promise<number>;
}

type Options = Parameters<typeof parseArgs>[0] extends infer P ? (P extends { options?: infer O } ? O : never) : never;

export function flags(args: readonly string[], options: Options): Record<string, string | boolean | undefined> {
  return parse(args, options, 0).values;
}

/** Parses flags and exactly `positionals` positional arguments. */
export function parse(args: readonly string[], options: Options, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: positionals > 0 });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== positionals) throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** A flag that takes one of a few words; undefined when absent. */
export function oneOf<const T extends string>(value: string | boolean | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** Runs fn with composed services and always closes them. */
export async function withServices<T>(config: Config, fn: (services: Services) => Promise<T>): Promise<T> {
  const services = await compose(config);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function refuse(detail: string): number {
  process.stderr.write(`refused: ${detail}\n`);
  return 1;
}
