/**
 * `tollgate/core` runs in an edge worker: compiled as for dist/ and loaded into a V8 context
 * with only the Web APIs an edge runtime has (test/support/edge-runtime.mjs), it verifies the
 * playback token a running server minted, with WebCrypto alone and the keys an operator hands
 * it (`tollgate keys edge`), in either playback-token format; jose there verifies the access
 * token against the served JWKS;
 * and it signs CDN URLs in all five formats on WebCrypto exactly as the server does on node:crypto.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAkamaiToken } from '../../src/core/cdn/akamai.js';
import { signCat } from '../../src/core/cdn/cat.js';
import { signCloudflareUrl } from '../../src/core/cdn/cloudflare.js';
import { signCloudFront } from '../../src/core/cdn/cloudfront.js';
import { signNginxSecureLink } from '../../src/core/cdn/nginx.js';
import { mintPlaybackJwt } from '../../src/core/playback-token-jwt.js';
import { nodeCdnCrypto, rsaSignerFromPem } from '../../src/server/edge/cdn-crypto.js';
import { nodeHmac } from '../../src/server/playback/service.js';
import { login, seedSubscriber, startTestApp, type TestApp } from '../support/app.js';
import { registerSyntheticTitle } from '../support/titles.js';

const SRC_CORE = join(import.meta.dirname, '../../src/core');
const RUNTIME = join(import.meta.dirname, '../support/edge-runtime.mjs');
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const run = promisify(execFile);

/** Compiles src/core to ES modules, with the build's compiler options, as `npm run build` does for dist/. */
async function compileCore(outDir: string): Promise<void> {
  const { config } = ts.readConfigFile(join(import.meta.dirname, '../../tsconfig.build.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, join(import.meta.dirname, '../..'));
  const files = (await readdir(SRC_CORE, { recursive: true })).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const { outputText } = ts.transpileModule(await readFile(join(SRC_CORE, file), 'utf8'), {
      compilerOptions: { ...options, sourceMap: false, module: ts.ModuleKind.ES2022 },
    });
    const out = join(outDir, relative(SRC_CORE, join(SRC_CORE, file)).replace(/\.ts$/, '.js'));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
}

/** Runs a worker module (`export default async () => …`, importing 'tollgate/core') at the "edge". */
function runAtEdge(coreDir: string, worker: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--experimental-vm-modules', '--no-warnings', RUNTIME, coreDir], (error, stdout, stderr) =>
      error ? reject(new Error(stderr || error.message)) : resolve(JSON.parse(stdout)),
    );
    child.stdin!.end(worker);
  });
}

