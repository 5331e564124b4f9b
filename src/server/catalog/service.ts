/**
 * Entitlements, first cut: plans (a list of titles or all of them, and a stream limit),
 * subscribers on a plan, and the registered titles. Threat: an admin typo that silently
 * entitles nobody or everybody — a user on a missing plan is refused, not created.
 */
import { randomUUID } from 'node:crypto';
import { deny, grant, type Verdict } from '../../core/errors.js';
import type { DurableStores, PlanRecord, StreamCountBy, StreamLimitMode, UserRecord } from '../../core/ports.js';
import { normalizeEmail } from '../../core/email.js';
import { hashPassword } from '../identity/passwords.js';
import { NO_ACCESS_RULES } from '../../core/access-rules.js';
import { type AccessInput, accessView, type AccessView, applyAccessInput } from './access.js';
import type { EntitlementCache } from './entitlement-cache.js';
import { currentRentals, type RentalView } from './rentals.js';

export interface PlanInput extends AccessInput {
  readonly id: string;
  readonly titles: readonly string[] | '*';
  readonly maxStreams?: number | null;
  readonly streamLimitMode?: StreamLimitMode;
  readonly countBy?: StreamCountBy;
  readonly maxDevices?: number | null;
  readonly requireMfa?: boolean;
}

export interface UserView {
  readonly user_id: string;
  readonly email: string;
  readonly plan_id: string;
}

export interface PlanView extends AccessView {
  readonly id: string;
  readonly titles: readonly string[] | '*';
  readonly max_streams: number | null;
  readonly stream_limit_mode: StreamLimitMode;
  readonly count_by: StreamCountBy;
  readonly max_devices: number | null;
  readonly require_mfa: boolean;
}

export class CatalogService {
  constructor(
    private readonly stores: DurableStores,
    private readonly entitlements: EntitlementCache,
    private readonly now: () => number,
  ) {}

  async upsertPlan(input: PlanInput): Promise<Verdict<PlanView>> {
    const existing = await this.stores.plans.get(input.id);
    const access = applyAccessInput(existing?.access ?? NO_ACCESS_RULES, input);
    if (!access.ok) return access;
    const now = this.now();
    const titles = input.titles === '*' ? '*' : [...new Set(input.titles)];
    const plan = await this.stores.plans.upsert({
      id: input.id,
      titles,
      maxStreams: input.maxStreams === undefined ? (existing?.maxStreams ?? null) : input.maxStreams,
      streamLimitMode: input.streamLimitMode ?? existing?.streamLimitMode ?? 'refuse',
      countBy: input.countBy ?? existing?.countBy ?? 'session',
      maxDevices: input.maxDevices === undefined ? (existing?.maxDevices ?? null) : input.maxDevices,
      requireMfa: input.requireMfa ?? existing?.requireMfa ?? false,
      access: access.value,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    // Its titles may have changed: confirmed entitlements go, on every instance.
    await this.entitlements.everyoneChanged();
    return grant(planView(plan));
  }

  /** Changes the countries and browser origins a title may be played from. */
  async setTitleAccess(id: string, input: AccessInput): Promise<Verdict<{ id: string } & AccessView>> {
    const title = await this.stores.titles.get(id);
    if (title === undefined) return deny('not_found', `title "${id}" does not exist`);
    const access = applyAccessInput(title.access, input);
    if (!access.ok) return access;
    if (!(await this.stores.titles.setAccess(id, access.value))) return deny('not_found', `title "${id}" was removed meanwhile`);
    return grant({ id, ...accessView(access.value) });
  }

  async createUser(input: { email: string; password: string; planId: string }): Promise<Verdict<UserView>> {
    if ((await this.stores.plans.get(input.planId)) === undefined) {
      return deny('not_found', `plan "${input.planId}" does not exist; create it first`);
    }
    const user: UserRecord = {
      id: randomUUID(),
      email: normalizeEmail(input.email),
      passwordHash: await hashPassword(input.password),
      planId: input.planId,
      createdAt: this.now(),
      disabledAt: null,
    };
    if (!(await this.stores.users.create(user))) return deny('conflict', `a user with email ${user.email} already exists`);
    return grant(userView(user));
  }

  /** What a subscriber may watch: `GET /v1/me`. */
  async me(user: UserRecord): Promise<UserView & { titles: readonly string[] | '*'; rentals: RentalView[] }> {
    const [plan, rentals] = await Promise.all([this.stores.plans.get(user.planId), currentRentals(this.stores, user.id, this.now())]);
    return { ...userView(user), titles: plan?.titles ?? [], rentals };
  }

  /** The titles a subscriber may watch, by plan or current rental (the player's list). */
  async entitledTitles(user: UserRecord): Promise<{ id: string; name: string; protocols: readonly string[]; duration_sec: number }[]> {
    const [plan, titles, rentals] = await Promise.all([
      this.stores.plans.get(user.planId),
      this.stores.titles.list(),
      currentRentals(this.stores, user.id, this.now()),
    ]);
    const rented = new Set(rentals.map((r) => r.title_id));
    return titles
      .filter((t) => plan?.titles === '*' || plan?.titles.includes(t.id) || rented.has(t.id))
      .map((t) => ({ id: t.id, name: t.name, protocols: t.protocols, duration_sec: t.durationSec }));
  }

  /** The registered titles with their protocols and content key ids (admin view). */
  async titlesWithKeys(): Promise<({ id: string; name: string; protocols: readonly string[]; duration_sec: number; key_ids: string[]; created_at: string } & AccessView)[]> {
    const titles = await this.stores.titles.list();
    return Promise.all(
      titles.map(async (t) => ({
        id: t.id,
        name: t.name,
        protocols: t.protocols,
        duration_sec: t.durationSec,
        key_ids: (await this.stores.titles.contentKeys(t.id)).map((k) => k.kid),
        created_at: new Date(t.createdAt).toISOString(),
        ...accessView(t.access),
      })),
    );
  }

  async listPlans(): Promise<PlanView[]> {
    return (await this.stores.plans.list()).map(planView);
  }
}

function planView(plan: PlanRecord): PlanView {
  return { id: plan.id, titles: plan.titles, max_streams: plan.maxStreams, stream_limit_mode: plan.streamLimitMode, count_by: plan.countBy, max_devices: plan.maxDevices, require_mfa: plan.requireMfa, ...accessView(plan.access) };
}

function userView(user: UserRecord): UserView {
  return { user_id: user.id, email: user.email, plan_id: user.planId };
}
