/**
 * Rounds of simultaneous playback starts for one account on two instances (issue 9): each
 * round sends 50 starts at once, alternating instances, through the real HTTP routes, and
 * checks that exactly the plan's limit got in. Between refuse-mode rounds the viewer ends the
 * admitted streams through the API (DELETE /v1/playback/:id), so every round starts with all
 * slots free; in evict mode each round's burst evicts the last round's streams itself.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { ADMIN_TOKEN } from './app.js';

export const BURST = 50;

export type Auth = { readonly authorization: string };
export type Pair = readonly [FastifyInstance, FastifyInstance];

/** A plan with a stream limit, one subscriber on it, logged in once; returns its bearer header. */
export async function limitedViewer(app: FastifyInstance, plan: Record<string, unknown>): Promise<Auth> {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const planId = `p${Math.random().toString(36).slice(2, 10)}`;
  expect((await app.inject({ method: 'POST', url: '/v1/admin/plans', headers: admin, payload: { id: planId, titles: '*', ...plan } })).statusCode).toBe(200);
  const email = `burst-${planId}@example.com`;
  const password = 'correct horse battery';
  expect((await app.inject({ method: 'POST', url: '/v1/admin/users', headers: admin, payload: { email, password, plan_id: planId } })).statusCode).toBe(201);
  const tokens = (await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } })).json();
  return { authorization: `Bearer ${tokens.access_token as string}` };
}

function burst([a, b]: Pair, auth: Auth, titleId: string): Promise<LightMyRequestResponse[]> {
  return Promise.all(
    Array.from({ length: BURST }, (_, i) => (i % 2 === 0 ? a : b).inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: titleId, protocol: 'hls' } })),
  );
}

const sessionIds = (answers: readonly LightMyRequestResponse[]) => answers.map((r) => r.json().session_id as string).sort();

async function listed(app: FastifyInstance, auth: Auth): Promise<string[]> {
  return ((await app.inject({ method: 'GET', url: '/v1/playback', headers: auth })).json().streams as { session_id: string }[]).map((s) => s.session_id).sort();
}

/** Refuse mode: never more than `limit` of each burst admitted, never fewer (all slots are free). */
export async function refuseRounds(pair: Pair, auth: Auth, opts: { rounds: number; limit: number; titleId: string }): Promise<void> {
  for (let round = 0; round < opts.rounds; round++) {
    const answers = await burst(pair, auth, opts.titleId);
    const admitted = answers.filter((r) => r.statusCode === 201);
    expect(admitted, `round ${round}`).toHaveLength(opts.limit);
    for (const res of answers.filter((r) => r.statusCode !== 201)) {
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().code).toBe('stream_limit_reached');
    }
    expect(await listed(pair[round % 2]!, auth), `round ${round}`).toEqual(sessionIds(admitted));
    // Free every slot for the next round, through both instances.
    for (const [i, id] of sessionIds(admitted).entries()) {
      expect((await pair[i % 2]!.inject({ method: 'DELETE', url: `/v1/playback/${id}`, headers: auth })).statusCode).toBe(204);
    }
  }
}

/**
 * Evict mode: every start of each burst is admitted and exactly `limit` streams remain; returns
 * the starts evicted in the first round, for checks that they stopped.
 */
export async function evictRounds(pair: Pair, auth: Auth, opts: { rounds: number; limit: number; titleId: string }): Promise<LightMyRequestResponse[]> {
  let firstEvicted: LightMyRequestResponse[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const answers = await burst(pair, auth, opts.titleId);
    for (const res of answers) expect(res.statusCode, res.body).toBe(201);
    const live = await listed(pair[round % 2]!, auth);
    expect(live, `round ${round}`).toHaveLength(opts.limit);
    const evicted = answers.filter((r) => !live.includes(r.json().session_id));
    expect(evicted, `round ${round}`).toHaveLength(BURST - opts.limit);
    if (round === 0) firstEvicted = evicted;
  }
  return firstEvicted;
}