describe('tollgate/core in an edge worker (WebCrypto only, no Node built-ins)', () => {
  let t: TestApp;
  let work: string;
  let coreDir: string;
  let manifestUrl: string;
  let accessToken: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tollgate-edge-'));
    coreDir = join(work, 'core');
    await compileCore(coreDir);
    t = await startTestApp();
    await registerSyntheticTitle(t.services, 'movie');
    const viewer = await seedSubscriber(t.app, { titles: ['movie'] });
    accessToken = (await login(t.app, viewer.email, viewer.password)).json().access_token;
    const start = await t.app.inject({ method: 'POST', url: '/v1/playback', headers: { authorization: `Bearer ${accessToken}` }, payload: { title_id: 'movie' } });
    manifestUrl = start.json().manifest_url;
  });
  afterAll(async () => {
    await t.close();
    await rm(work, { recursive: true, force: true });
  });

  it('has no process, require or Buffer, and cannot import a Node built-in', async () => {
    expect(await runAtEdge(coreDir, `export default async () => [typeof process, typeof require, typeof Buffer, typeof crypto.subtle];`)).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'object',
    ]);
    await expect(runAtEdge(coreDir, `import { createHmac } from 'node:crypto'; export default async () => 1;`)).rejects.toThrow(
      /not available at the edge: node:crypto/,
    );
  });

  it('verifies a playback token the server minted with the secrets `tollgate keys edge` exports', async () => {
    const token = /\/v1\/stream\/([^/]+)\//.exec(manifestUrl)![1]!;
    const { stdout } = await run(process.execPath, [BIN, 'keys', 'edge'], {
      env: { ...process.env, TOLLGATE_DATA_DIR: t.config.dataDir, TOLLGATE_LOG_LEVEL: 'silent' },
    });
    const now = Math.floor(t.clock.now / 1000);
    const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BA' : 'AA');
    const worker = `
      import { verifyPlaybackTokenAsync, checkBindings, decodeBase64url, webCryptoHmacSha256 } from 'tollgate/core';
      const secrets = new Map(${stdout.trim()}.keys.map((k) => [k.kid, decodeBase64url(k.secret)]));
      const hmac = webCryptoHmacSha256();
      const ctx = (now) => ({ now, hmac, resolveKey: async (kid) => secrets.get(kid) });
      export default async () => {
        const ok = await verifyPlaybackTokenAsync('${token}', ctx(${now}));
        const binding = ok.ok ? checkBindings(ok.value, { titleId: 'movie', path: 'hls/360p/seg_00001.ts', ip: '127.0.0.1' }) : ok;
        const forged = await verifyPlaybackTokenAsync('${forged}', ctx(${now}));
        const expired = await verifyPlaybackTokenAsync('${token}', ctx(ok.ok ? ok.value.exp : 0));
        return { ok: ok.ok, title: ok.ok && ok.value.titleId, binding: binding.ok, forged: forged.code, expired: expired.code };
      };`;
    expect(await runAtEdge(coreDir, worker)).toEqual({ ok: true, title: 'movie', binding: true, forged: 'invalid_token', expired: 'token_expired' });
  });

  it('verifies the JWT form of a playback token with the same secrets, and refuses it altered', async () => {
    const now = Math.floor(t.clock.now / 1000);
    const claims = { sid: 'ses-edge', titleId: 'movie', exp: now + 600, ip: '127.0.0.1' };
    const jwt = mintPlaybackJwt(claims, await t.services.playbackKeys.current(), now, nodeHmac);
    const retitled = `${jwt.split('.')[0]}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()), video_id: 'other' })).toString('base64url')}.${jwt.split('.')[2]}`;
    const secrets = (await t.services.playbackKeys.verifyingSecrets()).map((k) => ({ kid: k.kid, secret: Buffer.from(k.secret).toString('base64url') }));
    const worker = `
      import { verifyAnyPlaybackTokenAsync, decodeBase64url, webCryptoHmacSha256 } from 'tollgate/core';
      const secrets = new Map(${JSON.stringify(secrets)}.map((k) => [k.kid, decodeBase64url(k.secret)]));
      const ctx = { now: ${now}, hmac: webCryptoHmacSha256(), resolveKey: async (kid) => secrets.get(kid) };
      export default async () => {
        const ok = await verifyAnyPlaybackTokenAsync('${jwt}', ctx);
        const altered = await verifyAnyPlaybackTokenAsync('${retitled}', ctx);
        return { ok: ok.ok && ok.value, altered: altered.code };
      };`;
    expect(await runAtEdge(coreDir, worker)).toEqual({ ok: { sid: 'ses-edge', titleId: 'movie', scope: '', exp: now + 600, ip: '127.0.0.1' }, altered: 'invalid_token' });
  });

  it('signs CDN URLs in every format on WebCrypto byte for byte as node:crypto does', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url');
    const catKey = Buffer.alloc(32, 5);
    const inputs = {
      akamai: [
        { key: '52a1'.repeat(8), acl: '/vod/movie1/*', expires: 1700000300 },
        { key: '52a1'.repeat(8), url: '/vod/a b.ts', expires: 1700000300, start: 1700000000, algorithm: 'md5', escapeEarly: true, ip: '203.0.113.7' },
        { key: '52a1'.repeat(8), acl: '/*', expires: 1700000300, algorithm: 'sha1', sessionId: 's-1' },
      ],
      cloudflare: [{ url: '/download/cat.jpg', secret: 'mysecrettoken', timestamp: 1484063787 }, { url: '/vod/a.ts?x=1', secret: 'k', timestamp: 1700000000, urlSafe: true }],
      nginx: [{ url: '/s/link', secret: 'secret', expires: 2147483647, ip: '127.0.0.1' }, { url: '/vod/%ff.ts', secret: 's', expires: 1700000000 }],
      cloudfront: [
        { url: 'https://d111111abcdef8.cloudfront.net/vod/movie1/index.m3u8', keyPairId: 'K2JCJMDEHXQW5F', expires: 1700000300 },
        { url: 'https://cdn.example.com/vod/*', keyPairId: 'K2JCJMDEHXQW5F', expires: 1700000300, starts: 1600000000, ip: '198.51.100.0/24', hashAlgorithm: 'SHA256' },
      ],
      cat: [{ iss: 'tollgate', exp: 1700000300, iat: 1700000000, catu: [{ part: 'path', match: 'prefix', value: '/vod/movie1/' }], catreplay: 1 }],
    } as const;
    const rsa = rsaSignerFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const expected = {
      akamai: inputs.akamai.map((o) => signAkamaiToken(o, nodeCdnCrypto)),
      cloudflare: inputs.cloudflare.map((o) => signCloudflareUrl(o, nodeCdnCrypto)),
      nginx: inputs.nginx.map((o) => signNginxSecureLink(o, nodeCdnCrypto)),
      cloudfront: inputs.cloudfront.map((o) => signCloudFront(o, rsa)),
      cat: inputs.cat.map((c) => signCat(c, { kid: 'k1', key: catKey, cwtTag: true }, nodeCdnCrypto)),
    };
    for (const verdicts of Object.values(expected)) for (const v of verdicts) expect(v.ok).toBe(true);
    const worker = `
      import * as core from 'tollgate/core';
      const inputs = ${JSON.stringify(inputs)};
      const crypto = core.webCryptoCdnCrypto();
      const rsa = core.webCryptoRsaSigner(core.decodeBase64url('${pkcs8}'));
      const catKey = core.decodeBase64url('${catKey.toString('base64url')}');
      export default async () => ({
        akamai: await Promise.all(inputs.akamai.map((o) => core.signAkamaiTokenAsync(o, crypto))),
        cloudflare: await Promise.all(inputs.cloudflare.map((o) => core.signCloudflareUrlAsync(o, crypto))),
        nginx: await Promise.all(inputs.nginx.map((o) => core.signNginxSecureLinkAsync(o, crypto))),
        cloudfront: await Promise.all(inputs.cloudfront.map((o) => core.signCloudFrontAsync(o, rsa))),
        cat: await Promise.all(inputs.cat.map((c) => core.signCatAsync(c, { kid: 'k1', key: catKey, cwtTag: true }, crypto))),
      });`;
    expect(await runAtEdge(coreDir, worker)).toEqual(expected);
  });

  it('verifies an access token against the published JWKS with jose', async () => {
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const worker = `
      import { createLocalJWKSet, jwtVerify } from 'jose';
      const jwks = createLocalJWKSet(${JSON.stringify(jwks)});
      const verify = (token) => jwtVerify(token, jwks, {
        typ: 'at+jwt', algorithms: ['EdDSA', 'ES256'], issuer: ${JSON.stringify(t.config.publicUrl)}, audience: 'tollgate-api',
        currentDate: new Date(${t.clock.now}), clockTolerance: 5, requiredClaims: ['exp'],
      }).then((v) => ({ ok: true, aud: v.payload.aud }), (e) => ({ ok: false, code: e.code }));
      export default async () => {
        const ok = await verify('${accessToken}');
        const tampered = await verify('${accessToken}'.replace(/\\.[^.]+\\./, '.' + btoa('{"sub":"someone-else"}').replace(/=+$/, '') + '.'));
        return { ...ok, tampered: tampered.code };
      };`;
    expect(await runAtEdge(coreDir, worker)).toEqual({ ok: true, aud: 'tollgate-api', tampered: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});
