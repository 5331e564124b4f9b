/**
 * `tollgate cdn sign` prints what the reference libraries make from the same inputs, and
 * refuses usage mistakes with exit 2 without echoing secrets. Runs the built CLI (dist/).
 */
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import EdgeAuth from 'akamai-edgeauth';
import { CAT } from '@eyevinn/cat';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdnSign } from '../../src/cli/cdn-sign.js';
import { UsageError } from '../../src/cli/args.js';
import { loadConfig } from '../../src/server/config.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('tollgate cdn sign', () => {
  let dir: string;
  let keyFile: string;
  const sign = (...args: string[]) =>
    run('node', [BIN, 'cdn', 'sign', ...args], { env: { ...process.env, TOLLGATE_DATA_DIR: dir, TOLLGATE_LOG_LEVEL: 'silent' } }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-cdn-'));
    keyFile = join(dir, 'cloudfront.pem');
    await writeFile(keyFile, PEM);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints a CloudFront signed URL and cookies as @aws-sdk/cloudfront-signer makes them', async () => {
    const url = 'https://d111111abcdef8.cloudfront.net/vod/movie 1/index.m3u8';
    const canned = await sign('--provider', 'cloudfront', '--url', url, '--expires', '1700000300', '--key-pair-id', 'K2JCJMDEHXQW5F', '--private-key', keyFile);
    expect(canned.stdout).toBe(`${getSignedUrl({ url, keyPairId: 'K2JCJMDEHXQW5F', privateKey: PEM, dateLessThan: '2023-11-14T22:18:20Z' })}\n`);
    const wildcard = 'https://d111111abcdef8.cloudfront.net/vod/*';
    const cookies = await sign('--provider', 'cloudfront', '--url', wildcard, '--expires', '1700000300', '--key-pair-id', 'K2JCJMDEHXQW5F', '--private-key', keyFile, '--starts', '1700000000', '--ip', '203.0.113.0/24', '--cookie');
    const expected = getSignedCookies({ url: wildcard, keyPairId: 'K2JCJMDEHXQW5F', privateKey: PEM, dateLessThan: '2023-11-14T22:18:20Z', dateGreaterThan: '2023-11-14T22:13:20Z', ipAddress: '203.0.113.0/24' });
    expect(cookies.stdout).toBe(`${Object.entries(expected).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  });

  it('prints an Akamai URL and cookie as akamai-edgeauth makes the token', async () => {
    const key = '52a1'.repeat(8);
    const token = new EdgeAuth({ key, startTime: 1700000000, endTime: 1700000300, algorithm: 'sha1', escapeEarly: true }).generateURLToken('/vod/a b.ts');
    const url = await sign('--provider', 'akamai', '--url', 'https://a.example.net/vod/a b.ts', '--expires', '1700000300', '--key', key, '--start', '1700000000', '--algorithm', 'sha1', '--escape-early');
    expect(url.stdout).toBe(`https://a.example.net/vod/a b.ts?__token__=${token}\n`);
    const acl = new EdgeAuth({ key, endTime: 1700000300 }).generateACLToken('/vod/*');
    const cookie = await sign('--provider', 'akamai', '--url', 'https://a.example.net/vod/a.m3u8', '--expires', '1700000300', '--key', key, '--acl', '/vod/*', '--token-name', 'hdnts', '--cookie');
    expect(cookie.stdout).toBe(`hdnts=${acl}\n`);
  });

  it('prints a CAT URL that @eyevinn/cat accepts for the signed prefix only', async () => {
    const key = '403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d79569388';
    const res = await sign('--provider', 'cat', '--url', 'https://c.example.net/vod/m1/index.m3u8', '--expires', '4102444800', '--key', key, '--kid', 'k1', '--iss', 'tollgate', '--path-prefix', '/vod/m1/', '--cwt-tag');
    const token = new URL(res.stdout.trim()).searchParams.get('cat')!;
    const validator = new CAT({ keys: { k1: Buffer.from(key, 'hex') }, expectCwtTag: true });
    expect((await validator.validate(token, 'mac', { issuer: 'tollgate', url: new URL('https://c.example.net/vod/m1/seg-9.ts') })).error).toBeUndefined();
    expect((await validator.validate(token, 'mac', { issuer: 'tollgate', url: new URL('https://c.example.net/vod/m2/seg-9.ts') })).error).toBeDefined();
  });

  it('prints nginx and Cloudflare URLs (the documented examples)', async () => {
    const nginx = await sign('--provider', 'nginx', '--url', '/s/link', '--expires', '2147483647', '--secret', 'secret', '--ip', '127.0.0.1');
    expect(nginx.stdout).toBe('/s/link?md5=_e4Nc3iduzkWRm01TBBNYw&expires=2147483647\n');
    const cf = await sign('--provider', 'cloudflare', '--url', 'https://example.com/download/cat.jpg', '--secret', 'mysecrettoken', '--timestamp', '1484063787', '--expires', '1484074587');
    expect(cf.stdout).toMatch(/^https:\/\/example\.com\/download\/cat\.jpg\?verify=1484063787-[A-Za-z0-9%]{44,}\n$/);
    expect(cf.stderr).toContain('ttl of its rule; for this expiry set it to 10800');
  });

  it('refuses usage mistakes with exit 2 and the usage line', async () => {
    for (const args of [
      ['--provider', 'fastly', '--url', '/a', '--expires', '1700000300'],
      ['--provider', 'nginx', '--url', '/a/../b', '--expires', '1700000300', '--secret', 'hunter2-secret'],
    ]) {
      const res = await sign(...args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/^tollgate cdn sign: .+\nusage: tollgate cdn sign/);
      expect(res.stderr).not.toContain('hunter2');
    }
  });

  it('names each mistake and never the secret', async () => {
    // In-process: the same command object main runs, without a process per case.
    const mistakes: string[][] = [
      ['--provider', 'nginx', '--url', '/a', '--expires', '1700000300'],
      ['--provider', 'nginx', '--url', '/a', '--expires', 'tomorrow', '--secret', 'hunter2-secret'],
      ['--provider', 'nginx', '--url', '/a', '--expires', '1700000300', '--secret', 'hunter2-secret', '--acl', '/a/*'],
      ['--provider', 'akamai', '--url', '/a', '--expires', '1700000300', '--key', 'hunter2-secret'],
      ['--provider', 'cloudfront', '--url', 'https://d.example.net/a', '--expires', '1700000300', '--key-pair-id', 'K', '--private-key', '/nonexistent.pem'],
      ['--provider', 'cloudfront', '--url', 'https://d.example.net/vod/*', '--expires', '1700000300', '--key-pair-id', 'K', '--private-key', keyFile],
      ['--provider', 'cloudflare', '--url', '/a', '--secret', 'hunter2-secret', '--timestamp', '123'],
      ['--provider', 'cat', '--url', '/a', '--expires', '1700000300', '--key', 'hunter2-secret', '--kid', 'k'],
      ['--provider', 'nginx', '--url', '/a', '--expires', '1700000300', '--secret', 'hunter2-secret', '--unknown'],
    ];
    const config = loadConfig({ TOLLGATE_DATA_DIR: dir, TOLLGATE_LOG_LEVEL: 'silent' });
    for (const args of mistakes) {
      const error = await cdnSign.run(args, config).then(() => undefined, (e: unknown) => e);
      expect(error, args.join(' ')).toBeInstanceOf(UsageError);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
