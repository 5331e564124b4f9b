/**
 * Attacks on refresh-token rotation, and the honest client it must not punish: a retry of a
 * refresh whose response was lost gets a working pair within the reuse grace
 * (TOLLGATE_REFRESH_REUSE_GRACE); anything else that presents a spent token (after the grace,
 * a grandparent token, a thief and the victim both going on) revokes the whole login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

describe.each<Backend>(['sqlite', 'postgres'])('attack: refresh-token reuse on %s', (backend) => {
  let t: TestApp;
  let viewer: Awaited<ReturnType<typeof seedSubscriber>>;
  beforeAll(async () => {
    t = await startTestApp({ backend });
    viewer = await seedSubscriber(t.app, { plan: 'p1' });
  });
  afterAll(() => t.close());

  const refresh = (token: string) => t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: token } });
  const me = (token: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
  const signIn = async () => (await login(t.app, viewer.email, viewer.password)).json();

  it('gives a client retrying a refresh whose response it lost a working pair, revoking nothing', async () => {
    const session = await signIn();
    expect((await refresh(session.refresh_token)).statusCode).toBe(200); // the response is lost on a train
    t.clock.now += 20_000;
    const retry = await refresh(session.refresh_token);
    expect(retry.statusCode).toBe(200);
    const pair = retry.json();
    expect((await me(pair.access_token)).statusCode).toBe(200);
    expect((await me(session.access_token)).statusCode).toBe(200);
    expect((await refresh(pair.refresh_token)).statusCode).toBe(200);
  });

  it('revokes the login when the same token comes back after the grace', async () => {
    const session = await signIn();
    const rotated = (await refresh(session.refresh_token)).json();
    t.clock.now += 31_000;
    const late = await refresh(session.refresh_token);
    expect(late.statusCode).toBe(401);
    expect(late.json().code).toBe('token_revoked');
    expect((await refresh(rotated.refresh_token)).json().code).toBe('token_revoked');
    expect((await me(rotated.access_token)).json().code).toBe('token_revoked');
  });

  it('revokes the login for a grandparent token, even within the grace', async () => {
    const session = await signIn();
    const second = (await refresh(session.refresh_token)).json();
    const third = (await refresh(second.refresh_token)).json();
    const replay = await refresh(session.refresh_token);
    expect(replay.json().code).toBe('token_revoked');
    expect((await refresh(third.refresh_token)).json().code).toBe('token_revoked');
  });

  it('revokes the login once a thief and the victim both go on from one token, in either order', async () => {
    for (const thiefFirst of [false, true]) {
      for (const newestGoesOnFirst of [false, true]) {
        const stolen = (await signIn()).refresh_token;
        // Both present the token within the grace: the second gets a pair and spends the first's.
        const [spent, newest] = [(await refresh(stolen)).json(), (await refresh(stolen)).json()];
        const [victim, thief] = thiefFirst ? [newest, spent] : [spent, newest];
        if (newestGoesOnFirst) expect((await refresh(newest.refresh_token)).statusCode).toBe(200);
        expect((await refresh(spent.refresh_token)).json().code).toBe('token_revoked');
        for (const party of [victim, thief]) {
          expect((await refresh(party.refresh_token)).json().code).toBe('token_revoked');
          expect((await me(party.access_token)).json().code).toBe('token_revoked');
        }
      }
    }
  });

  it('never leaves more than one working token after a storm of concurrent retries', async () => {
    const session = await signIn();
    await refresh(session.refresh_token);
    // Five at once: the most racing retries the store takes for one client (MAX_RETRY_RACES in
    // src/server/stores/sql/refresh-tokens.ts); more than that is not a lost response.
    const storm = await Promise.all(Array.from({ length: 5 }, () => refresh(session.refresh_token)));
    expect(storm.map((r) => r.statusCode)).toEqual(Array(5).fill(200));
    // Trying every token issued: a spent one revokes the login, so at most one can ever work.
    let working = 0;
    for (const r of storm) if ((await refresh(r.json().refresh_token)).statusCode === 200) working++;
    expect(working).toBeLessThanOrEqual(1);
  });
});

describe('attack: refresh-token reuse with the grace off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TOLLGATE_REFRESH_REUSE_GRACE: '0' } });
  });
  afterAll(() => t.close());

  it('revokes the login on the first retry', async () => {
    const viewer = await seedSubscriber(t.app, { plan: 'p1' });
    const session = (await login(t.app, viewer.email, viewer.password)).json();
    const refresh = (token: string) => t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: token } });
    const rotated = (await refresh(session.refresh_token)).json();
    expect((await refresh(session.refresh_token)).json().code).toBe('token_revoked');
    expect((await refresh(rotated.refresh_token)).json().code).toBe('token_revoked');
  });
});
