/**
 * The simulated service: a real Tollgate composed on the embedded store with a simulated
 * clock (so detectors see the times the scenarios live through), one plan, ten episodes and
 * the accounts the scenarios ask for. Ground truth (who is honest, which abuse began when and
 * from where) is kept here for the report.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/server/app.js';
import { compose, type Services } from '../src/server/compose.js';
import { loadConfig } from '../src/server/config.js';
import { AddressBook } from './addresses.js';
import { registerEpisodes } from './catalog.js';
import { Random } from './random.js';
import { Scheduler } from './scheduler.js';
import { Viewer } from './viewer.js';

const ADMIN_TOKEN = 'simulator-admin-token-0123456789';
export const PASSWORD = 'correct horse battery staple';
export const PLAN = { id: 'standard', titles: '*', max_streams: 4 } as const;

/** Where honest households live; abusers come from these and farther. */
export const HOME_COUNTRIES = ['FR', 'DE', 'GB', 'ES', 'IT', 'NL', 'US', 'BR', 'JP', 'PL'] as const;
export const FAR_COUNTRIES = ['AU', 'IN', 'ZA', 'CA', 'MX', 'KR', 'TR', 'SE'] as const;

export interface Abuse {
  readonly scenario: string;
  readonly startedAt: number;
  readonly userIds: ReadonlySet<string>;
  readonly addresses: ReadonlySet<string>;
}

export class World {
  readonly answers = new Map<string, number>();
  readonly honestUsers = new Set<string>();
  readonly abuses: Abuse[] = [];
  private accounts = 0;

  private constructor(
    readonly app: FastifyInstance,
    readonly services: Services,
    readonly clock: { now: number },
    readonly random: Random,
    readonly addresses: AddressBook,
    readonly scheduler: Scheduler,
    readonly titles: readonly string[],
    private readonly dataDir: string,
  ) {}

  static async open(options: { seed: number; start: number; networksPerCountry: number; env?: Record<string, string> }): Promise<World> {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sim-'));
    // The accounts are provisioned at one simulated instant, before the day: that is the
    // operator's set-up, not traffic, so the admin rate limit (1,200 a minute) is lifted for it.
    const config = loadConfig({
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      TOLLGATE_LOG_LEVEL: 'silent',
      TOLLGATE_RATE_ADMIN_PER_ADDRESS: '1000000',
      ...options.env,
    });
    const clock = { now: options.start };
    const services = await compose(config, { now: () => clock.now });
    const app = buildApp(services);
    await app.ready();
    const random = new Random(options.seed);
    const addresses = new AddressBook(random, [...HOME_COUNTRIES, ...FAR_COUNTRIES], options.networksPerCountry);
    const titles = await registerEpisodes(services, 10);
    const world = new World(app, services, clock, random, addresses, new Scheduler(clock), titles, dataDir);
    await world.admin('POST', '/v1/admin/plans', PLAN);
    return world;
  }

  /** A new account; `honest` ones count in the false-alert rate. */
  async account(honest: boolean): Promise<{ userId: string; email: string }> {
    const email = `viewer${++this.accounts}@sim.example`;
    const { user_id: userId } = (await this.admin('POST', '/v1/admin/users', { email, password: PASSWORD, plan_id: PLAN.id })) as { user_id: string };
    if (honest) this.honestUsers.add(userId);
    return { userId, email };
  }

  viewer(email: string, ip: string, device: string): Viewer {
    return new Viewer(this.app, this.answers, email, PASSWORD, ip, { id: `${email}-${device}`.replace(/[^a-zA-Z0-9-]/g, '-'), name: device });
  }

  /** Records an abuse as it begins, for the report to match alerts against. */
  abuse(scenario: string, userIds: readonly string[], addresses: readonly string[]): void {
    this.abuses.push({ scenario, startedAt: this.clock.now, userIds: new Set(userIds), addresses: new Set(addresses) });
  }

  async admin(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
    const res = await this.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    if (res.statusCode >= 400) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json();
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.services.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
