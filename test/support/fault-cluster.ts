/**
 * Two Tollgate instances over the same stores, as when scaled out, for fault-injection tests:
 * a test breaks a store under them and checks what clients see. Records every uncaught
 * exception and unhandled rejection of the process, so "no instance died" can be asserted.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { compose, type Services } from '../../src/server/compose.js';
import { loadConfig } from '../../src/server/config.js';
import { ADMIN_TOKEN } from './app.js';

export interface Instance {
  readonly app: FastifyInstance;
  readonly services: Services;
}

export interface FaultCluster {
  readonly a: Instance;
  readonly b: Instance;
  readonly dataDir: string;
  /** Everything the process would have died of while the cluster ran. */
  readonly crashes: unknown[];
  close(): Promise<void>;
}

export async function startFaultCluster(env: Record<string, string>, dataDir?: string): Promise<FaultCluster> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'tollgate-fault-')));
  // The cluster's own keys on a shared Redis: other test files' counters (rate limits per
  // address, all 127.0.0.1 here) must not reach it.
  const prefix = `tollgate-${randomBytes(4).toString('hex')}:`;
  const crashes: unknown[] = [];
  const rejected = (error: unknown) => crashes.push(new Error(`unhandled rejection: ${(error as Error)?.stack ?? String(error)}`));
  const thrown = (error: unknown) => crashes.push(new Error(`uncaught exception: ${(error as Error)?.stack ?? String(error)}`));
  process.on('uncaughtException', thrown);
  process.on('unhandledRejection', rejected);
  const start = async (): Promise<Instance> => {
    const services = await compose(loadConfig({ TOLLGATE_DATA_DIR: dir, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_LOG_LEVEL: process.env.FAULT_LOG ?? 'silent', TOLLGATE_REDIS_PREFIX: prefix, ...env }));
    const app = buildApp(services);
    await app.ready();
    return { app, services };
  };
  const a = await start();
  const b = await start();
  return {
    a,
    b,
    dataDir: dir,
    crashes,
    async close() {
      for (const { app, services } of [a, b]) {
        await app.close();
        await services.close();
      }
      process.off('uncaughtException', thrown);
      process.off('unhandledRejection', rejected);
      if (dataDir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A response and how long it took. */
export interface Timed {
  readonly res: LightMyRequestResponse;
  readonly ms: number;
}

export async function timed(request: Promise<LightMyRequestResponse>): Promise<Timed> {
  const started = performance.now();
  const res = await request;
  return { res, ms: performance.now() - started };
}

/** The answer an outage must get: 503 `unavailable` with Retry-After, as problem+json. */
export function expectUnavailable(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBe(503);
  expect(res.json().code).toBe('unavailable');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

/** Statuses by count, e.g. { 200: 40, 503: 12 }, for readable assertions and reports. */
export function tally(responses: readonly LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { statusCode } of responses) counts[statusCode] = (counts[statusCode] ?? 0) + 1;
  return counts;
}

/** Checks every 503 is a proper outage answer, and nothing else than the allowed statuses came. */
export function expectOnly(responses: readonly LightMyRequestResponse[], allowed: readonly number[]): void {
  for (const res of responses) {
    expect(allowed, `${res.statusCode} ${res.body}`).toContain(res.statusCode);
    if (res.statusCode === 503) expectUnavailable(res);
  }
}

/** Polls until probe() is true; returns how long that took, or fails after limitMs. */
export async function recoveryTime(limitMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await probe().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > limitMs) throw new Error(`not recovered within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
