/**
 * Threat: a content key leaving Tollgate on a path that does not evaluate that key's policy
 * for that client. The rule: the AES-128 key route serves only the HLS key of the session's own
 * title, to HLS sessions; DRM tier keys leave only in licenses, where ClearKey (a software CDM)
 * gets SD and audio, never HD or UHD; nothing else returns key material.
 *
 * The attack: a subscriber entitled to two titles, each packaged for HLS and DASH, opens an HLS
 * and a DASH session in every token mode and asks every key-serving route for every key id of
 * both titles. Every response is searched for the bytes of every key (raw, hex, base64url);
 * the keys that leave must be exactly the ones the rule allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitleAs } from '../support/titles.js';

type Labelled = { title: string; label: string; kid: string; key: Uint8Array };
type Response = { statusCode: number; rawPayload: Buffer };

const b64url = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

/** Which keys' bytes appear in a response, in any encoding a client could read. */
function leakedFrom(response: Response, keys: readonly Labelled[]): string[] {
  const body = response.rawPayload;
  const text = body.toString('latin1');
  return keys
    .filter(({ key }) => {
      const raw = Buffer.from(key);
      return body.includes(raw) || text.includes(raw.toString('hex')) || text.includes(raw.toString('base64url')) || text.includes(raw.toString('base64'));
    })
    .map(({ title, label }) => `${title}/${label}`);
}

for (const mode of ['path', 'query', 'cookie'] as const) {
  describe(`attack: every key id through every key-serving route (${mode} token mode)`, () => {
    let t: TestApp;
    let keys: Labelled[];
    let auth: { authorization: string };

    beforeAll(async () => {
      t = await startTestApp({ env: { TOLLGATE_TOKEN_MODE: mode } });
      keys = [];
      for (const title of ['film', 'other']) {
        const made = await registerSyntheticTitleAs(t.services, title, ['hls', 'dash']);
        keys.push({ title, label: 'hls', ...made.hls! });
        for (const [label, k] of Object.entries(made.dash!)) keys.push({ title, label, ...k });
      }
      const viewer = await seedSubscriber(t.app, { titles: ['film', 'other'] });
      auth = { authorization: `Bearer ${(await login(t.app, viewer.email, viewer.password)).json().access_token}` };
    });
    afterAll(() => t.close());

    /** Starts a session on 'film' and returns how to reach its routes with its token. */
    async function session(protocol: 'hls' | 'dash') {
      const res = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: auth, payload: { title_id: 'film', protocol } });
      expect(res.statusCode).toBe(201);
      const started = res.json() as { manifest_url: string };
      const manifest = new URL(started.manifest_url);
      const token = mode === 'path' ? manifest.pathname.split('/')[3]! : mode === 'query' ? manifest.searchParams.get('tg')! : /tg=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!;
      const cookie = mode === 'cookie' ? { cookie: `tg=${token}` } : undefined;
      const media = (title: string, path: string) =>
        mode === 'path' ? `/v1/stream/${token}/${title}/${path}` : `/v1/media/${title}/${path}${mode === 'query' ? `?tg=${token}` : ''}`;
      return { token, cookie, media };
    }

    it('lets out only the HLS key to HLS sessions and SD and audio keys in DASH licenses', async () => {
      const leaks: string[] = [];
      for (const protocol of ['hls', 'dash'] as const) {
        const { token, cookie, media } = await session(protocol);
        for (const target of keys) {
          const asked = `${protocol} session asks ${target.title}/${target.label}`;
          // The AES-128 key route, under the session's own title and under the other title.
          for (const title of ['film', 'other']) {
            const res = await t.app.inject({ method: 'GET', url: media(title, `hls/keys/${target.kid}`), headers: cookie });
            expect(res.statusCode, `${asked} via ${title}/hls/keys`).toBeLessThan(500);
            leaks.push(...leakedFrom(res, keys).map((got) => `${asked} via key route → ${got}`));
          }
          // The entitlement proxy (license_url) and the upstream DRM routes, with this session's token.
          for (const suffix of ['', '/widevine', '/playready', '/fairplay']) {
            const res = await t.app.inject({
              method: 'POST',
              url: `/v1/license/s/${token}/film${suffix}`,
              headers: { 'content-type': 'application/octet-stream' },
              payload: JSON.stringify({ kids: [b64url(target.kid)], type: 'temporary' }),
            });
            expect(res.statusCode, `${asked} via license${suffix}`).toBeLessThan(500);
            leaks.push(...leakedFrom(res, keys).map((got) => `${asked} via license${suffix} → ${got}`));
          }
        }
      }
      expect(leaks.sort()).toEqual(
        [
          'hls session asks film/hls via key route → film/hls',
          'dash session asks film/sd via license → film/sd',
          'dash session asks film/audio via license → film/audio',
        ].sort(),
      );
    });

    it('refuses the HD key of a DASH session on the AES-128 key route (the hole found on dbbf00e)', async () => {
      const { cookie, media } = await session('dash');
      const hd = keys.find((k) => k.title === 'film' && k.label === 'hd')!;
      const res = await t.app.inject({ method: 'GET', url: media('film', `hls/keys/${hd.kid}`), headers: cookie });
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('forbidden');
    });

    it('refuses a license to an HLS session', async () => {
      const { token } = await session('hls');
      const sd = keys.find((k) => k.title === 'film' && k.label === 'sd')!;
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/license/s/${token}/film`,
        headers: { 'content-type': 'application/octet-stream' },
        payload: JSON.stringify({ kids: [b64url(sd.kid)] }),
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('forbidden');
    });

    it('shows key ids, never keys, in the admin API', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/admin/titles', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.statusCode).toBe(200);
      expect(leakedFrom(res, keys)).toEqual([]);
    });
  });
}
