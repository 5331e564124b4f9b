/**
 * Attack: one mailbox, several accounts. NFC and NFD spellings of one address (or upper case,
 * or stray spaces) must name one account, in the admin API, at login and in lookups; and the
 * CLI must not create an account under a spelling the API refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidEmail, normalizeEmail } from '../../src/core/email.js';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';

const NFC = 'jos\u00e9@example.com';
const NFD = 'jose\u0301@example.com';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('attack: one email spelled two ways', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('refuses a second account for the NFD spelling of an NFC email', async () => {
    expect(NFC).not.toBe(NFD);
    const first = await seedSubscriber(t.app, { email: NFC, plan: 'p-nfc' });
    const second = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/users',
      headers: admin,
      payload: { email: NFD.toUpperCase(), password: 'another password', plan_id: 'p-nfc' },
    });
    expect(second.statusCode).toBe(409);
    expect(await t.services.stores.users.findByEmail(NFD)).toMatchObject({ id: first.userId, email: NFC });
  });

  it('logs in with either spelling to the one account', async () => {
    const spellings = [NFC, NFD, NFD.toUpperCase()];
    for (const email of spellings) {
      const res = await login(t.app, email, 'correct horse battery');
      expect(res.statusCode).toBe(200);
    }
  });

  it('refuses, in the API, exactly the emails isValidEmail refuses', async () => {
    const candidates = [
      'plain@example.com',
      NFD,
      'a@b',
      'no-at-sign',
      'two@@example.com',
      'a b@example.com',
      'tab\t@example.com',
      'nbsp\u00a0@example.com',
      '@example.com',
      'a@',
      `${'x'.repeat(243)}@example.com`,
      `${'é'.repeat(242)}@example.com`,
      `${'x'.repeat(244)}@example.com`,
    ];
    for (const email of candidates) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/admin/users',
        headers: admin,
        payload: { email, password: 'long enough', plan_id: 'no-such-plan' },
      });
      // A valid email reaches the service (404: no such plan); an invalid one stops at the schema.
      expect({ email, status: res.statusCode }).toEqual({ email, status: isValidEmail(email) ? 404 : 400 });
    }
  });

  it('normalises to one spelling', () => {
    expect(normalizeEmail(` ${NFD.toUpperCase()} `)).toBe(NFC);
  });
});
