// WM tokens in the playback grant (ETSI TS 104 002 direct mode, issue 13): issued for a
// watermarked title's sessions only when TOLLGATE_WM_TOKEN_KEY is set, as long-lived as the
// session and no longer, carrying the session's payload so that an edge picks what the
// gateway picks for every segment number, past the pattern's length too. The per-segment
// match against what the gateway actually serves: test/attacks/watermark-sequencing.test.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWmToken, wmVariant } from '../../src/core/watermark/wm-token.js';
import { nodeCdnCrypto } from '../../src/server/edge/cdn-crypto.js';
import { PATTERN_BITS, payloadBit, payloadPattern } from '../../src/server/watermark/payload.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle, registerWatermarkedStub } from '../support/titles.js';

const KEY = randomBytes(32);

describe('WM tokens', () => {
  let t: TestApp;
  afterEach(() => t.close());

  async function grants(env: Record<string, string>) {
    t = await startTestApp({ env });
    await registerWatermarkedStub(t.services, 'marked');
    await registerSyntheticTitle(t.services, 'plain');
    const viewer = await seedSubscriber(t.app, { titles: ['marked', 'plain'] });
    const auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    const start = async (titleId: string) => (await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: titleId } })).json();
    return { marked: await start('marked'), plain: await start('plain') };
  }

  it('come with watermarked titles only, valid until the session expires and not after', async () => {
    const { marked, plain } = await grants({ TOLLGATE_WM_TOKEN_KEY: KEY.toString('hex') });
    expect(plain.wm_token).toBeUndefined();
    expect(marked.wm_token).toMatch(/^[A-Za-z0-9_-]+$/);
    const expiresSec = Date.parse(marked.expires_at) / 1000;
    const now = Math.floor(t.clock.now / 1000);
    const pattern = verifyWmToken(marked.wm_token, KEY, now, nodeCdnCrypto);
    expect(pattern).toMatchObject({ ok: true, value: { bits: PATTERN_BITS, exp: Math.ceil(expiresSec) } });
    expect(verifyWmToken(marked.wm_token, KEY, Math.ceil(expiresSec), nodeCdnCrypto)).toMatchObject({ ok: false, code: 'token_expired' });
    expect(verifyWmToken(marked.wm_token, randomBytes(32), now, nodeCdnCrypto)).toMatchObject({ ok: false, code: 'invalid_token' });
  });

  it('are not issued without TOLLGATE_WM_TOKEN_KEY', async () => {
    const { marked } = await grants({});
    expect(marked.session_id).toBeDefined();
    expect(marked.wm_token).toBeUndefined();
  });

  it('carry the payload so that the edge picks the gateway’s bit for every segment number, over three pattern lengths', () => {
    const watermarkKey = randomBytes(16);
    const sid = randomUUID();
    const pattern = { bytes: payloadPattern(watermarkKey, sid), bits: PATTERN_BITS, exp: 1 };
    for (let n = 0; n < 3 * PATTERN_BITS; n++) expect(wmVariant(pattern, n)).toBe(payloadBit(watermarkKey, sid, n) === 0 ? 'a' : 'b');
  });
});
