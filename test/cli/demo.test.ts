import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/tollgate.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `tollgate demo` and resolves with everything it printed once it says how to log in. */
function startDemo(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [BIN, 'demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve({ child, output });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
  });
}

describe('npm start (tollgate demo)', () => {
  let dataDir: string | undefined;
  afterAll(() => (dataDir ? rm(dataDir, { recursive: true, force: true }) : undefined));

  it('packages a demo title and serves with a demo subscriber whose printed credentials log in, the same on every run', { timeout: 240_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-demo-'));
    const env = { ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_PORT: String(await freePort()), TOLLGATE_LOG_LEVEL: 'warn' };
    const passwords: string[] = [];
    for (let run = 0; run < 2; run++) {
      const { child, output } = await startDemo(env);
      try {
        const url = /Tollgate is running at (\S+)/.exec(output)?.[1];
        const [, email, password] = /demo login\s+(\S+) \/ (\S+)/.exec(output) ?? [];
        expect(url).toBe(`http://127.0.0.1:${env.TOLLGATE_PORT}`);
        const res = await fetch(`${url}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        });
        expect(res.status).toBe(200);
        const { access_token } = (await res.json()) as { access_token: string };
        const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${access_token}` } });
        expect(await me.json()).toMatchObject({ email: 'demo@tollgate.local', plan_id: 'demo', titles: '*' });
        const titles = await fetch(`${url}/v1/titles`, { headers: { authorization: `Bearer ${access_token}` } });
        expect(((await titles.json()) as { titles: { id: string }[] }).titles.map((t) => t.id)).toEqual(['demo', 'demo-drm']);
        passwords.push(password!);
      } finally {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    }
    expect(passwords[0]).toBe(passwords[1]);
  });
});
