/**
 * Fault: `tollgate package` killed outright (issue 8, item 6). Clear media must never outlive
 * the packager: ffmpeg dies with it, nothing is ever written to the system temp folder, what it
 * staged in the data dir is removed at the next start, and the title id can be packaged again —
 * also after a crash between publishing the folder and committing the record.
 * Runs the built CLI (bin/ runs dist/: `npx tsc -p tsconfig.build.json` first).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClipToFile } from '../../src/media/ffmpeg-demo.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/tollgate.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: string;
let dataDir: string;
let privateTmp: string;
let longClip: string;
let shortClip: string;
const env = () => ({ ...process.env, TOLLGATE_DATA_DIR: dataDir, TOLLGATE_LOG_LEVEL: 'silent', TMPDIR: privateTmp });

const tollgate = (...args: string[]) =>
  run('node', [BIN, ...args], { env: env() }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

/** Live (not zombie) processes: pid, parent pid and command line. */
async function processes(): Promise<{ pid: number; ppid: number; cmdline: string }[]> {
  const found = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      found.push({ pid: Number(entry), ppid: Number(ppid), cmdline });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Every file under dir, with its size. */
async function files(dir: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const entry of await readdir(dir, { recursive: true }).catch(() => [] as string[])) {
    const path = join(dir, entry);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) out.push({ path, size: info.size });
  }
  return out;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tollgate-packager-fault-'));
  dataDir = join(root, 'data');
  privateTmp = join(root, 'tmp');
  await mkdir(privateTmp);
  longClip = join(root, 'long.mp4');
  shortClip = join(root, 'short.mp4');
  await Promise.all([
    demoClipToFile(longClip, { durationSec: 40, width: 640, height: 360 }),
    demoClipToFile(shortClip, { durationSec: 2, width: 320, height: 180 }),
  ]);
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('fault: the packager is killed with SIGKILL mid-way', () => {
  it('takes ffmpeg with it, leaves nothing in the temp folder, and the next start removes what it staged', async () => {
    const packager = spawn('node', [BIN, 'package', longClip, '--title', 'movie', '--hls', '--dash'], { env: env(), stdio: 'ignore' });
    const exited = new Promise((resolve) => packager.once('exit', resolve));
    const ffmpeg = await until('ffmpeg to start', async () =>
      (await processes()).find((p) => p.ppid === packager.pid && p.cmdline.includes('ffmpeg')),
    );
    // Wait until ffmpeg has written clear media, so there is something to leak.
    await until('clear media in staging', async () => ((await files(join(dataDir, 'staging'))).some((f) => f.size > 0) ? true : undefined));
    packager.kill('SIGKILL');
    await exited;

    await until('ffmpeg to die', async () => ((await processes()).some((p) => p.pid === ffmpeg.pid) ? undefined : true), 5_000);
    expect((await processes()).filter((p) => p.cmdline.includes(dataDir))).toEqual([]);
    expect(await files(privateTmp)).toEqual([]);
    // Staged, owner-only: unreadable to other users until the next start removes it.
    expect((await stat(join(dataDir, 'staging'))).mode & 0o777).toBe(0o700);
    expect((await files(join(dataDir, 'staging'))).length).toBeGreaterThan(0);

    const next = await tollgate('plans', 'add', '--id', 'basic', '--all');
    expect(next.code).toBe(0);
    expect(await files(join(dataDir, 'staging'))).toEqual([]);
    expect(await files(join(dataDir, 'media'))).toEqual([]);
    expect(await files(privateTmp)).toEqual([]);

    const again = await tollgate('package', shortClip, '--title', 'movie');
    expect(onlyProgress(again.stderr)).toBe(true);
    expect(again.code).toBe(0);
  }, 120_000);

  it('makes the id usable again after a crash between publishing the folder and committing the title', async () => {
    // The state such a crash leaves: media/<id> published, no title record, and the run's
    // staging folder (its title already moved out) owned by a process that no longer exists.
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    const staging = join(dataDir, 'staging', 'title-crashed');
    await mkdir(staging, { recursive: true });
    await writeFile(join(staging, 'owner'), `${dead.pid}\norphan\n`);
    await mkdir(join(dataDir, 'media', 'orphan', 'hls'), { recursive: true });
    await writeFile(join(dataDir, 'media', 'orphan', 'hls', 'master.m3u8'), '#EXTM3U\n');

    const packaged = await tollgate('package', shortClip, '--title', 'orphan');
    expect(onlyProgress(packaged.stderr)).toBe(true);
    expect(packaged.code).toBe(0);
    expect(JSON.parse(packaged.stdout)).toMatchObject({ id: 'orphan' });
    expect(await files(join(dataDir, 'staging'))).toEqual([]);
  }, 60_000);

  it('leaves the staging folder of a live packager alone', async () => {
    const staging = join(dataDir, 'staging', 'title-live');
    await mkdir(staging, { recursive: true });
    await writeFile(join(staging, 'owner'), `${process.pid}\nlive\n`);
    await writeFile(join(staging, 'clear.ts'), 'still being written');
    expect((await tollgate('plans', 'add', '--id', 'other', '--all')).code).toBe(0);
    expect(await readFile(join(staging, 'clear.ts'), 'utf8')).toBe('still being written');
    await rm(staging, { recursive: true });
  });
});

/** Off a terminal, packaging prints progress lines and nothing else when all is well. */
function onlyProgress(stderr: string): boolean {
  return stderr.split('\n').every((line) => line === '' || line.startsWith('packaging '));
}
