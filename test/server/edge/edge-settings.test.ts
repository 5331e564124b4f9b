/**
 * The serving settings at boot: each edge provider needs its base URL and secret, a bad or
 * missing one is a ConfigError naming the variable (the CLI exits 78 on it, without echoing a
 * secret), and the origin-protection and X-Accel settings are validated too.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/server/config.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-edge-settings-'));
const keyFile = join(dir, 'cf.pem');
writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const notAKey = join(dir, 'not-a-key.pem');
writeFileSync(notAKey, 'hello');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serving settings', () => {
  it('defaults: no edge, files sent by Tollgate, no origin protection', () => {
    expect(loadConfig({}).serving).toEqual({ edge: { provider: 'off' }, sendFile: 'off', sendFilePrefix: '/internal/media/', originSecret: undefined, originAllow: [] });
  });

  it('reads each edge provider with its secret, the base URL without its trailing "/"', () => {
    const url = 'https://edge.example.com/media/';
    expect(loadConfig({ TOLLGATE_EDGE: 'nginx', TOLLGATE_EDGE_URL: url, TOLLGATE_EDGE_SECRET: 'abc' }).serving.edge).toEqual({ provider: 'nginx', url: 'https://edge.example.com/media', secret: 'abc' });
    expect(loadConfig({ TOLLGATE_EDGE: 'cloudflare', TOLLGATE_EDGE_URL: url, TOLLGATE_EDGE_SECRET: 'a b' }).serving.edge.provider).toBe('cloudflare');
    expect(loadConfig({ TOLLGATE_EDGE: 'akamai', TOLLGATE_EDGE_URL: url, TOLLGATE_EDGE_KEY: 'abcd' }).serving.edge).toMatchObject({ key: 'abcd' });
    const cf = loadConfig({ TOLLGATE_EDGE: 'cloudfront', TOLLGATE_EDGE_URL: url, TOLLGATE_EDGE_KEY_PAIR_ID: 'K2JC', TOLLGATE_EDGE_PRIVATE_KEY_FILE: keyFile }).serving.edge;
    expect(cf).toMatchObject({ provider: 'cloudfront', keyPairId: 'K2JC' });
  });

  it.each([
    [{ TOLLGATE_EDGE: 'fastly' }, /TOLLGATE_EDGE: "fastly" must be one of/],
    [{ TOLLGATE_EDGE: 'nginx', TOLLGATE_EDGE_SECRET: 'abc' }, /TOLLGATE_EDGE_URL: needed with TOLLGATE_EDGE=nginx/],
    [{ TOLLGATE_EDGE: 'nginx', TOLLGATE_EDGE_URL: 'https://e.example.com' }, /TOLLGATE_EDGE_SECRET: needed/],
    [{ TOLLGATE_EDGE: 'nginx', TOLLGATE_EDGE_URL: 'https://e.example.com', TOLLGATE_EDGE_SECRET: 'a;b' }, /TOLLGATE_EDGE_SECRET: must be plain text/],
    [{ TOLLGATE_EDGE: 'nginx', TOLLGATE_EDGE_URL: 'https://e.example.com/?x=1', TOLLGATE_EDGE_SECRET: 'abc' }, /TOLLGATE_EDGE_URL: must be a base URL/],
    [{ TOLLGATE_EDGE: 'akamai', TOLLGATE_EDGE_URL: 'https://e.example.com', TOLLGATE_EDGE_KEY: 'xyz' }, /TOLLGATE_EDGE_KEY: must be even-length hex/],
    [{ TOLLGATE_EDGE: 'cloudfront', TOLLGATE_EDGE_URL: 'https://e.example.com', TOLLGATE_EDGE_PRIVATE_KEY_FILE: keyFile }, /TOLLGATE_EDGE_KEY_PAIR_ID: needed/],
    [{ TOLLGATE_EDGE: 'cloudfront', TOLLGATE_EDGE_URL: 'https://e.example.com', TOLLGATE_EDGE_KEY_PAIR_ID: 'K', TOLLGATE_EDGE_PRIVATE_KEY_FILE: notAKey }, /TOLLGATE_EDGE_PRIVATE_KEY_FILE: cannot be read/],
    [{ TOLLGATE_SEND_FILE: 'sendfile' }, /TOLLGATE_SEND_FILE: "sendfile" must be one of off, x-accel/],
    [{ TOLLGATE_SEND_FILE_PREFIX: 'internal' }, /TOLLGATE_SEND_FILE_PREFIX: must be a path/],
    [{ TOLLGATE_ORIGIN_SECRET: 'short' }, /TOLLGATE_ORIGIN_SECRET: must be at least 16/],
    [{ TOLLGATE_ORIGIN_ALLOW: '10.0.0.0/8,cdn.example.com' }, /TOLLGATE_ORIGIN_ALLOW: "cdn.example.com" is not an IP address/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('the CLI exits 78 on a missing edge secret, naming the variable', async () => {
    const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'tollgate.js');
    const failed = await promisify(execFile)('node', [bin, 'serve'], { env: { PATH: process.env.PATH, TOLLGATE_DATA_DIR: dir, TOLLGATE_EDGE: 'akamai', TOLLGATE_EDGE_URL: 'https://e.example.com' } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed.code).toBe(78);
    expect(failed.stderr).toContain('TOLLGATE_EDGE_KEY: needed with TOLLGATE_EDGE=akamai');
  });
});
