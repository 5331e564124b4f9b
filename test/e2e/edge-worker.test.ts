/**
 * `tollgate/core` runs in an edge worker: compiled as for dist/ and loaded into a V8 context
 * with only the Web APIs an edge runtime has (test/support/edge-runtime.mjs), it verifies the
 * playback token and the access token a running server minted, with WebCrypto alone and the
 * keys an operator hands it (`tollgate keys edge`, the JWKS).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('verifies an access token against the published JWKS', async () => {
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const worker = `
      import { verifyJwt, webCryptoJwtCrypto, importJwtPublicKey } from 'tollgate/core';
      const jwks = ${JSON.stringify(jwks)};
      const verify = (token) => verifyJwt(token, {
        typ: 'at+jwt', algorithms: ['EdDSA', 'ES256'], issuer: ${JSON.stringify(t.config.publicUrl)}, audience: 'tollgate-api',
        now: ${Math.floor(t.clock.now / 1000)}, leeway: 5,
        resolveKey: async (kid) => {
          const jwk = jwks.keys.find((k) => k.kid === kid);
          return jwk && { kid, alg: jwk.alg, key: await importJwtPublicKey(jwk.alg, jwk) };
        },
      }, webCryptoJwtCrypto());
      export default async () => {
        const ok = await verify('${accessToken}');
        const tampered = await verify('${accessToken}'.replace(/\\.[^.]+\\./, '.' + btoa('{"sub":"someone-else"}').replace(/=+$/, '') + '.'));
        return { ok: ok.ok, aud: ok.ok && ok.value.claims.aud, tampered: tampered.code };
      };`;
    expect(await runAtEdge(coreDir, worker)).toEqual({ ok: true, aud: 'tollgate-api', tampered: 'invalid_token' });
  });
});
